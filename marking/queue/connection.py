"""The queue's transactions on the session's driver connection: SQLite write locks, PostgreSQL
autocommit and pipelines (see the concurrency contract in `marking/queue/__init__.py`)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from marking.sql import Driver


def _driver_integrity_errors() -> tuple[type[BaseException], ...]:
    """The drivers' own integrity errors (the hot path runs SQL on the driver connection)."""
    import sqlite3

    errors: list[type[BaseException]] = [sqlite3.IntegrityError]
    try:
        import psycopg

        errors.append(psycopg.IntegrityError)
    except ImportError:  # PostgreSQL driver not installed: SQLite only
        pass
    return tuple(errors)


_DriverIntegrityErrors = _driver_integrity_errors()
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


# --- transactions -------------------------------------------------------------------------

_sqlite_locks: dict[str, threading.Lock] = {}
_sqlite_locks_guard = threading.Lock()


def _sqlite_lock(url: str) -> threading.Lock:
    with _sqlite_locks_guard:
        return _sqlite_locks.setdefault(url, threading.Lock())


_url_names: dict[Engine, str] = {}


def _url(session: Session) -> str:
    """The session's database URL as text (cached: it keys caches and the SQLite lock)."""
    engine = session.get_bind().engine
    name = _url_names.get(engine)
    if name is None:
        name = _url_names[engine] = str(engine.url)
    return name


@contextmanager
def _driver_connection(session: Session) -> Iterator[Any]:
    """The session's driver connection for one unit of work, left idle (no open transaction) after.

    A session bound to one connection (a marker thread's own) lends it directly; a session bound
    to an engine checks one out of the engine's pool for the call. Either way the session's own
    transaction bookkeeping is skipped: the hot path leaves the connection as it found it, idle.
    """
    if session.in_transaction():
        session.commit()  # a read-only transaction left open by the caller
    bind = session.get_bind()
    if isinstance(bind, Connection):
        yield bind.connection.driver_connection
        return
    pooled = bind.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        pooled.close()  # back to the pool


@contextmanager
def _writing(session: Session, *, single_statement: bool = False) -> Iterator[Driver]:
    """One write transaction on the session's driver connection, committed on success.

    SQLite: BEGIN IMMEDIATE takes the write lock up front (no upgrade deadlocks between readers
    turning writers), and a per-process lock per database keeps threads off SQLite's busy loop.
    PostgreSQL, `single_statement=True`: the one statement runs in autocommit mode, as its own
    transaction, saving the BEGIN and COMMIT round trips.
    """
    dialect = session.get_bind().dialect.name
    if session.in_transaction():
        session.commit()  # before waiting for the lock: never hold a pooled connection while waiting
    if dialect == "sqlite":
        with _sqlite_lock(_url(session)), _driver_connection(session) as raw:
            driver = Driver(raw, "sqlite")
            try:
                driver.execute("BEGIN IMMEDIATE")
                yield driver
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
        return
    with _driver_connection(session) as raw:
        driver = Driver(raw, dialect)
        if raw.info.transaction_status != _PG_IDLE:
            raw.rollback()  # only a pool ping can have left a transaction open here
        autocommit = single_statement
        raw.autocommit = autocommit
        try:
            yield driver
            if not autocommit:
                raw.commit()
        except BaseException:
            if autocommit and raw.info.transaction_status != _PG_IDLE:
                raw.execute("ROLLBACK")
            elif not autocommit:
                raw.rollback()
            raise
        finally:
            raw.autocommit = False


@contextmanager
def _reading(session: Session) -> Iterator[Driver]:
    """Read statements on the session's driver connection, without a transaction round trip.

    PostgreSQL: autocommit (each statement its own snapshot; no BEGIN or COMMIT sent). SQLite: a
    deferred transaction ended after the reads (no write lock taken).
    """
    dialect = session.get_bind().dialect.name
    with _driver_connection(session) as raw:
        driver = Driver(raw, dialect)
        if dialect == "sqlite":
            try:
                yield driver
            finally:
                raw.rollback()  # nothing was written: ends the read transaction
            return
        if raw.info.transaction_status != _PG_IDLE:
            raw.rollback()  # only a pool ping can have left a transaction open here
        raw.autocommit = True
        try:
            yield driver
        finally:
            raw.autocommit = False
