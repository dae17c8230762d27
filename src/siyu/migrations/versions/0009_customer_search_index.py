"""customer search index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

The customer list's search box (adapters/db/repositories/customer_search.py) finds text
inside names, staff remarks and typed identities (phone, email, member number, POS id).

- SQLite: three FTS5 tables with the trigram tokenizer (SQLite >= 3.34), for names, typed
  identities and remarks, each row's rowid the source row's id. Triggers on customers,
  customer_identities and staff_relations note every changed row in customer_search_pending,
  so no write path (repositories, imports, the demo's bulk loader, merges and their undo)
  can forget the index; every commit through the unit of work brings the FTS rows of the
  noted rows up to date in bulk, and the search reads noted rows from their tables, so it is
  exact even in between.
- PostgreSQL: GIN indexes with pg_trgm's ``gin_trgm_ops`` on the same three columns; the
  database maintains them itself. pg_trgm is created in ``public`` (never in a tenant or test
  schema, whose DROP ... CASCADE would take it from everyone else).

A later SQLite batch migration that recreates customers, customer_identities or
staff_relations (copy, drop, rename) drops their triggers with the old table: it must create
them again (``_sqlite_triggers``); tests/integration/test_customer_search_index.py checks they
are there at the head.

Both fall back cleanly: without FTS5's trigram tokenizer, or without the right to create
pg_trgm, the search runs the same queries unindexed (correct, slower). These objects live
outside the SQLAlchemy metadata (they depend on what the engine offers); migrations/env.py
keeps ``alembic check`` from comparing them.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Keep in step with customer_search.PART_KINDS: identities a person reads and types (part of
# a phone, a member number); opaque machine ids (unionid, openid, external_userid) match whole.
PART_KINDS = "('phone', 'email', 'member_no', 'pos_id')"

# One FTS5 table per source table, its rowid the source row's id; the triggers only note
# which rows changed (customer_search_pending), and the next commit (SqlUnitOfWork.commit ->
# customer_search.refresh) rewrites those FTS rows in one statement. FTS5 written from inside
# a trigger flushes its pending data at every row: 5-7x slower bulk inserts.
FTS_TABLES = {  # FTS table: (source number in customer_search_pending, source table, indexed column, which rows)
    "customer_search_names": (0, "customers", "name", "1 = 1"),
    "customer_search_identities": (1, "customer_identities", "value", f"kind IN {PART_KINDS}"),
    "customer_search_remarks": (2, "staff_relations", "remark", "remark IS NOT NULL"),
}
PENDING = "CREATE TABLE customer_search_pending (source SMALLINT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (source, id)) WITHOUT ROWID"


def _sqlite_triggers(source: int, table: str, column: str) -> dict[str, str]:
    watched = f"{column}, kind" if table == "customer_identities" else column
    note = "INSERT OR IGNORE INTO customer_search_pending (source, id) VALUES"
    only = {  # most relations have no remark; opaque ids are matched whole, not through FTS
        "staff_relations": " WHEN NEW.remark IS NOT NULL", "customer_identities": f" WHEN NEW.kind IN {PART_KINDS}",
    }.get(table, "")
    return {
        f"customer_search_{table}_insert": f"CREATE TRIGGER customer_search_{table}_insert AFTER INSERT ON {table}{only} "
                                           f"BEGIN {note} ({source}, NEW.id); END",
        f"customer_search_{table}_update": f"CREATE TRIGGER customer_search_{table}_update AFTER UPDATE OF {watched} ON {table} "
                                           f"BEGIN {note} ({source}, NEW.id); END",
        f"customer_search_{table}_delete": f"CREATE TRIGGER customer_search_{table}_delete AFTER DELETE ON {table}{only.replace('NEW', 'OLD')} "
                                           f"BEGIN {note} ({source}, OLD.id); END",
    }


POSTGRESQL_INDEXES = {  # name: (table, column, WHERE)
    "ix_search_customers_name": ("customers", "name", ""),
    "ix_search_identities_value": ("customer_identities", "value", f" WHERE kind IN {PART_KINDS}"),
    "ix_search_relations_remark": ("staff_relations", "remark", " WHERE remark IS NOT NULL"),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _upgrade_sqlite(bind)
    elif bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)


def _upgrade_sqlite(bind: sa.Connection) -> None:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE VIRTUAL TABLE customer_search_probe USING fts5(body, tokenize = 'trigram case_sensitive 0')")
            bind.exec_driver_sql("DROP TABLE customer_search_probe")
    except sa.exc.OperationalError as error:  # SQLite older than 3.34, or built without FTS5
        log.warning("customer search: no FTS5 trigram tokenizer in this SQLite (%s); search runs unindexed", error)
        return
    bind.exec_driver_sql(PENDING)
    for fts, (source, table, column, rows) in FTS_TABLES.items():
        bind.exec_driver_sql(f"CREATE VIRTUAL TABLE {fts} USING fts5(body, tokenize = 'trigram case_sensitive 0')")
        bind.exec_driver_sql(f"INSERT INTO {fts} (rowid, body) SELECT id, {column} FROM {table} WHERE {rows} ORDER BY id")
        for statement in _sqlite_triggers(source, table, column).values():
            bind.exec_driver_sql(statement)


def _upgrade_postgresql(bind: sa.Connection) -> None:
    schema = _trgm_schema(bind)
    if schema is None:
        log.warning("customer search: pg_trgm is not available to this role; search runs unindexed")
        return
    opclass = f'"{schema}".gin_trgm_ops'
    for name, (table, column, where) in POSTGRESQL_INDEXES.items():
        bind.exec_driver_sql(f"CREATE INDEX {name} ON {table} USING gin ({column} {opclass}){where}")


def _trgm_schema(bind: sa.Connection) -> str | None:
    """The schema pg_trgm lives in, creating it in ``public`` if it is in none."""
    query = sa.text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")
    found = bind.execute(query).scalar_one_or_none()
    if found is not None:
        return str(found)
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.DBAPIError as error:  # not available, no privilege, or another session creating it at the same time
        log.warning("customer search: could not create pg_trgm (%s)", error.orig)
    found = bind.execute(query).scalar_one_or_none()
    return None if found is None else str(found)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for fts, (source, table, column, _) in FTS_TABLES.items():
            for trigger in _sqlite_triggers(source, table, column):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS customer_search_pending")
    elif bind.dialect.name == "postgresql":
        for name in POSTGRESQL_INDEXES:
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")  # pg_trgm stays: other schemas may use it
