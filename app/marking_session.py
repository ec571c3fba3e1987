"""A console account marks without a token (阅卷教师账户): the marker API session of the teacher the
account is linked to (`users.teacher_id`, `xuequ user add NAME --role marker --teacher T…`).

The marker API knows a marker by the token of their registration (`marking.queue.register_markers`:
one token per teacher and exam, kept only as a hash). The console cannot read a token back, so it
issues a new one for the registration, as re-registering does, and the console keeps it in the
person's signed-in session: every tab and reload of that session reuses it (`keep`), and only a
registration whose token changed meanwhile gets another. Issuing replaces the token printed with the
marking plan (the queue keeps one per registration); the marker page says so before it signs in.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select

from app.errors import UserError
from models.audit import record
from models.db import session_scope


@dataclass(frozen=True)
class MarkingRegistration:
    """One exam the teacher is registered to mark, as the marker page offers it."""

    exam_id: str
    exam_name: str
    subject: str
    item_group: str
    role: str  # leader (题组长) or marker


class NotLinked(UserError):
    def __init__(self) -> None:
        super().__init__("this account is linked to no teacher: sign in with your marking token, or ask for the "
                         "account to be linked (xuequ user add NAME --role marker --teacher TEACHER_ID)",
                         "您的账户没有关联阅卷教师：请用阅卷令牌登录，或请管理员关联教师"
                         "（xuequ user add 登录名 --role marker --teacher 教师编号）")


class NotRegistered(UserError):
    def __init__(self, teacher_name: str, exam_id: str | None = None) -> None:
        where_en = f"exam {exam_id}" if exam_id else "any exam"
        where_zh = f"考试 {exam_id} 的" if exam_id else "任何考试的"
        super().__init__(f"{teacher_name} is not in the marking plan of {where_en} (xuequ marking markers registers it)",
                         f"{teacher_name} 不在{where_zh}阅卷名单中（由 xuequ marking markers 登记）")


def _linked_teacher(session, user_id: int) -> tuple[str, str]:
    from models.district import Teacher
    from models.users import User

    user = session.get(User, user_id)
    if user is None or user.role != "marker" or not user.teacher_id:
        raise NotLinked()
    teacher = session.get(Teacher, user.teacher_id)
    return user.teacher_id, teacher.name if teacher is not None else user.teacher_id


def registrations(url: str, user_id: int) -> list[MarkingRegistration]:
    """The exams the account's teacher is registered to mark, the most recently opened first."""
    from models.exams import Exam
    from models.marking import Marker, MarkingGroup

    with session_scope(url) as session:
        teacher_id, _name = _linked_teacher(session, user_id)
        rows = session.execute(
            select(Marker.exam_id, Exam.name, Marker.subject, Marker.item_group, Marker.role, MarkingGroup.opened_at)
            .join(Exam, Exam.exam_id == Marker.exam_id)
            .outerjoin(MarkingGroup, (MarkingGroup.exam_id == Marker.exam_id) & (MarkingGroup.subject == Marker.subject)
                       & (MarkingGroup.item_group == Marker.item_group))
            .where(Marker.teacher_id == teacher_id)).all()
    rows = sorted(rows, key=lambda r: (-(r.opened_at or 0.0), r.exam_id))
    return [MarkingRegistration(r.exam_id, r.name, r.subject, r.item_group, r.role) for r in rows]


def marker_token(url: str, user_id: int, exam_id: str, *, keep: str | None = None, actor: str = "web") -> str:
    """A token of the marker API for the account's teacher in `exam_id`: `keep` while it is still the
    registration's token, else a new one (the registration's earlier token stops working)."""
    from marking.queue import token_hash
    from models.marking import Marker

    with session_scope(url) as session:
        session.info["actor"] = actor
        teacher_id, name = _linked_teacher(session, user_id)
        marker = session.get(Marker, (exam_id, teacher_id))
        if marker is None:
            raise NotRegistered(name, exam_id)
        now = time.time()
        expires = getattr(marker, "expires_at", None)  # tokens expire once mkcore's queue.token_days is in
        if keep and secrets.compare_digest(token_hash(keep), marker.token_hash) and (expires is None or expires > now):
            return keep
        token = _reissue(session, marker, now)
        record(session, "marker_token", "marker", f"{exam_id}/{teacher_id}", {"by": "web console"})
        return token


def _reissue(session, marker, now: float) -> str:
    """A new token for the registration: the queue's own `reissue_token` where it has one (it also sets the
    token's expiry), else as `register_markers` issues one."""
    from marking.queue import registration, token_hash

    reissue = getattr(registration, "reissue_token", None)
    if reissue is not None:
        return reissue(session, marker.exam_id, marker.teacher_id, now=now)
    token = secrets.token_urlsafe(18)
    marker.token_hash, marker.issued_at = token_hash(token), now
    return token
