"""Alembic migrations, run from code (`xuequ db upgrade`), so no alembic.ini is needed."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from models.db import database_url, get_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (creates a new SQLite file if needed)."""
    engine = get_engine(url)
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    engine = get_engine(url)
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def head_revision() -> str:
    """The newest migration in models/migrations (what `upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("models/migrations holds no migration")
    return head


def current_tables(url: str | None = None) -> list[str]:
    return sorted(inspect(get_engine(url)).get_table_names())
