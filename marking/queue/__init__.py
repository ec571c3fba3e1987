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
- A marker holds at most one lease per item group: a unique partial index
  (`uq_marking_task_one_lease`) refuses a second one, however many requests of the marker race (the
  refused statement changes nothing; the marker gets the lease they hold).
- A token identifies a marker until `queue.token_days` after it was issued; registering the plan
  again keeps every token (`registration.py`).

The lease and submit statements are plain SQL on the driver connection (`marking.sql`). The queue
functions run their own transaction on the session they are given (anything it has pending is
committed first). `open_marking` and `register_markers` run in the caller's transaction, like the
other import functions.
"""
# The queue is split along its seams; every name callers import from `marking.queue` stays here.
from .leasing import current_lease, default_kinds, lease_next, reclaim_expired_leases, release_lease
from .opening import OpenReport, open_marking
from .records import (MARKS, ROLES, SCRIPTS, TASKS, AlreadyMarked, Lease, LeaseLost, MarkerRef, NotFound, QueueError,
                      SubmitResult, TokenExpired, UnknownToken, group_items)
from .registration import (authenticate, get_marker, marker_by_token, markers, register_markers, reissue_token,
                           token_expiry, token_hash)
from .submitting import submit_mark
from .views import (UnmarkableScripts, arbitration_queue, escalate_unmarkable_thirds, remaining_tasks, script_answers,
                    script_marks, unmarkable_scripts)

__all__ = [
    "MARKS", "ROLES", "SCRIPTS", "TASKS", "AlreadyMarked", "Lease", "LeaseLost", "MarkerRef", "NotFound", "OpenReport",
    "QueueError", "SubmitResult", "TokenExpired", "UnknownToken", "UnmarkableScripts", "arbitration_queue",
    "authenticate", "current_lease", "default_kinds", "reissue_token", "token_expiry",
    "escalate_unmarkable_thirds", "get_marker", "group_items", "lease_next", "marker_by_token", "markers",
    "open_marking", "reclaim_expired_leases", "register_markers", "release_lease", "remaining_tasks",
    "script_answers", "script_marks", "submit_mark", "token_hash", "unmarkable_scripts",
]
