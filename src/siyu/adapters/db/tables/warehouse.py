"""The warehouse sync's change capture in the operational store (migration 0031).

Triggers on every table the sync copies by block fingerprints write one row here per block of
256 keys a statement touched (``siyu.services.warehouse_sync`` reads and consumes them), so an
incremental sync re-reads only the blocks written since, never the whole table.

- SQLite (writers take turns): one row per block, ``writer`` 0; a later write to a block whose
  row is still there bumps ``writes``, so the sync, which deletes exactly the (id, writes) it
  read, keeps a row written again while it ran.
- PostgreSQL (writers run side by side): one row per block and writing transaction
  (``writer`` = ``txid_current()``), so concurrent writers never wait on each other's row; the
  sync deletes only the rows it read, and a transaction that commits after the read leaves
  its own rows for the next sync.

``warehouse_sync_tokens``: per source, the token of the sync that last consumed the rows; the
warehouse keeps the same token. Tokens that differ (a warehouse restored or replaced, another
warehouse synced from this store, a sync that died before its bookkeeping) make the next sync
re-check the whole source by fingerprints.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, PrimaryKeyConstraint, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import metadata, tenant_column

warehouse_changes = Table(
    "warehouse_changes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    # no foreign key: the triggers write here inside every write (a cascade from a tenant included)
    Column("tenant_id", Integer, nullable=False),
    Column("source", String(32), nullable=False),  # the sync's source name (``relations``, ``customer_tags`` ...)
    Column("block", BigInteger, nullable=False),  # key // 256
    Column("writer", BigInteger, nullable=False),  # PostgreSQL: the writing transaction; SQLite: 0
    Column("writes", Integer, nullable=False),  # SQLite: later writes to the block while the row waited
    UniqueConstraint("tenant_id", "source", "block", "writer"),
    sqlite_autoincrement=True,  # an id is never handed out twice: a sync deletes by (id, writes)
)

warehouse_sync_tokens = Table(
    "warehouse_sync_tokens",
    metadata,
    tenant_column(),
    Column("source", String(32), nullable=False),
    Column("token", BigInteger, nullable=False),
    PrimaryKeyConstraint("tenant_id", "source"),
)
