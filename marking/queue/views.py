"""Views for clients: a script's answers and marks, the arbitration queue, tasks left, and the
scripts no registered marker may mark (and escalating their third marks)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy, load_policy
from marking.rules import (REGULAR_KINDS, ItemStandard)
from models.exams import Response
from models.marking import Marker, MarkingMark, MarkingScript, MarkingTask

from .records import _PRIORITY, MARKS, SCRIPTS, TASKS, MarkerRef


# --- views for clients ------------------------------------------------------------------------------

def script_answers(session: Session, script_id: int, items: Sequence[ItemStandard]) -> dict[str, str | None]:
    """The script's answers (scan references or text) for these items; no student or school."""
    if script_id < 0:  # a standard script (标准卷) of quality control: its answers are stored with it
        from .quality_store import standard_answers

        return standard_answers(session, -script_id, items)
    student = select(SCRIPTS.c.student_id, SCRIPTS.c.exam_id).where(SCRIPTS.c.script_id == script_id).subquery()
    rows = session.execute(select(Response.item_id, Response.answer).join(
        student, and_(Response.student_id == student.c.student_id, Response.exam_id == student.c.exam_id))
        .where(Response.item_id.in_([i.item_id for i in items]))).tuples().all()
    answers: dict[str, str | None] = {i.item_id: None for i in items}
    answers.update(dict(rows))
    return answers


def script_marks(session: Session, script_id: int) -> list[dict]:
    """The marks a script has (for the arbitrating leader): kind, item scores, total; no marker names."""
    rows = session.execute(select(MARKS.c.mark_id, MARKS.c.kind, MARKS.c.scores, MARKS.c.total)
                           .where(MARKS.c.script_id == script_id).order_by(MARKS.c.mark_id)).all()
    return [{"mark_id": r.mark_id, "kind": r.kind, "scores": r.scores, "total": r.total} for r in rows]


def arbitration_queue(session: Session, marker: MarkerRef) -> pd.DataFrame:
    """Scripts of the leader's group waiting for arbitration: task, code, items, earlier marks."""
    rows = session.execute(select(TASKS.c.task_id, TASKS.c.script_id, TASKS.c.code, TASKS.c.state, TASKS.c["items"],
                                  TASKS.c.school_id, TASKS.c.created_at)
                           .where(TASKS.c.exam_id == marker.exam_id, TASKS.c.subject == marker.subject,
                                  TASKS.c.item_group == marker.item_group, TASKS.c.kind == "arbitration",
                                  TASKS.c.state != "done")
                           .order_by(TASKS.c.task_id)).all()
    out = [{"task_id": r.task_id, "code": r.code, "state": r.state, "items": list(r._mapping["items"] or []),
            "own_school": r.school_id == marker.school_id, "marks": script_marks(session, r.script_id),
            "waiting_since": r.created_at} for r in rows]
    return pd.DataFrame(out, columns=["task_id", "code", "state", "items", "own_school", "marks", "waiting_since"])


def remaining_tasks(session: Session, exam_id: str) -> dict[str, int]:
    """Tasks of the exam by state (waiting, leased, done)."""
    rows = session.execute(select(TASKS.c.state, func.count()).where(TASKS.c.exam_id == exam_id)
                           .group_by(TASKS.c.state)).tuples().all()
    counts = {"waiting": 0, "leased": 0, "done": 0}
    counts.update({state: int(n) for state, n in rows})
    return counts


