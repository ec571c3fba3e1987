"""The marking queue (阅卷任务队列): open it, register markers, lease, submit, release, reclaim.

Concurrency contract (many markers pull and submit at once):
- `lease_next` is one statement, UPDATE … WHERE task_id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING, one round trip on PostgreSQL (autocommit; the lease's commit does not wait for the
  WAL flush: a lease lost in a crash is harmless). On SQLite the same statement runs under
  BEGIN IMMEDIATE (writers serialised; within a process a lock per database keeps threads off
  SQLite's busy loop).
- `submit_mark` is one transaction: it marks the task done only if this marker holds it, inserts the
  mark (unique per task, so a retried submit counts once; unique per script and marker, so nobody
  marks a script twice), counts it on the script row (row lock: exactly one submitter sees the
  script complete) and, when complete, resolves it: final scores, or a third-mark or arbitration
  task. On PostgreSQL it is sent as a pipeline: two round trips, durable commit.
- A lease that is not submitted within `lease_seconds` returns to the queue (`reclaim_expired_leases`,
  also run by `lease_next` at most every `reclaim_interval_seconds` per process and exam).
- A marker never gets a task whose script is from their own school, nor a script they already hold
  or marked.

The lease and submit statements are plain SQL on the driver connection (`marking.sql`). The queue
functions run their own transaction on the session they are given (anything it has pending is
committed first). `open_marking` and `register_markers` run in the caller's transaction, like the
other import functions.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine, Table, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bundle.problems import BundleError, Problem
from marking.paper import paper_entries, subjective_groups
from marking.policy import MarkingPolicy, load_policy
from marking import sql as sql_text
from marking.rules import (REGULAR_KINDS, InvalidScores, ItemStandard, MarkRecord, Resolution, check_scores,
                           resolve_script)
from marking.sql import Driver
from models.district import Student, Teacher
from models.exams import Response
from models.marking import Marker, MarkingGroup, MarkingMark, MarkingScript, MarkingTask

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


def _driver_integrity_errors() -> tuple[type[BaseException], ...]:
    """The drivers' own integrity errors (the hot path runs SQL on the driver connection)."""
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.IntegrityError]
    try:
        import psycopg

        errors.append(psycopg.IntegrityError)
    except ImportError:  # PostgreSQL driver not installed: SQLite only
        pass
    return tuple(errors)


_DriverIntegrityErrors = _driver_integrity_errors()
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


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


# --- transactions -------------------------------------------------------------------------

_sqlite_locks: dict[str, threading.Lock] = {}
_sqlite_locks_guard = threading.Lock()


def _sqlite_lock(url: str) -> threading.Lock:
    with _sqlite_locks_guard:
        return _sqlite_locks.setdefault(url, threading.Lock())


_url_names: dict[Engine, str] = {}


def _url(session: Session) -> str:
    """The session's database URL as text (cached: it keys caches and the SQLite lock)."""
    engine = session.get_bind().engine
    name = _url_names.get(engine)
    if name is None:
        name = _url_names[engine] = str(engine.url)
    return name


@contextmanager
def _driver_connection(session: Session) -> Iterator[Any]:
    """The session's driver connection for one unit of work, left idle (no open transaction) after.

    A session bound to one connection (a marker thread's own) lends it directly; a session bound
    to an engine checks one out of the engine's pool for the call. Either way the session's own
    transaction bookkeeping is skipped: the hot path leaves the connection as it found it, idle.
    """
    if session.in_transaction():
        session.commit()  # a read-only transaction left open by the caller
    bind = session.get_bind()
    if isinstance(bind, Connection):
        yield bind.connection.driver_connection
        return
    pooled = bind.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        pooled.close()  # back to the pool


