"""Alembic environment: runs against the connection handed in, or Settings' database URL."""

from __future__ import annotations

from alembic import context

from siyu.adapters.db.engine import make_engine
from siyu.adapters.db.tables import metadata
from siyu.config import get_settings

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _outside_metadata(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the search index (migration 0009) out of ``alembic check``: it depends on what the
    engine offers (FTS5 and its shadow tables on SQLite, pg_trgm indexes on PostgreSQL), so it
    is made by the migration alone, not declared in the metadata."""
    if type_ == "table" and name and name.startswith("customer_search"):
        return False
    return not (type_ == "index" and name and name.startswith("ix_search_"))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_outside_metadata,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
