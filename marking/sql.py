"""The SQL of the marking queue's hot path, written out for both backends and run on the driver.

Lease and submit are the two calls every marker makes hundreds of times, so they run as plain SQL
on the session's driver connection (psycopg or sqlite3) inside the session's transaction: a few
round trips each and no statement building per call. Everything else uses the ORM.

Statements are written with `:name` parameters; for psycopg they become `%(name)s`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

# A task's priority in its group's queue (lower first): third marks and arbitration before new scripts.
TASK_PRIORITY = {"first": 1, "second": 1, "third": 0, "arbitration": 0}

# Lease: the first waiting task of the marker's group, of the kinds it may take, whose script is
# not from the marker's school and not one the marker holds or marked. PostgreSQL locks the chosen
# row and skips rows other markers are locking right now (SKIP LOCKED), so 50 markers never queue
# behind each other; SQLite runs it under BEGIN IMMEDIATE. The one-row `durability` relation sets
# synchronous_commit off for this transaction only: a lease lost in a crash is harmless (the task is
# waiting again and a late submit is refused), while marks keep durable commits.
_LEASE = """
UPDATE marking_task
SET state = 'leased', marker_id = :marker, leased_at = :now, lease_expires_at = :expires,
    lease_count = lease_count + 1
{durability}
WHERE task_id = (
    SELECT candidate.task_id FROM marking_task AS candidate
    WHERE candidate.exam_id = :exam AND candidate.subject = :subject AND candidate.item_group = :item_group
      AND candidate.state = 'waiting' AND candidate.priority BETWEEN {lowest} AND {highest}
      AND candidate.kind IN ({kinds}) AND candidate.school_id <> :school{schools}
      AND NOT EXISTS (SELECT 1 FROM marking_task AS other
                      WHERE other.script_id = candidate.script_id AND other.marker_id = :marker
                        AND other.task_id <> candidate.task_id)
    ORDER BY candidate.priority, candidate.queue_order, candidate.task_id
    LIMIT 1
    {lock})
RETURNING task_id, script_id, code, kind, items
"""

# Submit, PostgreSQL: one statement takes the task (only if this marker holds it), inserts the mark
# (unique per task and per script and marker) and counts it on the script row, whose lock makes
# exactly one of two concurrent submitters see the script complete.
SUBMIT_POSTGRES = """
WITH taken AS (
    UPDATE marking_task SET state = 'done', done_at = :now
    WHERE task_id = :task AND marker_id = :marker AND state IN ('leased', 'waiting') AND exam_id = :exam
    RETURNING script_id, kind, items, leased_at, school_id, code, subject, item_group
), mark AS (
    INSERT INTO marking_mark (task_id, script_id, exam_id, marker_id, kind, scores, total, leased_at, marked_at,
                              seconds, subject, item_group)
    SELECT :task, taken.script_id, :exam, :marker, taken.kind, :scores, :total, taken.leased_at, :now,
           COALESCE(:seconds, :now - taken.leased_at), taken.subject, taken.item_group
    FROM taken
    RETURNING mark_id
), counted AS (
    UPDATE marking_script
    SET marks_done = marking_script.marks_done + CASE WHEN taken.kind IN ('first', 'second') THEN 1 ELSE 0 END
    FROM taken WHERE marking_script.script_id = taken.script_id
    RETURNING marking_script.marks_done, marking_script.marks_needed
)
SELECT taken.script_id, taken.kind, taken.items, taken.school_id, taken.code, (SELECT mark_id FROM mark),
       counted.marks_done, counted.marks_needed, taken.subject, taken.item_group
FROM taken CROSS JOIN counted
"""

# Submit, SQLite: the same three steps as separate statements (writers are serialised anyway).
SUBMIT_SQLITE_TAKE = """
UPDATE marking_task SET state = 'done', done_at = :now
WHERE task_id = :task AND marker_id = :marker AND state IN ('leased', 'waiting') AND exam_id = :exam
RETURNING script_id, kind, items, leased_at, school_id, code, subject, item_group
"""
SUBMIT_SQLITE_MARK = """
INSERT INTO marking_mark (task_id, script_id, exam_id, marker_id, kind, scores, total, leased_at, marked_at, seconds,
                          subject, item_group)
VALUES (:task, :script, :exam, :marker, :kind, :scores, :total, :leased_at, :now, :seconds, :subject, :item_group)
RETURNING mark_id
"""
SUBMIT_SQLITE_COUNT = """
UPDATE marking_script SET marks_done = marks_done + :increment WHERE script_id = :script
RETURNING marks_done, marks_needed
"""

ASYNC_COMMIT = "SELECT set_config('synchronous_commit', 'off', true)"  # this transaction only
SCRIPT_MARKS = "SELECT mark_id, kind, scores, marker_id, total FROM marking_mark WHERE script_id = :script"
# The marks of the script a task belongs to: sent in the same pipeline as the submit statement, it runs
# after it (and after any concurrent submitter it waited for) and so sees every mark of the script.
TASK_SCRIPT_MARKS = """
SELECT mark_id, kind, scores, marker_id, total FROM marking_mark
WHERE script_id = (SELECT script_id FROM marking_task WHERE task_id = :task)
"""
# A script's two regular marks, once both are in: agreement and each one's deviation from the other
# (a marker's 双评一致率 and 偏差 in marking/progress.py read these instead of pairing every mark).
PAIR = """
UPDATE marking_mark SET pair_agreed = :agreed,
    pair_deviation = CASE WHEN mark_id = :first THEN :first_deviation ELSE :second_deviation END