@contextmanager
def _writing(session: Session, *, single_statement: bool = False) -> Iterator[Driver]:
    """One write transaction on the session's driver connection, committed on success.

    SQLite: BEGIN IMMEDIATE takes the write lock up front (no upgrade deadlocks between readers
    turning writers), and a per-process lock per database keeps threads off SQLite's busy loop.
    PostgreSQL, `single_statement=True`: the one statement runs in autocommit mode, as its own
    transaction, saving the BEGIN and COMMIT round trips.
    """
    dialect = session.get_bind().dialect.name
    if session.in_transaction():
        session.commit()  # before waiting for the lock: never hold a pooled connection while waiting
    if dialect == "sqlite":
        with _sqlite_lock(_url(session)), _driver_connection(session) as raw:
            driver = Driver(raw, "sqlite")
            try:
                driver.execute("BEGIN IMMEDIATE")
                yield driver
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
        return
    with _driver_connection(session) as raw:
        driver = Driver(raw, dialect)
        if raw.info.transaction_status != _PG_IDLE:
            raw.rollback()  # only a pool ping can have left a transaction open here
        autocommit = single_statement
        raw.autocommit = autocommit
        try:
            yield driver
            if not autocommit:
                raw.commit()
        except BaseException:
            if autocommit and raw.info.transaction_status != _PG_IDLE:
                raw.execute("ROLLBACK")
            elif not autocommit:
                raw.rollback()
            raise
        finally:
            raw.autocommit = False


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


# --- opening the queue ----------------------------------------------------------------------

@dataclass
class OpenReport:
    groups: list[tuple[str, str]] = field(default_factory=list)  # (subject, item_group)
    scripts: int = 0  # scripts created now
    tasks: int = 0
    double_marked: int = 0
    already_open: int = 0  # scripts that existed before


