"""One joint exam as every stage needs it (考试上下文), loaded once per run: its name and grade, year
and term, cluster and schools, subjects in timetable order, and the policies in force for it
(its cluster's stored versions, else the district's, else the repository files; app.policies)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.errors import UnknownExam
from app.policies import ResolvedPolicy, resolve_in
from models.db import session_scope

EXAM_AREAS = ("question_setting", "exam_logistics", "marking", "analysis")


@dataclass(frozen=True)
class ExamContext:
    """One joint exam as every stage needs it, resolved once per run: its name and grade, year and term,
    cluster and schools, subjects in timetable order, and the policies in force (app.policies)."""

    exam_id: str
    name: str
    kind: str
    grade: int
    school_year: int
    term: int
    cluster_id: str | None
    subjects: tuple[str, ...]
    schools: tuple[str, ...]
    policies: dict[str, ResolvedPolicy] = field(default_factory=dict)

    @property
    def cohort(self) -> int:
        return self.school_year - self.grade + 1

    def __getitem__(self, key: str):  # the stage code's facts["grade"] reads as before
        return getattr(self, key)

    def get(self, key: str, default=None):
        return getattr(self, key, default)

    def policy(self, area: str, override: str | Path | None = None) -> ResolvedPolicy:
        """The policy of `area` for this exam: the file given for the run, else the one in force."""
        if override is not None:
            return resolve_in(None, area, override=override)
        if area not in self.policies:
            raise KeyError(area)
        return self.policies[area]


def exam_context(url: str | None, exam_id: str) -> ExamContext:
    """The exam's context (UnknownExam if the database does not know it)."""
    from sqlalchemy import select

    from models import Exam, ExamSession, School

    with session_scope(url) as session:
        exam = session.get(Exam, exam_id)
        if exam is None:
            raise UnknownExam(exam_id)
        subjects = tuple(dict.fromkeys(session.scalars(
            select(ExamSession.subject).where(ExamSession.exam_id == exam_id).order_by(ExamSession.date,
                                                                                       ExamSession.start))))
        schools_query = select(School.school_id)
        if exam.cluster_id:
            schools_query = schools_query.where(School.cluster_id == exam.cluster_id)
        policies = {area: resolve_in(session, area, cluster_id=exam.cluster_id, school_year=exam.school_year,
                                     term=exam.term)
                    for area in EXAM_AREAS}
        return ExamContext(exam_id, exam.name, exam.kind, exam.grade, exam.school_year, exam.term, exam.cluster_id,
                           subjects, tuple(session.scalars(schools_query)), policies)
