"""People who sign in to the web console (用户), their roles and what each role may see.

A role decides the scope of what a person reads:

    bureau  教育局      every cluster of the district
    cluster 学区办公室  its own cluster (cluster_id)
    planner 排班员      its cluster when one is given, else the whole district
    school  学校        its own school only (school_id); the cluster's season and roster as they
                        concern that school
    marker  阅卷教师    none of the district pages (the marking page is theirs)

Passwords are stored as argon2id hashes (argon2-cffi), never in clear. A user created without a
password gets a one-time password and must choose a new one at the first sign-in. Every change
(created, signed in, password or language changed) lands in the audit log with who and when,
through `models.audit.record` in the caller's transaction (the actor is `session.info["actor"]`).
"""
from __future__ import annotations

import datetime as dt
import functools
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.audit import record
from models.base import Base, utcnow
from models.district import Id

#: role → (中文, English), in the order a bureau reads them
ROLES: dict[str, tuple[str, str]] = {
    "bureau": ("教育局", "bureau"),
    "cluster": ("学区办公室", "cluster office"),
    "planner": ("排班员", "planner"),
    "school": ("学校", "school"),
    "marker": ("阅卷教师", "marker"),
}
LANGUAGES = ("zh", "en")
PASSWORD_MIN_LENGTH = 8
MAX_NAME = 100

# argon2id, RFC 9106's low-memory profile (64 MiB, 3 passes; argon2-cffi's default): about 0.1 s a
# check on a quiet 2-core machine, slow enough to make guessing expensive, fast enough for a sign-in.
# A stored hash keeps its own parameters, so a stronger profile later rehashes at the next sign-in.
HASHER_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(HASHER_PARAMETERS)


@functools.cache
def _unknown_user_hash() -> str:
    """Checked when the name is unknown, so a wrong name takes as long as a wrong password (no user
    enumeration by timing); made at first need, not when `models` is imported."""
    return _hasher.hash(secrets.token_urlsafe(16))