WHERE mark_id IN (:first, :second)
"""
SCRIPT_FINAL = """
UPDATE marking_script
SET status = 'final', agreed = :agreed, source = :source, final_scores = :finals, final_sources = :sources,
    final_marks = :used, finalised_at = :now
WHERE script_id = :script
"""
SCRIPT_STATUS = "UPDATE marking_script SET status = :status, agreed = :agreed WHERE script_id = :script"
NEW_TASK = """
INSERT INTO marking_task (script_id, exam_id, subject, item_group, school_id, code, kind, priority, queue_order,
                          state, lease_count, items, created_at)
VALUES (:script, :exam, :subject, :item_group, :school, :code, :kind, :priority, 0, 'waiting', 0, :items, :now)
"""
# The lease a marker holds in a group (at most one: the unique index uq_marking_task_one_lease),
# expired or not: until it is reclaimed it is still theirs, and a submit of it still counts.
HELD = """
SELECT task_id, script_id, code, kind, items, leased_at, lease_expires_at FROM marking_task
WHERE exam_id = :exam AND subject = :subject AND item_group = :item_group AND marker_id = :marker
  AND state = 'leased'
"""
RENEW = """
UPDATE marking_task SET lease_expires_at = :expires
WHERE task_id = :task AND marker_id = :marker AND state = 'leased'
"""
RELEASE = """
UPDATE marking_task SET state = 'waiting', marker_id = NULL, lease_expires_at = NULL
WHERE task_id = :task AND marker_id = :marker AND state {state_condition}
"""
RECLAIM = """
UPDATE marking_task SET state = 'waiting'
WHERE state = 'leased' AND lease_expires_at < :now {exam_condition}
"""


def lease_sql(kinds: Sequence[str], dialect: str, schools: int = 0) -> str:
    """The lease statement for these task kinds (`schools` > 0: only scripts of the schools bound as
    :school_0 … :school_{n-1}, for a teacher who fills in under a best-effort plan, marking/assist.py).

    The priority range bounds the index scan: a leader who only arbitrates reads the few priority-0
    entries, not every new script of the group on each poll (under load that walk dominated).
    """
    unknown = set(kinds) - set(TASK_PRIORITY)
    if unknown or not kinds:
        raise ValueError(f"task kinds must be some of {tuple(TASK_PRIORITY)}, got {list(kinds)}")
    postgres = dialect == "postgresql"
    priorities = [TASK_PRIORITY[k] for k in kinds]
    return _LEASE.format(
        kinds=", ".join(f"'{k}'" for k in kinds), lowest=min(priorities), highest=max(priorities),
        schools=(" AND candidate.school_id IN (" + ", ".join(f":school_{k}" for k in range(schools)) + ")")
        if schools else "",
        durability="FROM (SELECT set_config('synchronous_commit', 'off', true)) AS durability" if postgres else "",
        lock="FOR UPDATE OF candidate SKIP LOCKED" if postgres else "")


_PARAM = re.compile(r"(?<![:\w]):(\w+)")
_PYFORMAT: dict[str, str] = {}  # statement with :name → with %(name)s, for psycopg


def pyformat(sql: str) -> str:
    """A statement with `:name` parameters as psycopg takes them (`%(name)s`), converted once."""
    converted = _PYFORMAT.get(sql)
    if converted is None:
        converted = _PYFORMAT[sql] = _PARAM.sub(r"%(\1)s", sql)
    return converted


class Driver:
    """The session's driver connection with the dialect's parameter style and JSON handling."""

    def __init__(self, dbapi_connection: Any, dialect: str):  # the driver's own connection object
        self.connection = dbapi_connection
        self.dialect = dialect
        self.postgres = dialect == "postgresql"

    def _sql(self, sql: str) -> str:
        return pyformat(sql) if self.postgres else sql

    def execute(self, sql: str, params: Mapping[str, Any] | None = None):
        cursor = self.connection.cursor()
        cursor.execute(self._sql(sql), dict(params or {}))
        return cursor

    def json(self, value: Any) -> Any:
        """A JSON parameter: psycopg's Json wrapper, or text for SQLite (as SQLAlchemy stores it)."""
        if value is None:
            return None
        if self.postgres:
            from psycopg.types.json import Json

            return Json(value)
        return json.dumps(value)

    @staticmethod
    def loads(value: Any) -> Any:
        """A JSON column's value: psycopg parses it already; SQLite gives text."""
        return json.loads(value) if isinstance(value, (str, bytes)) else value
