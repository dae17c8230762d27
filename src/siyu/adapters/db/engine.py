"""Engines for SQLite (the embedded default) and PostgreSQL (by URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; SQLite paths get their folder created."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


READ_ONLY = "siyu_read_only"  # execution option: this transaction only reads


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys on, and real transactions (SAVEPOINT included).

    pysqlite's own transaction handling begins transactions late and breaks SAVEPOINT; the
    SQLAlchemy docs' recipe is to switch it off and emit BEGIN ourselves.

    Transactions begin IMMEDIATE (take the write lock up front, waiting up to busy_timeout
    for it), as Rails 7.1 and Django 5.1 do for SQLite: a deferred transaction that reads and
    then writes fails at once with "database is locked" when another connection wrote in
    between, because SQLite cannot upgrade a stale read snapshot and does not wait. A unit of
    work that only reads (the warehouse sync's long read) asks for :data:`READ_ONLY` and
    begins deferred, so it holds no lock writers would wait on.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA synchronous = NORMAL")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