def _unit_hash(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def _new_codes(count: int, taken: set[str]) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = secrets.token_hex(6).upper()
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def open_marking(session: Session, exam_id: str, *, policy: MarkingPolicy | None = None, seed: int = 0,
                 subjects: Sequence[str] | None = None) -> OpenReport:
    """Open the queue from Responses and the approved/locked papers' subjective items.

    One anonymous script per student who sat the subject and item group, with one task per mark it
    needs (double marking for a `double_share` of scripts, drawn by a seeded hash). Idempotent: run
    again after more responses arrive, it adds only the new scripts. The group's marking standard
    (max, step, tolerance) is frozen on first open.
    """
    from marking.assist_store import clear_assist_cache

    policy = policy or load_policy()
    _group_cache.clear()
    clear_assist_cache()
    now = time.time()
    report = OpenReport()
    groups = subjective_groups(paper_entries(session, exam_id, subjects))
    existing_groups = {(g.subject, g.item_group): g for g in session.scalars(
        select(MarkingGroup).where(MarkingGroup.exam_id == exam_id))}
    for (subject, name), entries in groups.items():
        report.groups.append((subject, name))
        if (subject, name) not in existing_groups:
            session.add(MarkingGroup(exam_id=exam_id, subject=subject, item_group=name,
                                     items=[e.standard(policy.double).to_dict() for e in entries],
                                     double_share=policy.double.double_share, opened_at=now))
    session.flush()
    sat = session.execute(
        select(Response.student_id, Response.subject, Student.school_id)
        .join(Student, Student.student_id == Response.student_id)
        .where(Response.exam_id == exam_id).distinct()).tuples().all()
    existing = set(session.execute(select(MarkingScript.student_id, MarkingScript.subject, MarkingScript.item_group)
                                   .where(MarkingScript.exam_id == exam_id)).tuples().all())
    report.already_open = len(existing)
    taken = set(session.scalars(select(MarkingScript.code).where(MarkingScript.exam_id == exam_id)))
    new_scripts: list[dict] = []
    for student_id, subject, school_id in sorted(sat):
        for (group_subject, name) in groups:
            if group_subject != subject or (student_id, subject, name) in existing:
                continue
            share = existing_groups[(subject, name)].double_share if (subject, name) in existing_groups \
                else policy.double.double_share
            double = _unit_hash(seed, exam_id, subject, name, student_id) < share
            new_scripts.append({"exam_id": exam_id, "subject": subject, "item_group": name, "student_id": student_id,
                                "school_id": school_id, "marks_needed": 2 if double else 1, "marks_done": 0,
                                "status": "marking"})
    # Queue order is a seeded shuffle, not student order: student ids group by school, and a queue
    # that runs school by school would make a marker of that school skip hundreds of scripts on
    # every lease (and would tell markers which school a run of scripts came from).
    new_scripts.sort(key=lambda s: _unit_hash(seed, "order", exam_id, s["subject"], s["item_group"], s["student_id"]))
    for script, code in zip(new_scripts, _new_codes(len(new_scripts), taken)):
        script["code"] = code
    # A script's place in its group's queue continues after the scripts opened earlier.
    placed = Counter((subject, name) for _, subject, name in existing)
    lag = policy.queue.second_mark_lag
    for start in range(0, len(new_scripts), 2000):
        chunk = new_scripts[start:start + 2000]
        ids = session.execute(insert(SCRIPTS).returning(SCRIPTS.c.script_id, sort_by_parameter_order=True),
                              chunk).scalars().all()
        tasks = []
        for script, script_id in zip(chunk, ids):
            group = (script["subject"], script["item_group"])
            place = placed[group]
            placed[group] += 1
            orders = {"first": 2 * place, "second": 2 * (place + lag) + 1}
            kinds = ("first", "second") if script["marks_needed"] == 2 else ("first",)
            tasks += [{"script_id": script_id, "exam_id": exam_id, "subject": script["subject"],
                       "item_group": script["item_group"], "school_id": script["school_id"], "code": script["code"],
                       "kind": kind, "priority": _PRIORITY[kind], "queue_order": orders[kind], "state": "waiting",
                       "lease_count": 0, "items": None, "created_at": now} for kind in kinds]
        session.execute(insert(TASKS), tasks)
        report.tasks += len(tasks)
    report.scripts = len(new_scripts)
    report.double_marked = sum(1 for s in new_scripts if s["marks_needed"] == 2)
    session.flush()
    return report


# --- markers ----------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_markers(session: Session, exam_id: str, plan: pd.DataFrame, *, source: str = "marking.csv") -> pd.DataFrame:
    """Register the marking plan's teachers for the exam and issue each a login token.

    `plan` has the marking.csv shape (exam_id, subject, item_group, teacher_id, teacher_school_id,
    role) or (teacher_id, school_id, subject, item_group, role); the school defaults to the
    teacher's. Re-registering a teacher moves them and issues a new token. Returns teacher_id,
    subject, item_group, role, school_id, token (the only time the token is shown). Problems are
    reported by row (header row 1) and nothing is registered.
    """
    groups = {(g.subject, g.item_group) for g in session.scalars(select(MarkingGroup).where(
        MarkingGroup.exam_id == exam_id))}
    groups |= set(subjective_groups(paper_entries(session, exam_id)))
    teacher_school = dict(session.execute(select(Teacher.teacher_id, Teacher.school_id)).tuples().all())
    school_column = "teacher_school_id" if "teacher_school_id" in plan.columns else "school_id"
    problems: list[Problem] = []
    for column in ("teacher_id", "subject", "item_group", "role"):
        if column not in plan.columns:
            problems.append(Problem(source, 1, column, f"缺少列 {column}", f"missing column {column}"))
    if problems:
        raise BundleError(problems)
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for offset, record in enumerate(plan.to_dict("records")):
        row = offset + 2
        teacher = str(record["teacher_id"]).strip()
        subject, group, role = str(record["subject"]).strip(), str(record["item_group"]).strip(), \
            str(record["role"]).strip()
        if "exam_id" in plan.columns and str(record["exam_id"]).strip() not in ("", exam_id):
            continue  # the plan may list several exams
        school = record.get(school_column) if school_column in plan.columns else None
        school = str(school).strip() if school is not None and not pd.isna(school) and str(school).strip() else None
        if teacher not in teacher_school:
            problems.append(Problem(source, row, "teacher_id", f"未知的教师 {teacher}", f"unknown teacher {teacher}"))
            continue
        if teacher in seen:
            problems.append(Problem(source, row, "teacher_id", f"教师 {teacher} 已在第 {seen[teacher]} 行出现",
                                    f"teacher {teacher} already at row {seen[teacher]}"))
            continue
        seen[teacher] = row
        if (subject, group) not in groups:
            problems.append(Problem(source, row, "item_group", f"本次考试没有{subject}题组 {group}",
                                    f"the exam has no {subject} item group {group}"))
        if role not in ROLES:
            problems.append(Problem(source, row, "role", f"角色应为 leader 或 marker，不是 {role}",
                                    f"role must be leader or marker, not {role}"))
        rows.append({"teacher_id": teacher, "subject": subject, "item_group": group, "role": role,
                     "school_id": school or teacher_school[teacher]})
    if problems:
        raise BundleError(problems)
    now = time.time()
    registered = {m.teacher_id: m for m in session.scalars(select(Marker).where(Marker.exam_id == exam_id))}
    out = []
    for entry in rows:
        token = secrets.token_urlsafe(18)
        marker = registered.get(entry["teacher_id"])
        if marker is None:
            marker = Marker(exam_id=exam_id, teacher_id=entry["teacher_id"])
            session.add(marker)
        marker.school_id, marker.subject, marker.item_group, marker.role = (
            entry["school_id"], entry["subject"], entry["item_group"], entry["role"])
        marker.token_hash, marker.issued_at = token_hash(token), now
        out.append({**entry, "token": token})
    session.flush()
    from marking.assist_store import clear_assist_cache

    clear_assist_cache()  # the fill-ins of a best-effort plan follow who is registered
    return pd.DataFrame(out, columns=["teacher_id", "subject", "item_group", "role", "school_id", "token"])


def _ref(marker: Marker) -> MarkerRef:
    return MarkerRef(marker.exam_id, marker.teacher_id, marker.school_id, marker.subject, marker.item_group,
                     marker.role)


def marker_by_token(session: Session, token: str) -> MarkerRef | None:
    marker = session.scalars(select(Marker).where(Marker.token_hash == token_hash(token))).one_or_none()
    return None if marker is None else _ref(marker)


def get_marker(session: Session, exam_id: str, teacher_id: str) -> MarkerRef:
    marker = session.get(Marker, (exam_id, teacher_id))
    if marker is None:
        raise NotFound(f"teacher {teacher_id} is not registered to mark exam {exam_id}")
    return _ref(marker)


def markers(session: Session, exam_id: str) -> list[MarkerRef]:
    return [_ref(m) for m in session.scalars(select(Marker).where(Marker.exam_id == exam_id)
                                             .order_by(Marker.teacher_id))]


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
        return bool(db.execute(sql, {"task": task_id, "marker": marker.teacher_id}).rowcount)


def submit_mark(session: Session, marker: MarkerRef, task_id: int, scores: Mapping[str, float], *,
                policy: MarkingPolicy | None = None, now: float | None = None,
                seconds: float | None = None) -> SubmitResult:
    """Record this marker's mark for a task it holds, in one transaction; idempotent for a retried submit.

    Raises `InvalidScores` (scores do not fit the items), `LeaseLost` (the task is not this
    marker's any more) or `AlreadyMarked`. `seconds` is the working time the client reports
    (default: since the lease).
    """
    policy = policy or load_policy()
    marker = _acting_for(session, marker, task_id)
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    clean = check_scores(items, scores, subset=True)  # values checked before anything is written
    now = time.time() if now is None else now
    submission = _Submission(marker, task_id, clean, items, policy, now, seconds)
    try:
        if session.get_bind().dialect.name == "postgresql":
            return _submit_postgres(session, submission)
        with _writing(session) as db:
            return _submit_sqlite(db, submission)
    except _NotHeld:
        pass
    except IntegrityError as error:
        if _is_duplicate_marker(error):
            # This marker already marked the script under another task: give this one back.
            _release_any(session, marker, task_id)
            raise AlreadyMarked(f"teacher {marker.teacher_id} already marked this script") from error
        raise
    return _earlier_submit(session, marker, task_id)


def _is_duplicate_marker(error: Exception) -> bool:
    message = str(getattr(error, "orig", None) or error)
    return "uq_marking_mark_script_id" in message or "marking_mark.marker_id" in message


class _NotHeld(Exception):
    pass


@dataclass(frozen=True)
class _Submission:
    marker: MarkerRef
    task_id: int
    clean: dict[str, float]
    items: tuple[ItemStandard, ...]
    policy: MarkingPolicy
    now: float
    seconds: float | None

    def params(self, db: Driver) -> dict:
        return {"task": self.task_id, "marker": self.marker.teacher_id, "exam": self.marker.exam_id,
                "now": self.now, "scores": db.json(self.clean), "total": round(sum(self.clean.values()), 6),
                "seconds": self.seconds}


@dataclass(frozen=True)
class _Taken:
    """The task as the submit statement took it, and the mark it inserted."""

    script_id: int
    kind: str
    wanted: list | None  # item ids the task asks for (None: all)
    school_id: str
    code: str
    mark_id: int
    marks_done: int
    marks_needed: int
    subject: str
    item_group: str


def _check_taken(taken: _Taken, sub: _Submission) -> None:
    """Refuse (the transaction is then rolled back) another group's task or scores for the wrong items."""
    if (taken.subject, taken.item_group) != (sub.marker.subject, sub.marker.item_group):
        raise _NotHeld()  # markers see only their own group's work
    required = _items_for(sub.items, taken.wanted)
    if set(sub.clean) != {i.item_id for i in required}:
        raise InvalidScores(f"scores must be given for exactly the items {[i.item_id for i in required]}")


def _complete(taken: _Taken) -> bool:
    return taken.kind not in REGULAR_KINDS or taken.marks_done >= taken.marks_needed


def _resolve(db: Driver, taken: _Taken, mark_rows, sub: _Submission) -> SubmitResult:
    """Resolve a script whose marks are all in; queue the writes on `db`."""
    needed = taken.marks_needed if taken.kind in REGULAR_KINDS else 2  # third and arbitration follow double
    marks = [MarkRecord(m_id, m_kind, Driver.loads(m_scores), m_marker) for m_id, m_kind, m_scores, m_marker in mark_rows]
    resolution = resolve_script(sub.items, marks, needed, sub.policy.double)
    _apply(db, sub.marker, taken.script_id, taken.school_id, taken.code, resolution, sub.now)
    return SubmitResult(taken.mark_id, sub.task_id, taken.script_id, taken.kind, resolution.status)


def _sync_quietly(pipeline) -> None:  # noqa: ANN001
    try:
        pipeline.sync()
    except Exception:  # noqa: BLE001  (the error that aborted the pipeline is already in hand)
        pass


def _submit_sqlite(db: Driver, sub: _Submission) -> SubmitResult:
    """SQLite: take, insert, count, and resolve if complete, under BEGIN IMMEDIATE."""
    params = sub.params(db)
    try:
        row = db.execute(sql_text.SUBMIT_SQLITE_TAKE, params).fetchone()
        if row is None:
            raise _NotHeld()
        script_id, kind, wanted, leased_at, school_id, code, subject, group = row
        worked = sub.seconds if sub.seconds is not None else (sub.now - leased_at if leased_at is not None else None)
        mark_id = db.execute(sql_text.SUBMIT_SQLITE_MARK, {
            **params, "script": script_id, "kind": kind, "leased_at": leased_at, "seconds": worked}).fetchone()[0]
        marks_done, marks_needed = db.execute(sql_text.SUBMIT_SQLITE_COUNT, {
            "script": script_id, "increment": 1 if kind in REGULAR_KINDS else 0}).fetchone()
    except _DriverIntegrityErrors as error:
        raise IntegrityError(None, None, error) from error
    taken = _Taken(script_id, kind, Driver.loads(wanted), school_id, code, mark_id, marks_done, marks_needed,
                   subject, group)
    _check_taken(taken, sub)
    if not _complete(taken):
        return SubmitResult(mark_id, sub.task_id, script_id, kind, "marking")
    return _resolve(db, taken, db.execute(sql_text.SCRIPT_MARKS, {"script": script_id}).fetchall(), sub)


def _submit_postgres(session: Session, sub: _Submission) -> SubmitResult:
    """PostgreSQL: one transaction in two round trips, sent as a pipeline.

    Round trip 1: BEGIN, the submit statement (take task, insert mark, count it) and the script's
    marks. Round trip 2: the resolution's writes, if the script is complete, and COMMIT (or
    ROLLBACK). The driver runs in autocommit mode meanwhile so that the explicit BEGIN/COMMIT are
    ours and pipelined, not sent one by one.
    """
    with _driver_connection(session) as raw:
        return _submit_postgres_on(raw, sub)


def _submit_postgres_on(raw, sub: _Submission) -> SubmitResult:  # noqa: ANN001
    if raw.info.transaction_status != _PG_IDLE:
        raw.rollback()  # only a pool ping can have left a transaction open here
    db = Driver(raw, "postgresql")
    failure: BaseException | None = None
    result: SubmitResult | None = None
    raw.autocommit = True
    try:
        with raw.pipeline() as pipeline:
            try:
                db.execute("BEGIN")
                submitted = db.execute(sql_text.SUBMIT_POSTGRES, sub.params(db))
                marks = db.execute(sql_text.TASK_SCRIPT_MARKS, {"task": sub.task_id})
                row = submitted.fetchone()  # the first round trip
                if row is None:
                    raise _NotHeld()
                taken = _Taken(row[0], row[1], Driver.loads(row[2]), *row[3:])
                _check_taken(taken, sub)
                if _complete(taken):
                    result = _resolve(db, taken, marks.fetchall(), sub)
                else:
                    result = SubmitResult(taken.mark_id, sub.task_id, taken.script_id, taken.kind, "marking")
                db.execute("COMMIT")
            except (_NotHeld, InvalidScores) as error:
                failure = error
                db.execute("ROLLBACK")
            except BaseException as error:  # e.g. the unique mark per script and marker
                failure = error
                _sync_quietly(pipeline)  # leave the aborted pipeline; rolled back below
    except BaseException as error:  # raised when the pipeline ends (a failed COMMIT)
        failure = failure or error
    finally:
        if raw.info.transaction_status != _PG_IDLE:
            raw.execute("ROLLBACK")
        raw.autocommit = False
    if isinstance(failure, _DriverIntegrityErrors):
        failure = IntegrityError(None, None, failure)
    if failure is not None:
        raise failure
    assert result is not None  # set by the submit whenever nothing failed
    return result


def _apply(db: Driver, marker: MarkerRef, script_id: int, school_id: str, code: str, resolution: Resolution,
           now: float) -> None:
    """Write what the resolution says: final scores, or the next task."""
    if resolution.status == "final":
        db.execute(sql_text.SCRIPT_FINAL, {
            "script": script_id, "agreed": resolution.agreed, "source": resolution.source,
            "finals": db.json(resolution.finals), "sources": db.json(resolution.sources),
            "used": db.json(resolution.marks_used), "now": now})
    elif resolution.status in ("third", "arbitration"):
        db.execute(sql_text.SCRIPT_STATUS, {"script": script_id, "status": resolution.status,
                                            "agreed": resolution.agreed})
        db.execute(sql_text.NEW_TASK, {
            "script": script_id, "exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
            "school": school_id, "code": code, "kind": resolution.status, "priority": _PRIORITY[resolution.status],
            "items": db.json(list(resolution.pending_items)), "now": now})


def _earlier_submit(session: Session, marker: MarkerRef, task_id: int) -> SubmitResult:
    """The task is not held: a retried submit of a mark that already counted, or a lost lease."""
    row = session.execute(select(MARKS.c.mark_id, MARKS.c.marker_id, MARKS.c.script_id, MARKS.c.kind,
                                 SCRIPTS.c.status)
                          .join(SCRIPTS, SCRIPTS.c.script_id == MARKS.c.script_id)
                          .where(MARKS.c.task_id == task_id)).first()
    session.commit()
    if row is not None and row.marker_id == marker.teacher_id:
        return SubmitResult(row.mark_id, task_id, row.script_id, row.kind, row.status, duplicate=True)
    raise LeaseLost(f"task {task_id} is not leased to teacher {marker.teacher_id} (expired and taken, "
                    f"or another group's task)")


def _release_any(session: Session, marker: MarkerRef, task_id: int) -> None:
    with _writing(session) as db:
        db.execute(sql_text.RELEASE.format(state_condition="<> 'done'"),
                   {"task": task_id, "marker": marker.teacher_id})


# --- views for clients ------------------------------------------------------------------------------

def script_answers(session: Session, script_id: int, items: Sequence[ItemStandard]) -> dict[str, str | None]:
    """The script's answers (scan references or text) for these items; no student or school."""
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
