"""customer search index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

The customer list's search box (adapters/db/repositories/customer_search.py) finds text
inside names, staff remarks and typed identities (phone, email, member number, POS id).

- SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34), one row per searchable
  value (``source``: 'name', 'remark' or the identity's kind; rowid: the source row's id * 4 +
  which table), kept exactly right by triggers on customers, customer_identities and
  staff_relations, so every write path (the ORM-less repositories, imports, the demo's bulk
  loader, merges and their undo) maintains it without calling anything.
- PostgreSQL: GIN indexes with pg_trgm's ``gin_trgm_ops`` on the same three columns; the
  database maintains them itself. pg_trgm is created in ``public`` (never in a tenant or test
  schema, whose DROP ... CASCADE would take it from everyone else).

Both fall back cleanly: without FTS5's trigram tokenizer, or without the right to create
pg_trgm, the search runs the same queries unindexed (correct, slower). These objects live
outside the SQLAlchemy metadata (they depend on what the engine offers); migrations/env.py
keeps ``alembic check`` from comparing them.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Keep in step with customer_search.PART_KINDS: identities a person reads and types (part of
# a phone, a member number); opaque machine ids (unionid, openid, external_userid) match whole.
PART_KINDS = "('phone', 'email', 'member_no', 'pos_id')"

# rowid of an FTS row: the source row's id * 4 + which table it comes from
NAME, IDENTITY, REMARK = 0, 1, 2

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER customer_search_name_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body) VALUES (NEW.id * 4 + {NAME}, NEW.tenant_id, NEW.id, 'name', NEW.name);
    END""",
    f"""CREATE TRIGGER customer_search_name_update AFTER UPDATE OF name ON customers BEGIN
        UPDATE customer_search SET body = NEW.name WHERE rowid = NEW.id * 4 + {NAME};
    END""",
    f"""CREATE TRIGGER customer_search_name_delete AFTER DELETE ON customers BEGIN
        DELETE FROM customer_search WHERE rowid = OLD.id * 4 + {NAME};
    END""",
    f"""CREATE TRIGGER customer_search_identity_insert AFTER INSERT ON customer_identities WHEN NEW.kind IN {PART_KINDS} BEGIN
        INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body) VALUES (NEW.id * 4 + {IDENTITY}, NEW.tenant_id, NEW.customer_id, NEW.kind, NEW.value);
    END""",
    f"""CREATE TRIGGER customer_search_identity_update AFTER UPDATE OF kind, value, customer_id ON customer_identities BEGIN
        DELETE FROM customer_search WHERE rowid = OLD.id * 4 + {IDENTITY};
        INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body)
            SELECT NEW.id * 4 + {IDENTITY}, NEW.tenant_id, NEW.customer_id, NEW.kind, NEW.value WHERE NEW.kind IN {PART_KINDS};
    END""",
    f"""CREATE TRIGGER customer_search_identity_delete AFTER DELETE ON customer_identities BEGIN
        DELETE FROM customer_search WHERE rowid = OLD.id * 4 + {IDENTITY};
    END""",
    f"""CREATE TRIGGER customer_search_remark_insert AFTER INSERT ON staff_relations WHEN NEW.remark IS NOT NULL BEGIN
        INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body) VALUES (NEW.id * 4 + {REMARK}, NEW.tenant_id, NEW.customer_id, 'remark', NEW.remark);
    END""",
    f"""CREATE TRIGGER customer_search_remark_update AFTER UPDATE OF remark, customer_id ON staff_relations BEGIN
        DELETE FROM customer_search WHERE rowid = OLD.id * 4 + {REMARK};
        INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body)
            SELECT NEW.id * 4 + {REMARK}, NEW.tenant_id, NEW.customer_id, 'remark', NEW.remark WHERE NEW.remark IS NOT NULL;
    END""",
    f"""CREATE TRIGGER customer_search_remark_delete AFTER DELETE ON staff_relations BEGIN
        DELETE FROM customer_search WHERE rowid = OLD.id * 4 + {REMARK};
    END""",
]

SQLITE_BACKFILL = [
    f"INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body) SELECT id * 4 + {NAME}, tenant_id, id, 'name', name "
    "FROM customers",
    f"INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body) SELECT id * 4 + {IDENTITY}, tenant_id, customer_id, kind, "
    f"value FROM customer_identities WHERE kind IN {PART_KINDS}",
    f"INSERT INTO customer_search (rowid, tenant_id, customer_id, source, body) SELECT id * 4 + {REMARK}, tenant_id, customer_id, "
    "'remark', remark FROM staff_relations WHERE remark IS NOT NULL",
]

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
            bind.exec_driver_sql(
                "CREATE VIRTUAL TABLE customer_search USING fts5("
                "tenant_id UNINDEXED, customer_id UNINDEXED, source UNINDEXED, body, tokenize = 'trigram case_sensitive 0')"
            )
    except sa.exc.OperationalError as error:  # SQLite older than 3.34, or built without FTS5
        log.warning("customer search: no FTS5 trigram tokenizer in this SQLite (%s); search runs unindexed", error)
        return
    for statement in SQLITE_BACKFILL + SQLITE_TRIGGERS:
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
        for statement in SQLITE_TRIGGERS:
            name = statement.split()[2]
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS customer_search")
    elif bind.dialect.name == "postgresql":
        for name in POSTGRESQL_INDEXES:
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")  # pg_trgm stays: other schemas may use it
