"""Alembic migrations build exactly the schema the ORM declares, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import models
from models.db import get_engine
from models.migrate import current_tables, downgrade, upgrade


def test_upgrade_matches_the_models_and_downgrade_removes_them(db_url):
    upgrade(db_url)
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, models.Base.metadata) == []
    assert set(models.Base.metadata.tables) <= set(current_tables(db_url))
    downgrade(db_url, "base")
    assert current_tables(db_url) == ["alembic_version"]


def test_policy_and_plan_changes_are_audited(migrated_db):
    from sqlalchemy import select

    from models import AuditEntry, Plan, PolicySet
    from models.db import session_scope

    with session_scope(migrated_db) as session:
        session.info["actor"] = "王老师"
        policy = PolicySet(scope="C1", school_year=2026, term=1, version=1, content="[rotation]\n", created_by="王老师")
        session.add(policy)
        session.flush()
        session.add(Plan(kind="rotation", scope="2026-1:C1", version=1, created_by="王老师",
                         policy_set_id=policy.policy_set_id))
    with session_scope(migrated_db) as session:
        session.info["actor"] = "李主任"
        plan = session.scalars(select(Plan)).one()
        plan.status = "published"
    with session_scope(migrated_db) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.audit_id)).all()
        assert [(e.actor, e.action, e.entity) for e in entries] == [
            ("王老师", "insert", "policy_set"), ("王老师", "insert", "plan"), ("李主任", "update", "plan")]
        assert entries[-1].detail["status"] == {"old": "draft", "new": "published"}
