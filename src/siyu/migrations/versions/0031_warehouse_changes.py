"""warehouse_changes, warehouse_sync_tokens: change capture for the warehouse sync's block-fingerprinted tables

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04

Triggers on INSERT, UPDATE and DELETE of each table the warehouse sync copies by block
fingerprints record the blocks (key // 256) a write touched in ``warehouse_changes``; the sync
re-reads only those blocks (see ``siyu.adapters.db.tables.warehouse`` and
``siyu.services.warehouse_sync``). SQLite: row triggers, one upserted row per block. PostgreSQL:
statement triggers over the transition tables, one row per block and transaction (so a bulk
``COPY`` costs one insert per block, and concurrent writers never wait on each other).

Group joins are read joined to their group code (its channel) and group chat (its owner): a
code whose channel changes, or a chat that appears, goes or changes owner, marks its joins'
blocks too (``ix_group_code_joins_chat`` finds them by chat).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

BLOCK = 256  # siyu.services.warehouse_sync.BLOCK
# the sync's source -> (operational table, key column)
SOURCES = {
    "regions": ("regions", "id"),
    "stores": ("stores", "id"),
    "staff": ("staff", "id"),
    "channels": ("channels", "id"),
    "channel_costs": ("channel_costs", "id"),
    "group_joins": ("group_code_joins", "id"),
    "member_levels": ("member_levels", "id"),
    "customers": ("customers", "id"),
    "relations": ("staff_relations", "id"),
    "customer_tags": ("customer_tags", "customer_id"),
    "customer_identities": ("customer_identities", "id"),
    "customer_scores": ("customer_scores", "customer_id"),
}
COLUMNS = "tenant_id, source, block, writer, writes"
SQLITE_UPSERT = "ON CONFLICT (tenant_id, source, block, writer) DO UPDATE SET writes = writes + 1"
PG_INSERT = "ON CONFLICT (tenant_id, source, block, writer) DO NOTHING"


def _sqlite(source: str, table: str, key: str) -> list[str]:
    def mark(row: str, where: str = "WHERE true") -> str:
        return (f"INSERT INTO warehouse_changes ({COLUMNS}) SELECT {row}.tenant_id, '{source}', {row}.{key} / {BLOCK}, 0, 0 "
                f"{where} {SQLITE_UPSERT};")

    moved = f"WHERE OLD.{key} / {BLOCK} <> NEW.{key} / {BLOCK} OR OLD.tenant_id <> NEW.tenant_id"
    return [
        f"CREATE TRIGGER siyu_wh_{source}_ins AFTER INSERT ON {table} BEGIN {mark('NEW')} END",
        f"CREATE TRIGGER siyu_wh_{source}_upd AFTER UPDATE ON {table} BEGIN {mark('NEW')} {mark('OLD', moved)} END",
        f"CREATE TRIGGER siyu_wh_{source}_del AFTER DELETE ON {table} BEGIN {mark('OLD')} END",
    ]


def _sqlite_joins_of(name: str, table: str, op_: str, match: str, when: str = "") -> str:
    """A trigger on a table group joins are read joined to: marks the blocks of the joins ``match`` finds."""
    rows = " ".join(
        f"INSERT INTO warehouse_changes ({COLUMNS}) SELECT j.tenant_id, 'group_joins', j.id / {BLOCK}, 0, 0 "
        f"FROM group_code_joins j WHERE {match.format(row=row)} {SQLITE_UPSERT};"
        for row in (("NEW",) if op_ == "INSERT" else ("OLD",) if op_ == "DELETE" else ("OLD", "NEW")))
    return f"CREATE TRIGGER siyu_wh_{name} AFTER {op_} ON {table} {when} BEGIN {rows} END"


def _pg(source: str, table: str, key: str) -> list[str]:
    def mark(rows: str) -> str:
        return (f"INSERT INTO warehouse_changes ({COLUMNS}) SELECT DISTINCT tenant_id, '{source}', {key} / {BLOCK}, "
                f"txid_current(), 0 FROM {rows} {PG_INSERT};")

    function = f"siyu_wh_mark_{source}"
    return [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {mark('siyu_new')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {mark('siyu_old')} END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER siyu_wh_{source}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS siyu_new "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER siyu_wh_{source}_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS siyu_old NEW TABLE AS siyu_new "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER siyu_wh_{source}_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS siyu_old "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _pg_joins_of(name: str, table: str, match: str, when: str) -> list[str]:
    """Row triggers (these tables change rarely) marking the blocks of the joins ``match`` finds."""
    def mark(row: str) -> str:
        return (f"INSERT INTO warehouse_changes ({COLUMNS}) SELECT DISTINCT j.tenant_id, 'group_joins', j.id / {BLOCK}, "
                f"txid_current(), 0 FROM group_code_joins j WHERE {match.format(row=row)} {PG_INSERT};")

    function = f"siyu_wh_mark_{name}"
    return [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {mark('NEW')} END IF; "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {mark('OLD')} END IF; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER siyu_wh_{name}_upd AFTER UPDATE ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER siyu_wh_{name}_other AFTER {'INSERT OR DELETE' if table == 'wecom_group_chats' else 'DELETE'} "
        f"ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


CODE_MATCH = "j.tenant_id = {row}.tenant_id AND j.group_code_id = {row}.id"
CHAT_MATCH = "j.tenant_id = {row}.tenant_id AND j.chat_id = {row}.chat_id"


def statements(dialect: str) -> list[str]:
    out: list[str] = []
    if dialect == "postgresql":
        for source, (table, key) in SOURCES.items():
            out += _pg(source, table, key)
        out += _pg_joins_of("group_codes", "group_codes", CODE_MATCH, "OLD.channel_id IS DISTINCT FROM NEW.channel_id")
        out += _pg_joins_of("group_chats", "wecom_group_chats", CHAT_MATCH,
                            "OLD.owner_staff_id IS DISTINCT FROM NEW.owner_staff_id OR OLD.chat_id <> NEW.chat_id")
        return out
    for source, (table, key) in SOURCES.items():
        out += _sqlite(source, table, key)
    out.append(_sqlite_joins_of("group_codes_upd", "group_codes", "UPDATE", CODE_MATCH,
                                "WHEN OLD.channel_id IS NOT NEW.channel_id"))
    out.append(_sqlite_joins_of("group_codes_del", "group_codes", "DELETE", CODE_MATCH))
    out.append(_sqlite_joins_of("group_chats_ins", "wecom_group_chats", "INSERT", CHAT_MATCH))
    out.append(_sqlite_joins_of("group_chats_upd", "wecom_group_chats", "UPDATE", CHAT_MATCH,
                                "WHEN OLD.owner_staff_id IS NOT NEW.owner_staff_id OR OLD.chat_id <> NEW.chat_id"))
    out.append(_sqlite_joins_of("group_chats_del", "wecom_group_chats", "DELETE", CHAT_MATCH))
    return out


def _drops(dialect: str) -> list[str]:
    if dialect == "postgresql":
        tables = {source: table for source, (table, _) in SOURCES.items()} | {"group_codes": "group_codes",
                                                                            "group_chats": "wecom_group_chats"}
        return [f"DROP FUNCTION siyu_wh_mark_{name}() CASCADE" for name in tables]  # CASCADE: its triggers
    names = [f"{source}_{op_}" for source in SOURCES for op_ in ("ins", "upd", "del")]
    names += ["group_codes_upd", "group_codes_del", "group_chats_ins", "group_chats_upd", "group_chats_del"]
    return [f"DROP TRIGGER siyu_wh_{name}" for name in names]


def upgrade() -> None:
    op.create_table('warehouse_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('block', sa.BigInteger(), nullable=False),
    sa.Column('writer', sa.BigInteger(), nullable=False),
    sa.Column('writes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warehouse_changes')),
    sa.UniqueConstraint('tenant_id', 'source', 'block', 'writer', name=op.f('uq_warehouse_changes_tenant_id_source_block_writer')),
    sqlite_autoincrement=True,
    )
    op.create_table('warehouse_sync_tokens',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('token', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_warehouse_sync_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'source', name=op.f('pk_warehouse_sync_tokens'))
    )
    op.create_index('ix_group_code_joins_chat', 'group_code_joins', ['tenant_id', 'chat_id'], unique=False)
    for statement in statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in _drops(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index('ix_group_code_joins_chat', table_name='group_code_joins')
    op.drop_table('warehouse_sync_tokens')
    op.drop_table('warehouse_changes')
