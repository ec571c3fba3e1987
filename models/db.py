"""Engines and sessions: SQLite by default, PostgreSQL in production (XUEQU_DATABASE_URL)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///xuequ.db"  # a file in the working folder


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else XUEQU_DATABASE_URL, else a SQLite file here."""
    url = url or os.environ.get("XUEQU_DATABASE_URL") or DEFAULT_DATABASE_URL
    # psycopg 3 is the driver we ship; accept the plain scheme people copy from docs.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine with the settings each backend needs (SQLite: foreign keys, WAL, busy timeout)."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    size, overflow = pool_settings()
    kwargs.setdefault("pool_size", size)
    kwargs.setdefault("max_overflow", overflow)
    if "pool_pre_ping" in kwargs:
        return create_engine(url, **kwargs)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


DEFAULT_POOL_SIZE = 5  # connections each process keeps open (per API worker: 5 + 5 serve ~50 busy markers)
DEFAULT_MAX_OVERFLOW = 5  # more, opened under a burst and closed when returned
PING_AFTER_IDLE_SECONDS = 10.0


def pool_settings() -> tuple[int, int]:
    """PostgreSQL connections per process: (pool_size, max_overflow), from XUEQU_DB_POOL_SIZE and
    XUEQU_DB_MAX_OVERFLOW (defaults 5 and 5). Every process (each API worker, the console, a flow
    run) has its own pool: workers × (size + overflow) must stay below the server's max_connections
    (100 by default), or PgBouncer must stand between (README, "Marking day at district scale")."""
    def number(name: str, default: int) -> int:
        value = os.environ.get(name, "").strip()
        if not value:
            return default
        try:
            parsed = int(value)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, not {value!r}") from None
        if parsed < 0 or (name == "XUEQU_DB_POOL_SIZE" and parsed < 1):
            raise ValueError(f"{name} must be at least {1 if name == 'XUEQU_DB_POOL_SIZE' else 0}, not {parsed}")
        return parsed

    return number("XUEQU_DB_POOL_SIZE", DEFAULT_POOL_SIZE), number("XUEQU_DB_MAX_OVERFLOW", DEFAULT_MAX_OVERFLOW)


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use only when it sat idle for a while (the server may have
    closed it meanwhile: a restart, PgBouncer's idle timeout); a connection returned moments ago is
    used as is. `pool_pre_ping` would ping on every checkout: a round trip per API request."""
    import time

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:  # noqa: ANN001
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:  # noqa: ANN001
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as error:  # noqa: BLE001  (any failure: the pool connects afresh, up to 3 times)
            raise DisconnectionError() from error


def open_write_transaction(session: Session) -> None:
    """Make sure the session's SQLite connection is inside a real transaction before any SAVEPOINT.

    Python's sqlite3 opens a transaction only at the first INSERT/UPDATE/DELETE; a SAVEPOINT sent
    before that starts a transaction of its own and its RELEASE commits it, so an import that fails at
    a later step would leave the earlier steps written. A no-op write opens the transaction first.
    PostgreSQL needs nothing.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM district WHERE 0"))


_engines: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (tasks open sessions from it; engines are never passed around)."""
    url = database_url(url)
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


def dispose_engines(containing: str | None = None) -> int:
    """Close and forget this process's engines, those whose URL contains `containing` or all; how many.

    A dropped database, a SQLite file to copy or delete, or a fresh database per run needs its pool
    closed first (SQLite folds its WAL back into the file)."""
    closed = 0
    for url in [u for u in _engines if containing is None or containing in u]:
        _engines.pop(url).dispose()
        closed += 1
    return closed


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class DatabaseNotReady(Exception):
    """The database a command would read is missing, empty or behind the code's schema: what to run instead."""

    def __init__(self, where: str, message_zh: str, message_en: str):
        self.where = where
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(message_en)

    def render(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh


def shown_url(url: str | None = None) -> str:
    """Where the database is, as a person reads it: a SQLite file's absolute path, a server URL without password."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)


def require_schema(url: str | None = None) -> None:
    """Raise `DatabaseNotReady` unless the database exists and holds the latest schema.

    A read never creates anything: a SQLite file that is not there is reported before any
    connection (connecting would create an empty file in whatever folder the command ran in).
    """
    url = database_url(url)
    where = shown_url(url)
    parsed = make_url(url)
    upgrade_zh, upgrade_en = "请先运行 `xuequ db upgrade`（或 `xuequ import 数据包` / `xuequ demo`）", \
        "run `xuequ db upgrade` (or `xuequ import BUNDLE` / `xuequ demo`)"
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            raise DatabaseNotReady(
                where, f"{where} 没有数据库（文件不存在）：请在项目文件夹中运行或用 --db 指定数据库；新建则{upgrade_zh}",
                f"no database schema at {where} (the file does not exist): run in the project folder or pass "
                f"--db; to create it, {upgrade_en}")
    try:
        with get_engine(url).connect() as connection:
            tables = set(inspect(connection).get_table_names())
            current = MigrationContext.configure(connection).get_current_revision() if tables else None
    except OperationalError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0][:200]
        raise DatabaseNotReady(where, f"无法连接数据库 {where}：{reason}。请检查 --db 或 XUEQU_DATABASE_URL",
                               f"cannot connect to the database at {where}: {reason}; check --db or "
                               "XUEQU_DATABASE_URL") from error
    if "district" not in tables or current is None:
        raise DatabaseNotReady(where, f"{where} 没有数据库表结构：{upgrade_zh}",
                               f"no database schema at {where}: {upgrade_en}")
    from models.migrate import head_revision

    head = head_revision()
    if current != head:
        raise DatabaseNotReady(where, f"{where} 的数据库表结构版本为 {current}，程序需要 {head}：请运行 `xuequ db upgrade`",
                               f"the database at {where} is at schema revision {current}, the code needs {head}: "
                               "run `xuequ db upgrade`")
