"""Bundle tables in and out of the database: upsert by ids in one transaction, export in contract form."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import pandas as pd
from sqlalchemy import Table, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from bundle.guard import DeletePolicy, mass_delete_problem, needs_consent
from bundle.problems import BundleError, Problem
from bundle.spec import INPUT_BY_NAME
from models import audit
from models.db import open_write_transaction
from models.base import Base
from models.district import (ClassTeacher, Cluster, Distance, District, Researcher, Room, School, SchoolClass,
                             Student, Teacher, TeachingNeed, Term, Unavailability)
from models.calendar import Facility, FacilityRequest
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
    "facilities": Facility,
    "facility_requests": FacilityRequest,
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
    # An optional column the file did not have keeps what the database holds (a v1 bundle has no gender).
    present = [c for c in frame.columns if c in columns and c not in frame.attrs.get("absent", ())]
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
    if name == "facilities":
        for record in records:
            days = record.get("weekdays") or []
            record["weekdays"] = [int(d) for d in days] if isinstance(days, (list, tuple)) else []
    if name == "items":
        for record in records:
            record["enemies"] = record.get("enemies") or []
    return records


def _primary_key(model: type[Base]) -> list[str]:
    return [c.key for c in cast(Table, model.__table__).primary_key.columns]  # declarative types it a FromClause


def _upsert(session: Session, name: str, records: list[dict]) -> tuple[int, int]:
    """Insert new rows and update changed ones; returns (inserted, updated)."""
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
                  district_name: str | None = None, prune: bool = True, source: str = "bundle",
                  deletes: DeletePolicy | None = None) -> ImportReport:
    """Upsert validated bundle tables by their ids; rows missing from a present file are deleted.

    Runs inside the caller's transaction: if anything fails, the caller's rollback leaves the
    database exactly as it was. Deleting more than `deletes.max_share` of a table is refused
    unless `deletes.allow`; a derived table (exams from exam_sessions.csv) only adds what is
    missing. Any refusal of the database comes back as a `BundleError` naming the file and row.
    """
    deletes = deletes or DeletePolicy()
    report = ImportReport()
    district = session.get(District, district_id)
    if district is None:
        session.add(District(district_id=district_id, name=district_name or district_id))
    elif district_name and district.name != district_name:
        district.name = district_name
    session.flush()
    open_write_transaction(session)  # all or nothing on SQLite too (savepoints below)
    present = [name for name in TABLE_OF_FILE if name in tables]
    derived = {name for name in present if tables[name].attrs.get("derived")}
    records = {name: _records(name, tables[name], district_id) for name in present}
    rows = {name: _user_rows(tables[name]) for name in present}
    stale = {name: _stale_keys(session, name, records[name]) if prune and name not in derived else []
             for name in present}
    refused = []
    for name in present:
        existing = session.execute(select(func.count()).select_from(TABLE_OF_FILE[name])).scalar_one()
        if needs_consent(existing, len(stale[name]), deletes):
            refused.append(mass_delete_problem(name, existing, len(stale[name]), deletes))
    if refused:
        raise BundleError(refused)
    # Parents first for insertions, then children first for deletions. Upserting before deleting lets a
    # bundle move rows off a parent it drops (学区划分: C2's schools move to C1 and C2 goes).
    for name in present:
        upsert = _insert_missing if name in derived else _upsert
        report.inserted[name], report.updated[name] = _guarded(session, name, "upsert", records[name], upsert,
                                                               rows=rows[name])
    for name in reversed(present):
        report.deleted[name] = _guarded(session, name, "delete", stale[name], _delete_keys, rows=None)
    try:
        with session.begin_nested():
            _upsert_terms(session, tables.get("exams"))
            session.flush()
    except (IntegrityError, DataError) as error:
        raise BundleError([_database_problem("exams.csv", None, None, error)]) from error
    audit.record(session, "import", "bundle", source,
                 {"inserted": report.inserted, "updated": report.updated, "deleted": report.deleted})
    return report


def _user_rows(frame: pd.DataFrame) -> list[int | None]:
    """The row each record has in the user's file (set by bundle.validate), or None when unknown."""
    rows = frame.attrs.get("rows")
    return list(rows) if rows is not None and len(rows) == len(frame) else [None] * len(frame)


def _guarded(session: Session, name: str, action: str, items: list, run, *, rows: list | None):
    """Run one table's step in a savepoint; on a database refusal, find the row that caused it.

    The database sees what the validator cannot (a removed student who already has scores, a
    row that another table of the database still references); the refusal is bisected down to
    one record so the message names its file, row and key rather than the SQL.
    """
    try:
        with session.begin_nested():
            result = run(session, name, items)
            session.flush()
            return result
    except (IntegrityError, DataError) as error:
        culprit = _first_failing(session, name, items, run)
        raise BundleError([_culprit_problem(name, action, items, rows, culprit, error)]) from error


