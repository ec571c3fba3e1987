"""Final scores: objective items scored against the key, subjective items from resolved scripts.

Every `Score` row is traceable: `source` says how it was decided (auto, single, double, third,
arbitration) and `score_trace` lists the answer and key, or the marks behind it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bundle.spec import EXPORT_COLUMNS
from marking.objective import ObjectiveItem, score_objective_frame
from marking.paper import paper_entries, subjective_groups
from marking.policy import MarkingPolicy, load_policy
from models import audit
from models.district import Student
from models.exams import Response, Score
from models.marking import MarkingMark, MarkingScript


class NotFinished(RuntimeError):
    """Finalising with `strict=True` while scripts are still being marked."""


@dataclass
class FinaliseReport:
    students: int = 0  # students with scores written (per subject, counted once per subject)
    scores: Counter = field(default_factory=Counter)  # source -> rows written
    pending_scripts: int = 0  # scripts not final yet
    unopened_scripts: int = 0  # student × group with responses but no script in the queue
    held_back: int = 0  # (student, subject) pairs left out because some script is not final

    @property
    def written(self) -> int:
        return sum(self.scores.values())


def _objective_frame(session: Session, exam_id: str, entries, policy: MarkingPolicy) -> pd.DataFrame:
    frames = []
    for subject in sorted({e.subject for e in entries}):
        items = [ObjectiveItem(e.item_id, e.item_type, e.key, e.max_score, e.step)
                 for e in entries if e.subject == subject and e.objective]
        responses = pd.DataFrame(session.execute(
            select(Response.student_id, Response.item_id, Response.answer)
            .where(Response.exam_id == exam_id, Response.subject == subject)).tuples().all(),
            columns=["student_id", "item_id", "answer"])
        if responses.empty or not items:
            continue
        frame = score_objective_frame(responses, items, policy.objective)
        frame["subject"] = subject
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["student_id", "item_id", "score", "subject"])
    return pd.concat(frames, ignore_index=True)


def finalise_scores(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None,
                    strict: bool = False) -> FinaliseReport:
    """Write the exam's final `Score` rows in the caller's transaction; rerunning rewrites them.

    A student's scores of a subject are written only when every subjective script of theirs in
    that subject is final (so no total is built from half the marks); `strict=True` raises instead.
    """
    policy = policy or load_policy()
    entries = paper_entries(session, exam_id)
    groups = subjective_groups(entries)
    report = FinaliseReport()
    sat = set(session.execute(select(Response.student_id, Response.subject)
                              .where(Response.exam_id == exam_id).distinct()).tuples().all())
    scripts = session.execute(select(MarkingScript.student_id, MarkingScript.subject, MarkingScript.item_group,
                                     MarkingScript.status, MarkingScript.final_scores, MarkingScript.final_sources)
                              .where(MarkingScript.exam_id == exam_id)).all()
    by_key = {(s.student_id, s.subject, s.item_group): s for s in scripts}
    incomplete: set[tuple[str, str]] = set()
    for student, subject in sat:
        for (group_subject, name) in groups:
            if group_subject != subject:
                continue
            script = by_key.get((student, subject, name))
            if script is None:
                report.unopened_scripts += 1
                incomplete.add((student, subject))
            elif script.status != "final":
                report.pending_scripts += 1
                incomplete.add((student, subject))
    if strict and incomplete:
        raise NotFinished(f"{report.pending_scripts} script(s) still in marking and {report.unopened_scripts} "
                          f"not opened; {len(incomplete)} student-subject(s) incomplete")
    report.held_back = len(incomplete)
    rows: list[dict] = []
    objective = _objective_frame(session, exam_id, entries, policy)
    for student, item, score, subject in objective[["student_id", "item_id", "score", "subject"]].itertuples(
            index=False):
        if (student, subject) not in incomplete:
            rows.append({"exam_id": exam_id, "student_id": student, "item_id": item, "subject": subject,
                         "score": float(score), "source": "auto"})
    for script in scripts:
        if script.status != "final" or (script.student_id, script.subject) in incomplete:
            continue
        for item_id, score in script.final_scores.items():
            rows.append({"exam_id": exam_id, "student_id": script.student_id, "item_id": item_id,
                         "subject": script.subject, "score": float(score),
                         "source": script.final_sources[item_id]})
    subjects = {e.subject for e in entries}
    if subjects:
        session.execute(delete(Score).where(Score.exam_id == exam_id, Score.subject.in_(sorted(subjects))))
    for start in range(0, len(rows), 5000):
        session.execute(insert(Score), rows[start:start + 5000])
    report.scores = Counter(r["source"] for r in rows)
    report.students = len({(r["student_id"], r["subject"]) for r in rows})
    session.flush()
    audit.record(session, "finalise", "score", exam_id, {"scores": dict(report.scores),
                                                         "held_back": report.held_back})
    return report


def scores_frame(session: Session, exam_id: str) -> pd.DataFrame:
    """The exam's scores in the scores.csv shape (bundle.spec.EXPORT_COLUMNS['scores'])."""
    rows = session.execute(
        select(Score.exam_id, Score.student_id, Student.school_id, Student.class_id, Score.subject, Score.item_id,
               Score.score)
        .join(Student, Student.student_id == Score.student_id)
        .where(Score.exam_id == exam_id)
        .order_by(Score.subject, Score.student_id, Score.item_id)).tuples().all()
    return pd.DataFrame(rows, columns=list(EXPORT_COLUMNS["scores"]))


def score_trace(session: Session, exam_id: str, student_id: str, item_id: str) -> dict:
    """How one final score came about: source, and the marks (marker, kind, score) or the answer."""
    score = session.get(Score, (exam_id, student_id, item_id))
    if score is None:
        raise KeyError(f"no final score for {student_id} / {item_id} in exam {exam_id}")
    marks: list[dict[str, Any]] = []
    trace: dict[str, Any] = {"score": score.score, "source": score.source, "marks": marks, "answer": None,
                             "script_code": None}
    if score.source == "auto":
        response = session.get(Response, (exam_id, student_id, item_id))
        trace["answer"] = None if response is None else response.answer
        return trace
    for script in session.scalars(select(MarkingScript).where(
            MarkingScript.exam_id == exam_id, MarkingScript.student_id == student_id,
            MarkingScript.subject == score.subject)):
        if script.final_scores and item_id in script.final_scores:
            trace["script_code"] = script.code
            used = set((script.final_marks or {})[item_id])
            for mark in session.scalars(select(MarkingMark).where(MarkingMark.script_id == script.script_id)
                                        .order_by(MarkingMark.mark_id)):
                marks.append({"mark_id": mark.mark_id, "kind": mark.kind, "marker_id": mark.marker_id,
                                       "score": mark.scores.get(item_id), "used": mark.mark_id in used})
    return trace
