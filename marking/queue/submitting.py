"""Submitting a mark (提交评分): one transaction that counts the mark and resolves the script."""
from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy, load_policy
from marking import sql as sql_text
from marking.rules import (EPS, REGULAR_KINDS, InvalidScores, ItemStandard, MarkRecord, Resolution, check_scores,
                           resolve_script)
from marking.sql import Driver

from .connection import _PG_IDLE, _driver_connection, _DriverIntegrityErrors, _writing
from .leasing import _acting_for
from .quality_store import after_mark, bump_clock, submit_check
from .records import (_PRIORITY, MARKS, SCRIPTS, AlreadyMarked, LeaseLost, MarkerRef, SubmitResult, _items_for,
                      group_items)


def submit_mark(session: Session, marker: MarkerRef, task_id: int, scores: Mapping[str, float], *,
                policy: MarkingPolicy | None = None, now: float | None = None,
                seconds: float | None = None) -> SubmitResult:
    """Record this marker's mark for a task it holds, in one transaction; idempotent for a retried submit.

    Raises `InvalidScores` (scores do not fit the items), `LeaseLost` (the task is not this
    marker's any more) or `AlreadyMarked`. `seconds` is the working time the client reports
    (default: since the lease).
    """
    policy = policy or load_policy()
    own = marker  # the marker's own group (quality checks stay in it)
    marker = _acting_for(session, marker, task_id)
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    clean = check_scores(items, scores, subset=True)  # values checked before anything is written
    now = time.time() if now is None else now
    submission = _Submission(marker, task_id, clean, items, policy, now, seconds)
    result: SubmitResult | None = None
    try:
        if session.get_bind().dialect.name == "postgresql":
            result = _submit_postgres(session, submission)
        else:
            with _writing(session) as db:
                result = _submit_sqlite(db, submission)
    except _NotHeld:
        pass
    except IntegrityError as error:
        if _is_duplicate_marker(error):
            # This marker already marked the script under another task: give this one back.
            _release_any(session, marker, task_id)
            raise AlreadyMarked(f"teacher {marker.teacher_id} already marked this script") from error
        raise
    # Quality control (marking/queue/quality_store.py): a counted mark may schedule a 回评 or a standard
    # script; a task id that is none of the queue's may be one of the marker's checks (trial, 回评, standard).
    if result is not None:
        if marker == own:
            after_mark(session, marker, result, clean, policy)
        else:  # a fill-in for another group (marking/assist.py): no checks there
            bump_clock(session, marker.exam_id, result.mark_id)
        return result
    checked = submit_check(session, marker, task_id, clean, policy=policy, now=now, seconds=seconds)
    if checked is not None:
        return checked
    return _earlier_submit(session, marker, task_id)


# XUEQU_MARK_COMMIT=fast: a mark's commit does not wait for PostgreSQL to flush it to disk (fsync).
# Faster under a slow or shared disk; the price: if the database server itself crashes, the marks of
# its last moments (well under a second) are lost as whole transactions and those scripts are marked
# again (their tasks return to the queue). Default "durable": a mark is on disk when the marker sees it saved.
_DURABLE_MARKS = os.environ.get("XUEQU_MARK_COMMIT", "durable").strip().lower() != "fast"


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


def _pairs_now(taken: _Taken) -> bool:
    """Whether this mark may be the second regular mark of its script (then the pair is recorded)."""
    return taken.kind in REGULAR_KINDS and taken.marks_done >= 2


def _record_pair(db: Driver, taken: _Taken, mark_rows, sub: _Submission) -> None:
    """The script's two regular marks, when this mark is one of exactly two: agreement and deviations.

    Same rule as marking/progress.py's full computation: every item of the group within its
    tolerance; the deviation is a mark's total minus the partner's.
    """
    regular = [row for row in mark_rows if row[1] in REGULAR_KINDS]
    if len(regular) != 2 or taken.mark_id not in (regular[0][0], regular[1][0]):
        return
    (first_id, _, first_scores, _, first_total), (second_id, _, second_scores, _, second_total) = regular
    first_scores, second_scores = Driver.loads(first_scores), Driver.loads(second_scores)
    agreed = all(abs(float(first_scores[i.item_id]) - float(second_scores[i.item_id])) <= i.tolerance + EPS
                 for i in sub.items)
    db.execute(sql_text.PAIR, {"agreed": agreed, "first": first_id, "second": second_id,
                               "first_deviation": first_total - second_total,
                               "second_deviation": second_total - first_total})


def _resolve(db: Driver, taken: _Taken, mark_rows, sub: _Submission) -> SubmitResult:
    """Resolve a script whose marks are all in; queue the writes on `db`."""
    needed = taken.marks_needed if taken.kind in REGULAR_KINDS else 2  # third and arbitration follow double
    marks = [MarkRecord(m_id, m_kind, Driver.loads(m_scores), m_marker) for m_id, m_kind, m_scores, m_marker, _ in mark_rows]
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
            **params, "script": script_id, "kind": kind, "leased_at": leased_at, "seconds": worked,
            "subject": subject, "item_group": group}).fetchone()[0]
        marks_done, marks_needed = db.execute(sql_text.SUBMIT_SQLITE_COUNT, {
            "script": script_id, "increment": 1 if kind in REGULAR_KINDS else 0}).fetchone()
    except _DriverIntegrityErrors as error:
        raise IntegrityError(None, None, error) from error
    taken = _Taken(script_id, kind, Driver.loads(wanted), school_id, code, mark_id, marks_done, marks_needed,
                   subject, group)
    _check_taken(taken, sub)
    if not _complete(taken) and not _pairs_now(taken):
        return SubmitResult(mark_id, sub.task_id, script_id, kind, "marking")
    mark_rows = db.execute(sql_text.SCRIPT_MARKS, {"script": script_id}).fetchall()
    if _pairs_now(taken):
        _record_pair(db, taken, mark_rows, sub)
    if not _complete(taken):
        return SubmitResult(mark_id, sub.task_id, script_id, kind, "marking")
    return _resolve(db, taken, mark_rows, sub)


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
                if not _DURABLE_MARKS:  # this transaction's commit does not wait for the WAL flush
                    db.execute(sql_text.ASYNC_COMMIT)
                submitted = db.execute(sql_text.SUBMIT_POSTGRES, sub.params(db))
                marks = db.execute(sql_text.TASK_SCRIPT_MARKS, {"task": sub.task_id})
                row = submitted.fetchone()  # the first round trip
                if row is None:
                    raise _NotHeld()
                taken = _Taken(row[0], row[1], Driver.loads(row[2]), *row[3:])
                _check_taken(taken, sub)
                mark_rows = marks.fetchall()
                if _pairs_now(taken):
                    _record_pair(db, taken, mark_rows, sub)
                if _complete(taken):
                    result = _resolve(db, taken, mark_rows, sub)
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
