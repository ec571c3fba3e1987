"""What the district's data pages read: a school's classes with their teachers by name, the
district's id, and the audit log's recent bundle imports and exports. Read-only, plain rows out."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from models import AuditEntry, ClassTeacher, District, SchoolClass, Student, Teacher
from models.bundles import DEFAULT_DISTRICT_ID
from models.db import session_scope

BUNDLE_ACTIONS = ("import", "refused", "export")
RECENT_EVENTS = 10


@dataclass(frozen=True)
class ClassRow:
    class_id: str  # the class's name as the bundle gives it (classes.csv has no other)
    grade: int
    size: int  # 班额 as declared in classes.csv
    students: int  # students.csv rows in the class
    teachers: tuple[tuple[str, str], ...]  # (subject, teacher's name), by subject


@dataclass(frozen=True)
class BundleEvent:
    at: dt.datetime
    actor: str
    action: str  # import, refused, export
    file: str
    changed: int | None  # rows inserted, updated and deleted (an import), problems (refused)


def district_id(url: str) -> str:
    """The district the bundle's clusters are filed under (the one `xuequ import` made)."""
    with session_scope(url) as session:
        return session.scalars(select(District.district_id).order_by(District.district_id)).first() \
            or DEFAULT_DISTRICT_ID


def classes_of_school(url: str, school_id: str) -> list[ClassRow]:
    """A school's classes by grade and name, with how many students are on file and who teaches them."""
    with session_scope(url) as session:
        students = Counter(dict(session.execute(
            select(Student.class_id, func.count()).where(Student.school_id == school_id)
            .group_by(Student.class_id)).all()))
        taught: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for class_id, subject, name in session.execute(
                select(ClassTeacher.class_id, ClassTeacher.subject, Teacher.name)
                .join(Teacher, Teacher.teacher_id == ClassTeacher.teacher_id)
                .join(SchoolClass, SchoolClass.class_id == ClassTeacher.class_id)
                .where(SchoolClass.school_id == school_id).order_by(ClassTeacher.subject)):
            taught[class_id].append((subject, name))
        return [ClassRow(c.class_id, c.grade, c.size, students[c.class_id], tuple(taught[c.class_id]))
                for c in session.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id)
                                         .order_by(SchoolClass.grade, SchoolClass.class_id))]


def recent_bundle_events(url: str, limit: int = RECENT_EVENTS) -> list[BundleEvent]:
    """The latest imports (done or refused) and exports of the district's bundle, newest first."""
    with session_scope(url) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "bundle",
                                                           AuditEntry.action.in_(BUNDLE_ACTIONS))
                                  .order_by(AuditEntry.at.desc(), AuditEntry.audit_id.desc()).limit(limit))
        return [BundleEvent(e.at, e.actor, e.action, e.entity_id, _changed(e.action, e.detail or {}))
                for e in entries]


def _changed(action: str, detail: dict) -> int | None:
    if action == "import":
        return sum(sum(detail.get(kind, {}).values()) for kind in ("inserted", "updated", "deleted"))
    if action == "refused":
        return detail.get("problems")
    return None