class User(Base):
    __tablename__ = "users"
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)  # the sign-in name (登录名)
    role: Mapped[str] = mapped_column(String(16))
    # No foreign keys: a re-import of the district may drop a cluster or school; the account stays
    # and sees nothing of it (the scope is checked against the tables on every request).
    cluster_id: Mapped[str | None] = mapped_column(Id)
    school_id: Mapped[str | None] = mapped_column(Id)
    # A marker account's teacher (阅卷教师): the console opens the marker API for that teacher's marking
    # registration, so they mark without typing a token. No foreign key, like cluster and school.
    teacher_id: Mapped[str | None] = mapped_column(Id)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=False)  # a one-time password was issued
    language: Mapped[str] = mapped_column(String(2), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_signed_in_at: Mapped[dt.datetime | None]


class AccountError(ValueError):
    """A request about an account that cannot be served: one line for a person, in Chinese or English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def line(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


# --- passwords ---

def hash_password(password: str) -> str:
    """The argon2id hash to store (a new random salt each time)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash; a damaged hash is a mismatch, never an exception."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    """12 URL-safe characters (72 random bits), printed once and changed at the first sign-in."""
    return secrets.token_urlsafe(9)


def check_new_password(password: str, name: str | None = None) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(f"密码至少 {PASSWORD_MIN_LENGTH} 个字符", f"a password needs at least {PASSWORD_MIN_LENGTH} characters")
    if name is not None and password.strip().lower() == name.strip().lower():
        raise AccountError("密码不能与登录名相同", "the password cannot be the sign-in name")


# --- what a role may see ---

@dataclass(frozen=True)
class Scope:
    """What one signed-in person may read. `cluster_id` of a school user is its school's cluster."""

    role: str
    cluster_id: str | None = None
    school_id: str | None = None

    @property
    def district_wide(self) -> bool:
        return self.role == "bureau" or (self.role == "planner" and self.cluster_id is None)

    @property
    def reads_district(self) -> bool:
        """Whether the district pages are for this role at all (a marker's are not)."""
        return self.role != "marker"

    def sees_cluster(self, cluster_id: str | None) -> bool:
        """The whole cluster: its schools, its teachers, its roster in full."""
        if self.district_wide:
            return True
        return self.role in ("cluster", "planner") and cluster_id is not None and cluster_id == self.cluster_id

    def sees_school(self, school_id: str, school_cluster_id: str | None) -> bool:
        if self.role == "school":
            return school_id == self.school_id
        return self.sees_cluster(school_cluster_id)

    def sees_cluster_results(self, cluster_id: str | None) -> bool:
        """A cluster's exam season and roster: in full for its office, as they concern it for a school."""
        if self.role == "school":
            return cluster_id is not None and cluster_id == self.cluster_id
        return self.sees_cluster(cluster_id)

    def sees_exam(self, exam_cluster_id: str | None) -> bool:
        """An exam of a cluster, or a district-wide exam (no cluster) every district reader follows."""
        if not self.reads_district:
            return False
        return exam_cluster_id is None or self.sees_cluster_results(exam_cluster_id)


# --- the repository ---

def _checked_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned or len(cleaned) > MAX_NAME or any(unicodedata.category(ch).startswith(("C", "Z")) and ch != " "
                                                     for ch in cleaned):
        raise AccountError(f"登录名 {name!r} 不可用：须为 1–{MAX_NAME} 个字符，不含控制字符",
                           f"sign-in name {name!r} cannot be used: 1–{MAX_NAME} characters, no control characters")
    return cleaned


def _checked_scope(session: Session, role: str, cluster_id: str | None,
                   school_id: str | None) -> tuple[str | None, str | None]:
    from models.district import Cluster, School

    if role not in ROLES:
        raise AccountError(f"没有角色 {role!r}；可选：{'、'.join(f'{k}（{v[0]}）' for k, v in ROLES.items())}",
                           f"no role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "cluster" and not cluster_id:
        raise AccountError("学区办公室用户须指定 --cluster", "a cluster user needs --cluster")
    if role == "school" and not school_id:
        raise AccountError("学校用户须指定 --school", "a school user needs --school")
    if role in ("bureau", "marker") and (cluster_id or school_id):
        raise AccountError(f"角色 {ROLES[role][0]} 不属于某个学区或学校：请去掉 --cluster/--school",
                           f"role {role} belongs to no cluster or school: drop --cluster/--school")
    if role in ("cluster", "planner") and school_id:
        raise AccountError(f"角色 {ROLES[role][0]} 不属于某所学校：请去掉 --school",
                           f"role {role} belongs to no school: drop --school")
    if school_id:
        school = session.get(School, school_id)
        if school is None:
            raise AccountError(f"没有学校 {school_id!r}：请先导入数据包（xuequ import）或检查编号",
                               f"no school {school_id!r}: import the bundle first (xuequ import) or check the id")
        if cluster_id and cluster_id != school.cluster_id:
            raise AccountError(f"学校 {school.name}（{school_id}）不属于学区 {cluster_id}",
                               f"school {school_id} is not in cluster {cluster_id}")
        cluster_id = None  # a school user's cluster is its school's, read afresh on every request
    elif cluster_id and session.get(Cluster, cluster_id) is None:
        raise AccountError(f"没有学区 {cluster_id!r}：请先导入数据包（xuequ import）或检查编号",
                           f"no cluster {cluster_id!r}: import the bundle first (xuequ import) or check the id")
    return cluster_id, school_id


def user_by_name(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == (name or "").strip())).first()


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def _checked_teacher(session: Session, role: str, teacher_id: str | None) -> str | None:
    """Only a marker account is linked to a teacher, one who is in the district's tables."""
    if not teacher_id:
        return None
    from models.district import Teacher

    if role != "marker":
        raise AccountError(f"只有阅卷教师账户可关联教师：角色 {ROLES.get(role, (role,))[0]} 请去掉 --teacher",
                           f"only a marker account is linked to a teacher: drop --teacher for role {role}")
    if session.get(Teacher, teacher_id) is None:
        raise AccountError(f"没有教师 {teacher_id!r}：请先导入数据包（xuequ import）或检查编号",
                           f"no teacher {teacher_id!r}: import the bundle first (xuequ import) or check the id")
    return teacher_id


def add_user(session: Session, name: str, role: str, *, cluster_id: str | None = None, school_id: str | None = None,
             password: str | None = None, language: str = "zh",
             teacher_id: str | None = None) -> tuple[User, str | None]:
    """A new account; with no password, a one-time one is made and returned (shown once, never stored).
    A marker account may name its teacher (`teacher_id`): it then marks without a token."""
    name = _checked_name(name)
    cluster_id, school_id = _checked_scope(session, role, cluster_id or None, school_id or None)
    teacher_id = _checked_teacher(session, role, teacher_id or None)
    if user_by_name(session, name) is not None:
        raise AccountError(f"登录名 {name} 已被使用", f"the sign-in name {name} is taken")
    if language not in LANGUAGES:
        raise AccountError(f"语言须为 {'/'.join(LANGUAGES)}", f"language must be one of {', '.join(LANGUAGES)}")
    issued = None
    if password is None:
        password = issued = one_time_password()
    else:
        check_new_password(password, name)
    user = User(name=name, role=role, cluster_id=cluster_id, school_id=school_id, teacher_id=teacher_id,
                password_hash=hash_password(password), must_change_password=issued is not None, language=language,
                created_by=session.info.get("actor", "system"))
    session.add(user)
    session.flush()
    record(session, "insert", "users", name, {"role": role, "cluster_id": cluster_id, "school_id": school_id,
                                               "teacher_id": teacher_id, "one_time_password": issued is not None})
    return user, issued


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, or None; both outcomes are audited."""
    user = user_by_name(session, name)
    if user is None or not user.active:
        verify_password(_unknown_user_hash(), password or "")  # the same work as a real check
        record(session, "signin_failed", "users", (name or "")[:128], {"reason": "unknown or inactive"})
        return None
    if not verify_password(user.password_hash, password or ""):
        record(session, "signin_failed", "users", user.name, {"reason": "wrong password"})
        return None
    if _hasher.check_needs_rehash(user.password_hash):  # the library's parameters grew stronger
        user.password_hash = hash_password(password)
    user.last_signed_in_at = utcnow()
    session.info["actor"] = user.name
    record(session, "signin", "users", user.name)
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise AccountError("当前密码不对", "the current password is wrong")
    if verify_password(user.password_hash, new or ""):
        raise AccountError("新密码须与当前密码不同", "the new password must differ from the current one")
    check_new_password(new or "", user.name)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    record(session, "password", "users", user.name)


def set_language(session: Session, user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise AccountError(f"语言须为 {'/'.join(LANGUAGES)}", f"language must be one of {', '.join(LANGUAGES)}")
    if language != user.language:
        record(session, "update", "users", user.name, {"language": {"old": user.language, "new": language}})
        user.language = language


def scope_of(session: Session, user: User) -> Scope:
    """What the user may read now: a school user's cluster is its school's as the tables say today."""
    if user.role == "school" and user.school_id:
        from models.district import School

        school = session.get(School, user.school_id)
        return Scope("school", school.cluster_id if school else None, user.school_id)
    return Scope(user.role, user.cluster_id, user.school_id)
