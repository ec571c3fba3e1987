"""The exam's papers as marking sees them: items, keys, steps, tolerances and item groups."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.vocab import OBJECTIVE_ITEM_TYPES
from marking.policy import DoubleMarkingPolicy
from marking.rules import ItemStandard, effective_tolerance
from models.exams import Item, Paper, PaperItem

MARKABLE_STATUSES = ("approved", "locked")


@dataclass(frozen=True)
class PaperEntry:
    """One item of an approved or locked paper of the exam."""

    subject: str
    form: str
    position: int  # 题号
    item_id: str
    item_type: str
    max_score: float
    step: float
    tolerance: float | None  # as the paper gives it (None: policy default)
    key: str | None
    rubric: str | None
    item_group: str  # PaperItem.item_group, or Q<position> for a subjective item without one

    @property
    def objective(self) -> bool:
        return self.item_type in OBJECTIVE_ITEM_TYPES

    def standard(self, policy: DoubleMarkingPolicy) -> ItemStandard:
        return ItemStandard(self.item_id, self.position, self.max_score, self.step,
                            effective_tolerance(self.max_score, self.step, self.tolerance, policy), self.rubric)


def default_group_name(position: int) -> str:
    """The group of a subjective item whose paper names none: one group per item, named by position."""
    return f"Q{position}"


def paper_entries(session: Session, exam_id: str, subjects: Iterable[str] | None = None) -> list[PaperEntry]:
    """Items of the exam's approved/locked papers (latest version of each subject and form)."""
    papers = session.scalars(select(Paper).where(Paper.exam_id == exam_id, Paper.status.in_(MARKABLE_STATUSES))).all()
    latest: dict[tuple[str, str], Paper] = {}
    for paper in papers:
        key = (paper.subject, paper.form)
        if key not in latest or paper.version > latest[key].version:
            latest[key] = paper
    wanted = set(subjects) if subjects is not None else None
    chosen = [p for k, p in sorted(latest.items()) if wanted is None or k[0] in wanted]
    if not chosen:
        return []
    rows = session.execute(
        select(PaperItem, Item.item_type, Item.key, Item.rubric)
        .join(Item, Item.item_id == PaperItem.item_id)
        .where(PaperItem.paper_id.in_([p.paper_id for p in chosen]))
        .order_by(PaperItem.paper_id, PaperItem.position)).all()
    by_id = {p.paper_id: p for p in chosen}
    entries: list[PaperEntry] = []
    seen: set[tuple[str, str]] = set()  # parallel forms share items: one entry per subject and item
    for paper_item, item_type, item_key, item_rubric in rows:
        paper = by_id[paper_item.paper_id]
        if (paper.subject, paper_item.item_id) in seen:
            continue
        seen.add((paper.subject, paper_item.item_id))
        objective = item_type in OBJECTIVE_ITEM_TYPES
        group = paper_item.item_group or ("" if objective else default_group_name(paper_item.position))
        entries.append(PaperEntry(
            subject=paper.subject, form=paper.form, position=paper_item.position, item_id=paper_item.item_id,
            item_type=item_type, max_score=float(paper_item.max_score), step=float(paper_item.score_step or 1.0),
            tolerance=paper_item.tolerance, key=paper_item.key if paper_item.key is not None else item_key,
            rubric=paper_item.rubric or item_rubric, item_group=group))
    return entries


def subjective_groups(entries: Iterable[PaperEntry]) -> dict[tuple[str, str], list[PaperEntry]]:
    """(subject, item_group) -> its subjective items in paper order."""
    groups: dict[tuple[str, str], list[PaperEntry]] = {}
    for entry in entries:
        if not entry.objective:
            groups.setdefault((entry.subject, entry.item_group), []).append(entry)
    return groups