def _first_failing(session: Session, name: str, items: list, run) -> int | None:
    """Index of the first item the database refuses on its own (log n savepoints), or None."""
    low, high = 0, len(items)
    if high == 0:
        return None
    while high - low > 1:
        middle = (low + high) // 2
        if _refused(session, name, items[low:middle], run):
            high = middle
        elif _refused(session, name, items[middle:high], run):
            low = middle
        else:
            return None  # only the halves together fail: report the table
    return low if _refused(session, name, items[low:high], run) else None


def _refused(session: Session, name: str, items: list, run) -> bool:
    """Whether the database refuses these items alone; a trial, always rolled back."""
    savepoint = session.begin_nested()
    try:
        run(session, name, items)
        session.flush()
    except (IntegrityError, DataError):
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


def _culprit_problem(name: str, action: str, items: list, rows: list | None, culprit: int | None,
                     error: Exception) -> Problem:
    file = f"{name}.csv"
    model = TABLE_OF_FILE[name]
    key_columns = _primary_key(model)
    if culprit is None:
        return _database_problem(file, None, None, error)
    if action == "delete":
        key = ", ".join(f"{k}={v}" for k, v in zip(key_columns, items[culprit]))
        return Problem(file, None, key_columns[0],
                       f"不能删除 {key}：文件中已没有这一行，但数据库中的成绩、计划或其他记录仍引用它"
                       f"（perhaps a removed row is still referenced）。请在文件中保留这一行",
                       f"cannot delete {key}: the file no longer lists it, but scores, plans or other records "
                       f"in the database still refer to it (a removed row is still referenced); keep the row")
    record = items[culprit]
    key = ", ".join(f"{k}={record.get(k)}" for k in key_columns)
    row = rows[culprit] if rows is not None else None
    return _database_problem(file, row, _column_of(error, record) or key_columns[0], error, key)


def _column_of(error: Exception, record: dict) -> str | None:
    """The column a database message names, when it names one of the record's columns."""
    text = str(getattr(error, "orig", error))
    named = [c for c in record if f'"{c}"' in text or f"({c})" in text or f".{c}" in text]
    return named[0] if named else None


def _database_problem(file: str, row: int | None, column: str | None, error: Exception, key: str = "") -> Problem:
    """A refusal of the database in words: which kind of rule it was, never the SQL text."""
    what = f"（{key}）" if key else ""
    what_en = f" ({key})" if key else ""
    if isinstance(error, IntegrityError):
        return Problem(file, row, column,
                       f"数据库拒绝了这一行{what}：它引用的记录不存在，或与已有记录重复或冲突。请核对编号",
                       f"the database refused this row{what_en}: a record it refers to does not exist, or it "
                       f"duplicates or conflicts with a record already there; check the ids")
    return Problem(file, row, column,
                   f"数据库无法保存这一行{what}：某个值过长、含有不可保存的字符或超出范围",
                   f"the database cannot store this row{what_en}: a value is too long, holds a character it "
                   f"cannot store, or is out of range")


def _stale_keys(session: Session, name: str, records: list[dict]) -> list[tuple]:
    """Keys of this table's rows that the bundle no longer has."""
    model = TABLE_OF_FILE[name]
    key = _primary_key(model)
    incoming = {tuple(r[k] for k in key) for r in records}
    existing = [tuple(row) for row in session.execute(select(*[model.__table__.c[k] for k in key]))]
    return [pk for pk in existing if pk not in incoming]


def _delete_keys(session: Session, name: str, stale: list[tuple]) -> int:
    """Delete these rows of the table; returns how many."""
    model = TABLE_OF_FILE[name]
    columns = [model.__table__.c[k] for k in _primary_key(model)]
    for start in range(0, len(stale), _CHUNK):
        session.execute(delete(model).where(tuple_(*columns).in_(stale[start:start + _CHUNK])))
    return len(stale)


def _insert_missing(session: Session, name: str, records: list[dict]) -> tuple[int, int]:
    """Insert the records whose key the table lacks; never update (derived rows do not overwrite real ones)."""
    model = TABLE_OF_FILE[name]
    key = _primary_key(model)
    existing = {tuple(row) for row in session.execute(select(*[model.__table__.c[k] for k in key]))}
    missing = [r for r in records if tuple(r[k] for k in key) not in existing]
    if missing:
        session.execute(insert(model), missing)
    return len(missing), 0


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
