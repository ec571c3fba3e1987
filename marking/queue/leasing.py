"""Leasing (领取答卷): the next script a marker may mark, held leases, release and reclaim."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy, load_policy
from marking import sql as sql_text
from marking.sql import Driver

from .connection import _url, _writing
from .quality_store import quality_lease, release_check
from .records import TASKS, Lease, MarkerRef, _items_for, group_items


# --- leasing ------------------------------------------------------------------------------------

def default_kinds(marker: MarkerRef, policy: MarkingPolicy) -> tuple[str, ...]:
    """Markers give first, second and third marks; leaders arbitrate (and mark too if the policy says)."""
    if marker.is_leader:
        return ("arbitration", "first", "second", "third") if policy.double.leaders_also_mark else ("arbitration",)
    return ("first", "second", "third")


_last_reclaim: dict[tuple[str, str], float] = {}


def reclaim_expired_leases(session: Session, exam_id: str | None = None, *, now: float | None = None) -> int:
    """Return leases whose time ran out to the queue; how many. Runs its own transaction."""
    now = time.time() if now is None else now
    with _writing(session) as db:
        sql = sql_text.RECLAIM.format(exam_condition="AND exam_id = :exam" if exam_id is not None else "")
        return db.execute(sql, {"now": now, "exam": exam_id}).rowcount or 0


def lease_next(session: Session, marker: MarkerRef, *, kinds: Sequence[str] | None = None,
               policy: MarkingPolicy | None = None, now: float | None = None, resume: bool = False) -> Lease | None:
    """Lease the next script this marker may mark, or None when none is available now.

    One statement (plus the commit). `resume=True` first hands back a lease the marker already
    holds (a client that reloads gets the same script, not a second one).
    """
    policy = policy or load_policy()
    assisting = kinds is None  # a caller naming kinds asks for exactly those, in the marker's own group
    kinds = tuple(kinds) if kinds is not None else default_kinds(marker, policy)
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    if resume:
        held = current_lease(session, marker, now=now)
        if held is not None:
            return held
    now = time.time() if now is None else now
    # Quality control (marking/queue/quality_store.py): a paused marker gets nothing (MarkingBlocked); a
    # marker in trial marking (试评), or due a 回评 or a standard script, gets that before the queue's next.
    checked = quality_lease(session, marker, None if assisting else kinds, policy, now)
    if checked is not None:
        return checked
    key = (_url(session), marker.exam_id)
    if now - _last_reclaim.get(key, 0.0) >= policy.queue.reclaim_interval_seconds:
        _last_reclaim[key] = now
        reclaim_expired_leases(session, marker.exam_id, now=now)
    expires = now + policy.queue.lease_seconds
    row = _lease_row(session, marker, kinds, now, expires)
    if row is None and assisting:
        return _lease_assisting(session, marker, now, expires)
    if row is None:
        return None
    task_id, script_id, code, kind, wanted = row
    return Lease(task_id, script_id, code, kind, _items_for(items, Driver.loads(wanted)), now, expires)


def _lease_row(session: Session, marker: MarkerRef, kinds: Sequence[str], now: float, expires: float,
               schools: Sequence[str] = ()):
    params = {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
              "school": marker.school_id, "marker": marker.teacher_id, "now": now, "expires": expires}
    params.update({f"school_{k}": school for k, school in enumerate(schools)})
    with _writing(session, single_statement=True) as db:
        return db.execute(sql_text.lease_sql(kinds, db.dialect, len(schools)), params).fetchone()


def _lease_assisting(session: Session, marker: MarkerRef, now: float, expires: float) -> Lease | None:
    """Under a best-effort plan, a teacher with nothing left in their own group fills in where the plan
    is short (marking/assist.py): only the granted kinds, group and schools, never their own school."""
    from marking.assist_store import cached_assists

    for grant in cached_assists(session, marker.exam_id, _url(session)).grants_for(marker.teacher_id):
        acting = replace(marker, subject=grant.subject, item_group=grant.item_group)
        row = _lease_row(session, acting, grant.kinds, now, expires, grant.schools)
        if row is not None:
            task_id, script_id, code, kind, wanted = row
            items = group_items(session, marker.exam_id, grant.subject, grant.item_group)
            return Lease(task_id, script_id, code, kind, _items_for(items, Driver.loads(wanted)), now, expires)
    return None


def _acting_for(session: Session, marker: MarkerRef, task_id: int) -> MarkerRef:
    """The marker as the group of the task they fill in for (a granted task of another group), else as is."""
    from marking.assist_store import cached_assists

    grants = [g for g in cached_assists(session, marker.exam_id, _url(session)).grants_for(marker.teacher_id)
              if (g.subject, g.item_group) != (marker.subject, marker.item_group)]
    if not grants:
        return marker
    row = session.execute(select(TASKS.c.subject, TASKS.c.item_group).where(TASKS.c.task_id == task_id)).first()
    session.commit()
    if row is not None and any((g.subject, g.item_group) == tuple(row) for g in grants):
        return replace(marker, subject=row[0], item_group=row[1])
    return marker


def current_lease(session: Session, marker: MarkerRef, *, now: float | None = None) -> Lease | None:
    """The unexpired lease this marker holds, if any (the oldest)."""
    now = time.time() if now is None else now
    row = session.execute(select(TASKS.c.task_id, TASKS.c.script_id, TASKS.c.code, TASKS.c.kind, TASKS.c["items"],
                                 TASKS.c.leased_at, TASKS.c.lease_expires_at)
                          .where(TASKS.c.exam_id == marker.exam_id, TASKS.c.subject == marker.subject,
                                 TASKS.c.item_group == marker.item_group, TASKS.c.state == "leased",
                                 TASKS.c.marker_id == marker.teacher_id, TASKS.c.lease_expires_at > now)
                          .order_by(TASKS.c.task_id).limit(1)).first()
    session.commit()
    if row is None:
        return None
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    return Lease(row.task_id, row.script_id, row.code, row.kind, _items_for(items, row._mapping["items"]),
                 row.leased_at, row.lease_expires_at)


def release_lease(session: Session, marker: MarkerRef, task_id: int) -> bool:
    """Give a leased script back to the queue unmarked; False if the marker did not hold it."""
    with _writing(session) as db:
        sql = sql_text.RELEASE.format(state_condition="= 'leased'")
        released = bool(db.execute(sql, {"task": task_id, "marker": marker.teacher_id}).rowcount)
    return released or release_check(session, marker, task_id)  # or a check (marking/queue/quality_store.py)
