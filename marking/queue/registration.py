"""Markers (阅卷教师): registration from the marking plan with login tokens, and look-ups."""
from __future__ import annotations

import hashlib
import secrets
import time
from typing import Literal, overload

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bundle.problems import BundleError, Problem
from marking.paper import paper_entries, subjective_groups
from marking.policy import MarkingPolicy, load_policy
from models.district import Teacher
from models.marking import Marker, MarkingGroup, MarkingTask

from .connection import _reading
from .records import ROLES, MarkerRef, NotFound, TokenExpired, UnknownToken


# --- markers ----------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_markers(session: Session, exam_id: str, plan: pd.DataFrame, *, source: str = "marking.csv",
                     policy: MarkingPolicy | None = None, reissue: bool = False, now: float | None = None
                     ) -> pd.DataFrame:
    """Register the marking plan's teachers for the exam and issue each new one a login token.

    `plan` has the marking.csv shape (exam_id, subject, item_group, teacher_id, teacher_school_id,
    role) or (teacher_id, school_id, subject, item_group, role); the school defaults to the
    teacher's. Idempotent: registering the plan again (a season run again after a crash, or to
    go on) keeps every registered teacher's token, also for a teacher the plan moved to another
    group or role (a lease they held in their old group goes back to the queue); `reissue=True`
    issues everyone a new token. A new token works for `queue.token_days` (the marking window).

    Returns teacher_id, subject, item_group, role, school_id, token (shown only when issued, else
    empty: the database keeps only its SHA-256), status (new, moved, kept or reissued). Problems
    are reported by row (header row 1) and nothing is registered.
    """
    policy = policy or load_policy()
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
    now = time.time() if now is None else now
    registered = {m.teacher_id: m for m in session.scalars(select(Marker).where(Marker.exam_id == exam_id))}
    out = []
    for entry in rows:
        marker = registered.get(entry["teacher_id"])
        status = "kept"
        if marker is None:
            marker = Marker(exam_id=exam_id, teacher_id=entry["teacher_id"])
            session.add(marker)
            status = "new"
        elif (marker.subject, marker.item_group) != (entry["subject"], entry["item_group"]):
            _release_leases(session, marker)  # the old group's script goes back to the queue
            status = "moved"
        elif (marker.role, marker.school_id) != (entry["role"], entry["school_id"]):
            status = "moved"
        marker.school_id, marker.subject, marker.item_group, marker.role = (
            entry["school_id"], entry["subject"], entry["item_group"], entry["role"])
        token = None
        if status == "new" or reissue:
            token = _issue(marker, policy, now)
            status = "reissued" if status != "new" else status
        out.append({**entry, "token": token, "status": status})
    session.flush()
    from marking.assist_store import clear_assist_cache

    clear_assist_cache()  # the fill-ins of a best-effort plan follow who is registered
    return pd.DataFrame(out, columns=["teacher_id", "subject", "item_group", "role", "school_id", "token", "status"])


def _issue(marker: Marker, policy: MarkingPolicy, now: float) -> str:
    """A new login token for the marker (the old one stops working), valid for the marking window."""
    token = secrets.token_urlsafe(18)
    marker.token_hash, marker.issued_at = token_hash(token), now
    marker.expires_at = now + policy.queue.token_days * 86400.0
    return token


def _release_leases(session: Session, marker: Marker) -> None:
    session.execute(update(MarkingTask).where(MarkingTask.exam_id == marker.exam_id,
                                              MarkingTask.marker_id == marker.teacher_id,
                                              MarkingTask.state == "leased")
                    .values(state="waiting", marker_id=None, lease_expires_at=None))


def reissue_token(session: Session, exam_id: str, teacher_id: str, *, policy: MarkingPolicy | None = None,
                  now: float | None = None) -> str:
    """A new login token for one registered marker; the old one stops working at once. Shown only now."""
    marker = session.get(Marker, (exam_id, teacher_id))
    if marker is None:
        raise NotFound(f"teacher {teacher_id} is not registered to mark exam {exam_id}")
    token = _issue(marker, policy or load_policy(), time.time() if now is None else now)
    session.flush()
    return token


def _ref(marker: Marker) -> MarkerRef:
    return MarkerRef(marker.exam_id, marker.teacher_id, marker.school_id, marker.subject, marker.item_group,
                     marker.role)


def marker_by_token(session: Session, token: str, *, now: float | None = None) -> MarkerRef | None:
    """The marker whose token this is, if it is known and has not expired."""
    try:
        return authenticate(session, token, now=now)
    except (UnknownToken, TokenExpired):
        return None


_AUTHENTICATE = """
SELECT exam_id, teacher_id, school_id, subject, item_group, role, expires_at FROM marking_marker
WHERE token_hash = :hash
"""


@overload
def authenticate(session: Session, token: str, *, now: float | None = None,
                 expiry: Literal[False] = False) -> MarkerRef: ...


@overload
def authenticate(session: Session, token: str, *, now: float | None = None,
                 expiry: Literal[True]) -> tuple[MarkerRef, float | None]: ...


def authenticate(session: Session, token: str, *, now: float | None = None,
                 expiry: bool = False) -> MarkerRef | tuple[MarkerRef, float | None]:
    """The marker whose token this is (`expiry=True`: with when the token stops working); raises
    `UnknownToken` or `TokenExpired` (after the marking window).

    One indexed read on the session's driver connection, no transaction round trips.
    """
    with _reading(session) as db:
        row = db.execute(_AUTHENTICATE, {"hash": token_hash(token)}).fetchone()
    if row is None:
        raise UnknownToken("unknown token")
    *fields, expires_at = row
    if expires_at is not None and expires_at <= (time.time() if now is None else now):
        raise TokenExpired(f"token expired at {expires_at:.0f}")
    return (MarkerRef(*fields), expires_at) if expiry else MarkerRef(*fields)


def token_expiry(session: Session, exam_id: str, teacher_id: str) -> float | None:
    """When the marker's token stops working (unix seconds), or None."""
    return session.scalar(select(Marker.expires_at).where(Marker.exam_id == exam_id, Marker.teacher_id == teacher_id))


def get_marker(session: Session, exam_id: str, teacher_id: str) -> MarkerRef:
    marker = session.get(Marker, (exam_id, teacher_id))
    if marker is None:
        raise NotFound(f"teacher {teacher_id} is not registered to mark exam {exam_id}")
    return _ref(marker)


def markers(session: Session, exam_id: str) -> list[MarkerRef]:
    return [_ref(m) for m in session.scalars(select(Marker).where(Marker.exam_id == exam_id)
                                             .order_by(Marker.teacher_id))]
