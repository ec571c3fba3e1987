"""What the district pages read, with names: clusters, schools, teachers, exams — read-only, one
session per call, plain dataclasses out (no ORM object leaves a session).

The console's reads of the district live here until a district use case exists in `app/`; the
exam season and the roster come from `app.exam_season` and `app.term_planning`. Access is decided
by the routes (models.users.Scope); these functions take the set of schools a viewer may see.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select

from models import Cluster, District, Exam, ExamSession, School, SchoolClass, Teacher
from models.db import session_scope
from models.users import Scope

MAX_TEACHERS_SHOWN = 500


@dataclass(frozen=True)
class ClusterRow:
    cluster_id: str
    name: str
    lead_school: str | None
    schools: int
    teachers: int


@dataclass(frozen=True)
class SchoolRow:
    school_id: str
    name: str
    cluster_id: str
    cluster_name: str
    is_lead: bool
    stage: str
    locality: str
    tier: str
    hardship: int
    teachers: int
    classes: int


@dataclass(frozen=True)
class TeacherRow:
    teacher_id: str
    name: str
    school_id: str
    school_name: str
    subject: str
    grades: tuple[int, ...]
    role: str
    backbone: bool
    famous: bool
    teaching_years: int


@dataclass(frozen=True)
class ExamRow:
    exam_id: str
    name: str
    cluster_id: str | None
    cluster_name: str | None
    grade: int
    school_year: int
    term: int
    first_date: str | None
    last_date: str | None


def district_name(url: str) -> str | None:
    with session_scope(url) as session:
        return session.scalars(select(District.name).order_by(District.district_id)).first()


def clusters(url: str) -> list[ClusterRow]:
    with session_scope(url) as session:
        schools = list(session.scalars(select(School)))
        teachers = Counter(dict(session.execute(select(Teacher.school_id, func.count()).group_by(Teacher.school_id)).all()))
        rows = []
        for cluster in session.scalars(select(Cluster).order_by(Cluster.cluster_id)):
            own = [s for s in schools if s.cluster_id == cluster.cluster_id]
            lead = next((s.name for s in own if s.is_lead), None)
            rows.append(ClusterRow(cluster.cluster_id, cluster.name, lead, len(own),
                                   sum(teachers[s.school_id] for s in own)))
        return rows


def cluster_name(url: str, cluster_id: str) -> str | None:
    with session_scope(url) as session:
        cluster = session.get(Cluster, cluster_id)
        return cluster.name if cluster else None


def _school_rows(session, where) -> list[SchoolRow]:
    teachers = Counter(dict(session.execute(select(Teacher.school_id, func.count()).group_by(Teacher.school_id)).all()))
    classes = Counter(dict(session.execute(select(SchoolClass.school_id, func.count())
                                           .group_by(SchoolClass.school_id)).all()))
    names = dict(session.execute(select(Cluster.cluster_id, Cluster.name)).all())
    statement = select(School).where(where).order_by(School.is_lead.desc(), School.school_id)
    return [SchoolRow(s.school_id, s.name, s.cluster_id, names.get(s.cluster_id, s.cluster_id), s.is_lead, s.stage,
                      s.locality, s.tier, s.hardship, teachers[s.school_id], classes[s.school_id])
            for s in session.scalars(statement)]


def schools_of_cluster(url: str, cluster_id: str) -> list[SchoolRow]:
    with session_scope(url) as session:
        return _school_rows(session, School.cluster_id == cluster_id)


def school(url: str, school_id: str) -> SchoolRow | None:
    with session_scope(url) as session:
        rows = _school_rows(session, School.school_id == school_id)
        return rows[0] if rows else None


def teacher_school(url: str, teacher_id: str) -> str | None:
    """The school a teacher belongs to (teachers.csv), None for an unknown teacher."""
    with session_scope(url) as session:
        row = session.get(Teacher, teacher_id)
        return row.school_id if row else None


def visible_schools(url: str, scope: Scope) -> list[SchoolRow]:
    """The schools a viewer may see, lead schools first within each cluster."""
    with session_scope(url) as session:
        if scope.role == "school":
            where = School.school_id == (scope.school_id or "")
        elif scope.district_wide:
            where = School.school_id.is_not(None)
        else:
            where = School.cluster_id == (scope.cluster_id or "")
        return sorted(_school_rows(session, where), key=lambda s: (s.cluster_id, not s.is_lead, s.school_id))


def teachers(url: str, school_ids: list[str], *, subject: str | None = None, name_contains: str | None = None,
             limit: int = MAX_TEACHERS_SHOWN) -> tuple[list[TeacherRow], int]:
    """Teachers of these schools (by school, then name), filtered by subject and a part of the name;
    at most `limit` of them, and how many matched."""
    if not school_ids:
        return [], 0
    with session_scope(url) as session:
        where: list[ColumnElement[bool]] = [Teacher.school_id.in_(school_ids)]
        if subject:
            where.append(Teacher.subject == subject)
        if name_contains:
            pattern = "%" + name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(or_(Teacher.name.like(pattern, escape="\\"), Teacher.teacher_id == name_contains))
        total = session.scalar(select(func.count()).select_from(Teacher).where(*where)) or 0
        names = dict(session.execute(select(School.school_id, School.name).where(School.school_id.in_(school_ids))).all())
        found = session.scalars(select(Teacher).where(*where).order_by(Teacher.school_id, Teacher.name,
                                                                       Teacher.teacher_id).limit(limit))
        return [TeacherRow(t.teacher_id, t.name, t.school_id, names.get(t.school_id, t.school_id), t.subject,
                           tuple(t.grades or ()), t.role, t.backbone, t.famous, t.teaching_years) for t in found], total


def subjects_taught(url: str, school_ids: list[str]) -> list[str]:
    if not school_ids:
        return []
    with session_scope(url) as session:
        return sorted(session.scalars(select(Teacher.subject).where(Teacher.school_id.in_(school_ids)).distinct()))


def exams(url: str) -> list[ExamRow]:
    """Every exam with its cluster's name and first and last day, newest term first."""
    with session_scope(url) as session:
        names = dict(session.execute(select(Cluster.cluster_id, Cluster.name)).all())
        dates = {exam_id: (first, last) for exam_id, first, last in session.execute(
            select(ExamSession.exam_id, func.min(ExamSession.date), func.max(ExamSession.date))
            .group_by(ExamSession.exam_id))}
        return [ExamRow(e.exam_id, e.name, e.cluster_id, names.get(e.cluster_id) if e.cluster_id else None, e.grade,
                        e.school_year, e.term, *dates.get(e.exam_id, (None, None)))
                for e in session.scalars(select(Exam).order_by(Exam.school_year.desc(), Exam.term.desc(),
                                                               Exam.exam_id))]


def exam(url: str, exam_id: str) -> ExamRow | None:
    return next((e for e in exams(url) if e.exam_id == exam_id), None)
