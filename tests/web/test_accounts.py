"""Accounts in the database (SQLite and PostgreSQL): created by `xuequ user add`, checked at sign-in,
every change in the audit log with who and when."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from models import AuditEntry, User
from models.db import session_scope
from models.users import AccountError, add_user, authenticate, change_password, set_language
from service.cli import app as cli
from tests.web.conftest import PASSWORD


def audit(url: str) -> list[tuple[str, str, str]]:
    with session_scope(url) as session:
        return [(e.actor, e.action, e.entity_id) for e in
                session.scalars(select(AuditEntry).where(AuditEntry.entity == "users").order_by(AuditEntry.audit_id))]


def test_user_add_without_a_password_prints_a_one_time_password_that_must_be_changed(accounts_db):
    result = CliRunner().invoke(cli, ["user", "add", "李老师", "--role", "planner", "--cluster", "C2", "--db", accounts_db])
    assert result.exit_code == 0, result.output
    issued = re.search(r"一次性密码：(\S+)（", result.output).group(1)
    with session_scope(accounts_db) as session:
        user = authenticate(session, "李老师", issued)
        assert user is not None and user.must_change_password and user.cluster_id == "C2"
        assert issued not in user.password_hash
        change_password(session, user, issued, "a-new-password-1")
        assert not user.must_change_password
    with session_scope(accounts_db) as session:
        assert authenticate(session, "李老师", issued) is None
        assert authenticate(session, "李老师", "a-new-password-1") is not None


@pytest.mark.parametrize("args, message", [
    (["--role", "headmaster"], "没有角色 'headmaster'"),
    (["--role", "school"], "学校用户须指定 --school"),
    (["--role", "school", "--school", "S99"], "没有学校 'S99'"),
    (["--role", "cluster", "--cluster", "C9"], "没有学区 'C9'"),
    (["--role", "school", "--school", "S4", "--cluster", "C1"], "不属于学区 C1"),
    (["--role", "bureau", "--cluster", "C1"], "请去掉 --cluster/--school"),
    (["--role", "bureau", "--password", "short"], "密码至少 8 个字符"),
])
def test_user_add_refuses_bad_input_in_one_line(accounts_db, args, message):
    result = CliRunner().invoke(cli, ["user", "add", "新用户", *args, "--db", accounts_db])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    with session_scope(accounts_db) as session:
        assert session.scalars(select(User).where(User.name == "新用户")).first() is None


def test_a_taken_name_is_refused(accounts_db):
    with session_scope(accounts_db) as session, pytest.raises(AccountError) as refused:
        add_user(session, "局长", "bureau", password=PASSWORD)
    assert "已被使用" in refused.value.line("zh")


def test_sign_ins_and_changes_are_audited_with_who(accounts_db):
    with session_scope(accounts_db) as session:
        session.info["actor"] = "web"
        assert authenticate(session, "实验小学教务处", "wrong-password") is None
        assert authenticate(session, "没有这个人", PASSWORD) is None
        user = authenticate(session, "实验小学教务处", PASSWORD)
        set_language(session, user, "en")
        with pytest.raises(AccountError):
            change_password(session, user, "wrong-password", "another-pass-2")
    entries = audit(accounts_db)
    assert ("城关学区办" in {e[2] for e in entries})  # created by `user add`, audited too
    assert entries[-4:] == [("web", "signin_failed", "实验小学教务处"), ("web", "signin_failed", "没有这个人"),
                            ("实验小学教务处", "signin", "实验小学教务处"), ("实验小学教务处", "update", "实验小学教务处")]
    with session_scope(accounts_db) as session:
        user = session.scalars(select(User).where(User.name == "实验小学教务处")).one()
        assert user.language == "en" and user.last_signed_in_at is not None


def test_user_list_shows_every_account_with_its_role_in_chinese(accounts_db):
    result = CliRunner().invoke(cli, ["user", "list", "--db", accounts_db])
    assert result.exit_code == 0
    for name, role in (("局长", "教育局"), ("城关学区办", "学区办公室"), ("实验小学教务处", "学校"), ("阅卷老师", "阅卷教师")):
        line = next(line for line in result.output.splitlines() if name in line)
        assert role in line