@dataclass(frozen=True)
class UnmarkableScripts:
    """Scripts of one school in one item group whose first or second mark no registered marker may give."""

    subject: str
    item_group: str
    school_id: str
    scripts: int
    other_school_markers: tuple[str, ...]  # the group's markers of other schools (all have marked them)

    def zh(self) -> str:
        who = "、".join(self.other_school_markers) or "没有"
        return (f"{self.subject}/{self.item_group}：{self.school_id} 的 {self.scripts} 份答卷还缺一评或二评，但本组外校阅卷教师"
                f"只有 {len(self.other_school_markers)} 名（{who}），均已评过；请为该题组增加外校阅卷教师"
                f"（xuequ marking markers），或让题组长参加评卷（marking.toml double.leaders_also_mark）")

    def en(self) -> str:
        who = ", ".join(self.other_school_markers) or "none"
        return (f"{self.subject}/{self.item_group}: {self.scripts} scripts of {self.school_id} still need a first or "
                f"second mark, but the group has {len(self.other_school_markers)} marker(s) of other schools ({who}) "
                f"and they have marked them; add markers of other schools to the group (xuequ marking markers) or "
                f"let the group leaders mark (marking.toml double.leaders_also_mark)")


def _group_markers(session: Session, exam_id: str, policy: MarkingPolicy) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(subject, item_group) → [(teacher_id, school_id)] of those who give first, second and third marks."""
    roles = ("marker", "leader") if policy.double.leaders_also_mark else ("marker",)
    markers: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for teacher_id, school_id, subject, item_group in session.execute(
            select(Marker.teacher_id, Marker.school_id, Marker.subject, Marker.item_group)
            .where(Marker.exam_id == exam_id, Marker.role.in_(roles))):
        markers.setdefault((subject, item_group), []).append((teacher_id, school_id))
    return markers


def _waiting_without_marker(session: Session, exam_id: str, kinds: Sequence[str], markers) -> list:
    """Waiting tasks of these kinds that no registered marker may take: every marker of the group is
    of the script's school or has marked the script. Rows: task_id, script_id, subject, item_group,
    school_id."""
    waiting = session.execute(select(MarkingTask.task_id, MarkingTask.script_id, MarkingTask.subject,
                                     MarkingTask.item_group, MarkingTask.school_id)
                              .where(MarkingTask.exam_id == exam_id, MarkingTask.kind.in_(kinds),
                                     MarkingTask.state == "waiting")).all()
    marked: dict[int, set[str]] = {}
    script_ids = sorted({row.script_id for row in waiting})
    for start in range(0, len(script_ids), 5000):
        for script_id, marker_id in session.execute(select(MarkingMark.script_id, MarkingMark.marker_id).where(
                MarkingMark.script_id.in_(script_ids[start:start + 5000]))):
            marked.setdefault(script_id, set()).add(marker_id)
    return [row for row in waiting
            if not any(s != row.school_id and t not in marked.get(row.script_id, ())
                       for t, s in markers.get((row.subject, row.item_group), []))]


def unmarkable_scripts(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None) -> list[UnmarkableScripts]:
    """Waiting first and second marks that no registered marker may give, by item group and school.

    Such a script waits for ever: every marker of the group is of its school or has marked it. Only
    the marking plan can help (more markers of other schools), so this names the group and school.
    """
    markers = _group_markers(session, exam_id, policy or load_policy())
    stuck = Counter((row.subject, row.item_group, row.school_id)
                    for row in _waiting_without_marker(session, exam_id, REGULAR_KINDS, markers))
    return [UnmarkableScripts(subject, group, school, count,
                              tuple(sorted(t for t, s in markers.get((subject, group), []) if s != school)))
            for (subject, group, school), count in sorted(stuck.items())]


def escalate_unmarkable_thirds(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None) -> int:
    """Third marks nobody may give go to the group leaders (仲裁) instead; returns how many.

    A third mark needs a marker of the group who is not of the script's school and has not marked
    it yet. When the group has none, waiting cannot help: the script goes to arbitration, which a
    leader of another school gives (the marking plan names two leaders of different schools).
    """
    markers = _group_markers(session, exam_id, policy or load_policy())
    stuck = _waiting_without_marker(session, exam_id, ("third",), markers)
    for row in stuck:
        session.execute(update(MarkingTask).where(MarkingTask.task_id == row.task_id, MarkingTask.state == "waiting")
                        .values(kind="arbitration", priority=_PRIORITY["arbitration"]))
        session.execute(update(MarkingScript).where(MarkingScript.script_id == row.script_id)
                        .values(status="arbitration"))
    return len(stuck)
