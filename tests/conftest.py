"""Shared fixtures: real databases (SQLite file and PostgreSQL) and the mini bundle.

`db_url` runs a test once on SQLite and once on PostgreSQL. PostgreSQL comes from
XUEQU_TEST_POSTGRES_URL (default: the local server, database `test`); each test session works in
a database of its own, created here and dropped at the end. Under CI a missing server fails the
run instead of skipping, so CI never passes without PostgreSQL.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ADMIN_URL = os.environ.get("XUEQU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; its URL."""
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} (CI requires it)")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    name = f"xuequ_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    from models.db import dispose_engines

    dispose_engines(name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    from models.db import get_engine

    engine = get_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """An empty database (schema not created yet), once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        yield url
        from models.db import dispose_engines

        dispose_engines(url)
    else:
        url = request.getfixturevalue("postgres_database")
        _reset_postgres(url)
        yield url


@pytest.fixture
def migrated_db(db_url) -> str:
    """A database at the latest schema revision."""
    from models.migrate import upgrade

    upgrade(db_url)
    return db_url


@pytest.fixture
def mini_bundle(tmp_path) -> Path:
    """A writable copy of the small hand-made bundle in tests/fixtures/mini_bundle."""
    target = tmp_path / "mini_bundle"
    shutil.copytree(FIXTURES / "mini_bundle", target)
    return target
