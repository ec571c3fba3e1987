"""Bundle tables in and out of the database: upsert by ids in one transaction, export in contract form."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bundle.problems import BundleError, Problem
from bundle.spec import INPUT_BY_NAME
from models import audit
from models.base import Base
from models.district import (ClassTeacher, Cluster, Distance, District, Researcher, Room, School, SchoolClass,
                             Student, Teacher, TeachingNeed, Term, Unavailability)
from models.exams import Exam, ExamSession, Item, ItemUsage

# Bundle file → table, in foreign-key order (parents first).
TABLE_OF_FILE: dict[str, type[Base]] = {
    "clusters": Cluster,
    "schools": School,
    "teachers": Teacher,
    "rooms": Room,
    "classes": SchoolClass,
    "class_teachers": ClassTeacher,
    "students": Student,
    "needs": TeachingNeed,
    "unavailability": Unavailability,
    "distances": Distance,
    "exams": Exam,
    "exam_sessions": ExamSession,
    "items": Item,
    "item_usage": ItemUsage,
    "researchers": Researcher,
}
DEFAULT_DISTRICT_ID = "district"
_CHUNK = 500


@dataclass
class ImportReport:
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values()) + sum(self.deleted.values())

    def to_frame(self) -> pd.DataFrame:
        names = [n for n in TABLE_OF_FILE if n in self.inserted]
        return pd.DataFrame({"file": names, "inserted": [self.inserted[n] for n in names],
                             "updated": [self.updated[n] for n in names], "deleted": [self.deleted[n] for n in names]})


def _native(value: object) -> object:
    """Plain Python values for the database (no pandas NA, numpy scalars or NaN)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        return value.item()  # type: ignore[union-attr]
    if isinstance(value, tuple):
        return list(value)
    return value


def _records(name: str, frame: pd.DataFrame, district_id: str) -> list[dict]:
    model = TABLE_OF_FILE[name]
    columns = [c.key for c in model.__table__.columns]
    present = [c for c in frame.columns if c in columns]
    records = [{c: _native(v) for c, v in zip(present, row)} for row in frame[present].itertuples(index=False)]
    if name == "clusters":
        for record in records:
            record["district_id"] = district_id
    if name == "unavailability":
        for record in records:
            record["session_id"] = record.get("session_id") or ""  # whole day
    if name in ("teachers", "researchers"):
        for record in records:
            record["grades"] = record.get("grades") or []
    if name == "items":
        for record in records:
            record["enemies"] = record.get("enemies") or []
    return records


def _primary_key(model: type[Base]) -> list[str]:
    return [c.key for c in model.__table__.primary_key.columns]


def _upsert(session: Session, name: str, records: list[dict]) -> tuple[int, int]:
    model = TABLE_OF_FILE[name]
    key = _primary_key(model)
    columns = [c.key for c in model.__table__.columns]
    existing = {tuple(row[:len(key)]): dict(zip(columns, row[len(key):]))
                for row in session.execute(select(*[model.__table__.c[k] for k in key],
                                                  *[model.__table__.c[c] for c in columns]))}
    inserts, updates = [], []
    for record in records:
        old = existing.get(tuple(record[k] for k in key))
        if old is None:
            inserts.append(record)
        elif any(old.get(c) != v for c, v in record.items()):
            updates.append(record)
    for start in range(0, len(inserts), 5000):
        session.execute(insert(model), inserts[start:start + 5000])
    if updates:
        session.execute(update(model), updates)
    return len(inserts), len(updates)


def import_tables(session: Session, tables: dict[str, pd.DataFrame], *, district_id: str = DEFAULT_DISTRICT_ID,
                  district_name: str | None = None, prune: bool = True, source: str = "bundle") -> ImportReport:
    """Upsert validated bundle tables by their ids; rows missing from a present file are deleted.

    Runs inside the caller's transaction: if anything fails, the caller's rollback leaves the
    database exactly as it was.
    """
    report = ImportReport()
    district = session.get(District, district_id)
    if district is None:
        session.add(District(district_id=district_id, name=district_name or district_id))
    elif district_name and district.name != district_name:
        district.name = district_name
    session.flush()
    present = [name for name in TABLE_OF_FILE if name in tables]
    records = {name: _records(name, tables[name], district_id) for name in present}
    # Children first for deletions, parents first for insertions: two passes.
    try:
        for name in reversed(present):
            report.deleted[name] = _prune(session, name, records[name]) if prune else 0
        for name in present:
            report.inserted[name], report.updated[name] = _upsert(session, name, records[name])
        _upsert_terms(session, tables.get("exams"))
        session.flush()
    except IntegrityError as error:
        raise BundleError([Problem(source, None, None,
                                   f"数据库拒绝了这次导入（可能删除了仍被成绩或计划引用的记录）：{error.orig}",
                                   f"the database refused the import (perhaps a removed row is still referenced "
                                   f"by scores or plans): {error.orig}")]) from error
    audit.record(session, "import", "bundle", source,
                 {"inserted": report.inserted, "updated": report.updated, "deleted": report.deleted})
    return report


def _prune(session: Session, name: str, records: list[dict]) -> int:
    """Delete rows of this table that the bundle no longer has; returns how many."""
    model = TABLE_OF_FILE[name]
    key = _primary_key(model)
    incoming = {tuple(r[k] for k in key) for r in records}
    existing = [tuple(row) for row in session.execute(select(*[model.__table__.c[k] for k in key]))]
    stale = [pk for pk in existing if pk not in incoming]
    for start in range(0, len(stale), _CHUNK):
        chunk = stale[start:start + _CHUNK]
        session.execute(delete(model).where(tuple_(*[model.__table__.c[k] for k in key]).in_(chunk)))
    return len(stale)


def _upsert_terms(session: Session, exams: pd.DataFrame | None) -> None:
    if exams is None or exams.empty:
        return
    for school_year, term in {(int(y), int(t)) for y, t in zip(exams["school_year"], exams["term"])}:
        term_id = f"{school_year}-{term}"
        if session.get(Term, term_id) is None:
            session.add(Term(term_id=term_id, school_year=school_year, term=term))


def export_tables(session: Session, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """The district's tables in bundle form (contract columns, typed values, sorted by key)."""
    out: dict[str, pd.DataFrame] = {}
    for name, model in TABLE_OF_FILE.items():
        if names is not None and name not in names:
            continue
        spec = INPUT_BY_NAME[name]
        table = model.__table__
        columns = [c for c in spec.column_names if c in table.c]
        rows = session.execute(select(*[table.c[c] for c in columns])).all()
        if not rows and not spec.required:
            continue
        frame = pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)
        if name == "unavailability" and len(frame):
            frame["session_id"] = frame["session_id"].map(lambda s: s or None)
        out[name] = frame
    return out
