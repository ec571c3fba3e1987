"""Leasing (领取答卷): the next script a marker may mark, held leases, release and reclaim."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from marking.policy import MarkingPolicy, load_policy
from marking import sql as sql_text
from marking.sql import Driver

from .connection import _DriverIntegrityErrors, _url, _writing
from .records import TASKS, Lease, MarkerRef, _items_for, group_items


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

    One statement. A marker holds at most one lease per item group (the unique index
    `uq_marking_task_one_lease` refuses a second one, however many of the marker's requests race):
    a marker who holds one gets it back (renewed if it ran out but nobody took it). `resume=True`
    also hands back the held lease when the queue has nothing new (a client that reloads gets the
    same script, not a second one).
    """
    policy = policy or load_policy()
    assisting = kinds is None  # a caller naming kinds asks for exactly those, in the marker's own group
    kinds = tuple(kinds) if kinds is not None else default_kinds(marker, policy)
    items = group_items(session, marker.exam_id, marker.subject, marker.item_group)
    now = time.time() if now is None else now
    key = (_url(session), marker.exam_id)
    if now - _last_reclaim.get(key, 0.0) >= policy.queue.reclaim_interval_seconds:
        _last_reclaim[key] = now
        reclaim_expired_leases(session, marker.exam_id, now=now)
    expires = now + policy.queue.lease_seconds
    row = _lease_row(session, marker, kinds, now, expires)
    if row is _HELD or (row is None and resume):
        held = _held_lease(session, marker, items, now, expires)
        if held is not None or row is _HELD:
            return held
    if row is None and assisting:
        return _lease_assisting(session, marker, now, expires)
    if row is None:
        return None
    task_id, script_id, code, kind, wanted = row
    return Lease(task_id, script_id, code, kind, _items_for(items, Driver.loads(wanted)), now, expires)


_HELD = ("held",)  # the marker already holds a lease in the group: the lease statement was refused


def _lease_row(session: Session, marker: MarkerRef, kinds: Sequence[str], now: float, expires: float,
               schools: Sequence[str] = ()):
    params = {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
              "school": marker.school_id, "marker": marker.teacher_id, "now": now, "expires": expires}
    params.update({f"school_{k}": school for k, school in enumerate(schools)})
    try:
        with _writing(session, single_statement=True) as db:
            return db.execute(sql_text.lease_sql(kinds, db.dialect, len(schools)), params).fetchone()
    except _DriverIntegrityErrors as error:
        # PostgreSQL names the index, SQLite its columns; the lease changes no other unique column
        if "one_lease" not in str(error) and "marking_task.marker_id" not in str(error):
            raise
        return _HELD


def _held_lease(session: Session, marker: MarkerRef, items, now: float, expires: float) -> Lease | None:  # noqa: ANN001
    """The lease the marker holds in (the group of) `marker`, renewed if it ran out; None if none."""
    params = {"exam": marker.exam_id, "subject": marker.subject, "item_group": marker.item_group,
              "marker": marker.teacher_id}
    with _writing(session, single_statement=True) as db:
        row = db.execute(sql_text.HELD, params).fetchone()
    if row is None:
        return None
    task_id, script_id, code, kind, wanted, leased_at, lease_expires_at = row
    if lease_expires_at is None or lease_expires_at <= now:  # ran out, nobody took it: still theirs
        with _writing(session, single_statement=True) as db:
            db.execute(sql_text.RENEW, {"task": task_id, "marker": marker.teacher_id, "expires": expires})
        lease_expires_at = expires
    return Lease(task_id, script_id, code, kind, _items_for(items, Driver.loads(wanted)), leased_at, lease_expires_at)


def _lease_assisting(session: Session, marker: MarkerRef, now: float, expires: float) -> Lease | None:
    """Under a best-effort plan, a teacher with nothing left in their own group fills in where the plan
    is short (marking/assist.py): only the granted kinds, group and schools, never their own school."""
    from marking.assist_store import cached_assists

    for grant in cached_assists(session, marker.exam_id, _url(session)).grants_for(marker.teacher_id):
        acting = replace(marker, subject=grant.subject, item_group=grant.item_group)
        row = _lease_row(session, acting, grant.kinds, now, expires, grant.schools)
        if row is None:
            continue
        items = group_items(session, marker.exam_id, grant.subject, grant.item_group)
        if row is _HELD:
            return _held_lease(session, acting, items, now, expires)
        task_id, script_id, code, kind, wanted = row
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
