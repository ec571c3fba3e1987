"""What the queue modules share: the tables, the errors API clients see, the marker, lease and
submit records, and a group's marking standard (frozen at open; cached per process)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from marking import sql as sql_text
from marking.rules import (ItemStandard)
from models.marking import MarkingGroup, MarkingMark, MarkingScript, MarkingTask

from .connection import _url


# Core tables of the mapped classes (declarative types __table__ as any FromClause; these are Tables)
TASKS = cast(Table, MarkingTask.__table__)
SCRIPTS = cast(Table, MarkingScript.__table__)
MARKS = cast(Table, MarkingMark.__table__)
ROLES = ("leader", "marker")
_PRIORITY = sql_text.TASK_PRIORITY


class QueueError(Exception):
    """A queue request that cannot be honoured; `code` is stable for API clients."""

    code = "queue_error"


class LeaseLost(QueueError):
    """The task is not (or no longer) leased to this marker."""

    code = "lease_lost"


class AlreadyMarked(QueueError):
    """The marker already marked this script (a script is never marked twice by one teacher)."""

    code = "already_marked"


class NotFound(QueueError):
    code = "not_found"


class UnknownToken(QueueError):
    """No registered marker has this token (never issued, or replaced by a reissued one)."""

    code = "unknown_token"


class TokenExpired(QueueError):
    """The token's marking window is over (`queue.token_days` after it was issued)."""

    code = "token_expired"


@dataclass(frozen=True)
class MarkerRef:
    """A registered marker of an exam: who, which group, which school (never sees its own school)."""

    exam_id: str
    teacher_id: str
    school_id: str
    subject: str
    item_group: str
    role: str = "marker"  # leader (题组长) or marker

    @property
    def is_leader(self) -> bool:
        return self.role == "leader"


@dataclass(frozen=True)
class Lease:
    """A task leased to a marker: the script's code and the items to mark, never the student or school."""

    task_id: int
    script_id: int
    code: str  # 密号
    kind: str  # first, second, third, arbitration
    items: tuple[ItemStandard, ...]
    leased_at: float
    lease_expires_at: float


@dataclass(frozen=True)
class SubmitResult:
    mark_id: int
    task_id: int
    script_id: int
    kind: str
    script_status: str  # marking, third, arbitration, final (after this mark)
    duplicate: bool = False  # True: a retried submit; the first one counted


# --- the marking standard of a group (frozen at open; cached per process) -----------------

_group_cache: dict[tuple[str, str, str, str], tuple[ItemStandard, ...]] = {}


def group_items(session: Session, exam_id: str, subject: str, item_group: str) -> tuple[ItemStandard, ...]:
    """The items of a group with their standards (as frozen when marking opened)."""
    key = (_url(session), exam_id, subject, item_group)
    cached = _group_cache.get(key)
    if cached is None:
        raw = session.execute(select(MarkingGroup.items).where(
            MarkingGroup.exam_id == exam_id, MarkingGroup.subject == subject,
            MarkingGroup.item_group == item_group)).scalar_one_or_none()
        if raw is None:
            raise NotFound(f"no item group {subject}/{item_group} open for marking in exam {exam_id}")
        cached = tuple(ItemStandard.from_dict(d) for d in raw)
        _group_cache[key] = cached
    return cached


def _items_for(all_items: Sequence[ItemStandard], wanted: Sequence[str] | None) -> tuple[ItemStandard, ...]:
    if wanted is None:
        return tuple(all_items)
    chosen = set(wanted)
    return tuple(i for i in all_items if i.item_id in chosen)
