"""Commerce: acquisition channels and their costs, orders (lines, refunds) and behaviour events.

The column names of these tables are a contract with the analytics warehouse (its sync job
reads them by watermark on ``updated_at`` / ``received_at``): columns may be added, never
renamed. Money is ``Numeric(12, 2)`` in yuan; times are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

UNMATCHED = text("customer_id IS NULL")


def _money(name: str, **kwargs: object) -> Column[object]:
    return Column(name, Numeric(12, 2), **kwargs)  # type: ignore[arg-type]


channels = Table(
    "channels",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    Column("group_name", String(64)),
    Column("owner_staff_id", Integer),
    Column("state", String(30), nullable=False),  # the contact way's `state`; staff_relations.channel_state
    Column("archived_at", UTCDateTime()),  # archived channels keep their history but take no new costs
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "state"),
    UniqueConstraint("tenant_id", "name"),
    ForeignKeyConstraint(["tenant_id", "owner_staff_id"], ["staff.tenant_id", "staff.id"]),
)

channel_costs = Table(
    "channel_costs",
    metadata,
    id_column(),
    tenant_column(),
    Column("channel_id", Integer, nullable=False),
    Column("period_start", Date, nullable=False),  # inclusive, Asia/Shanghai business days
    Column("period_end", Date, nullable=False),  # inclusive
    _money("amount", nullable=False),
    Column("note", String(200)),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "channel_id", "period_start", "period_end"),
    ForeignKeyConstraint(["tenant_id", "channel_id"], ["channels.tenant_id", "channels.id"], ondelete="CASCADE"),
    Index("ix_channel_costs_period", "tenant_id", "period_start"),
)

orders = Table(
    "orders",
    metadata,
    id_column(),
    tenant_column(),
    Column("source", String(20), nullable=False),  # mall, store, tmall, jd, douyin, miniprogram ...
    Column("source_order_id", String(64), nullable=False),
    Column("customer_id", Integer),  # NULL: matched nobody yet; re-resolved when an identity appears
    Column("identities", JSON, nullable=False, default=dict),  # the keys it arrived with: {kind: value}
    Column("store_id", Integer),
    Column("staff_id", Integer),  # the guide credited
    Column("channel_id", Integer),
    Column("ordered_at", UTCDateTime(), nullable=False),
    _money("amount", nullable=False),  # what the customer paid, > 0
    _money("refunded_amount", nullable=False, default=0),  # sum of refunds, <= amount
    Column("status", String(20), nullable=False),  # paid | partially_refunded | refunded
    Column("digest", String(64), nullable=False),  # of the order as sent: a resend that differs updates it
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),  # bumped on every change
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "source", "source_order_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    ForeignKeyConstraint(["tenant_id", "store_id"], ["stores.tenant_id", "stores.id"]),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    ForeignKeyConstraint(["tenant_id", "channel_id"], ["channels.tenant_id", "channels.id"]),
    Index("ix_orders_customer_time", "tenant_id", "customer_id", "ordered_at"),
    Index("ix_orders_tenant_time", "tenant_id", "ordered_at"),
    Index("ix_orders_tenant_updated", "tenant_id", "updated_at"),  # the warehouse's watermark
    Index("ix_orders_unmatched", "tenant_id", "id", sqlite_where=UNMATCHED, postgresql_where=UNMATCHED),
)

order_lines = Table(
    "order_lines",
    metadata,
    id_column(),
    tenant_column(),
    Column("order_id", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("quantity", Integer, nullable=False),
    _money("amount", nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"], ondelete="CASCADE"),
    Index("ix_order_lines_order", "tenant_id", "order_id"),
)

refunds = Table(
    "refunds",
    metadata,
    id_column(),
    tenant_column(),
    Column("order_id", Integer, nullable=False),
    Column("source_refund_id", String(64), nullable=False),
    _money("amount", nullable=False),  # > 0
    Column("refunded_at", UTCDateTime(), nullable=False),
    Column("reason", String(200)),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "order_id", "source_refund_id"),
    ForeignKeyConstraint(["tenant_id", "order_id"], ["orders.tenant_id", "orders.id"], ondelete="CASCADE"),
    Index("ix_refunds_tenant_time", "tenant_id", "refunded_at"),
)

events = Table(
    "events",
    metadata,
    id_column(),
    tenant_column(),
    Column("event_id", String(64), nullable=False),  # the sender's id: the idempotency key
    Column("name", String(64), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("customer_id", Integer),  # NULL: the identity matched nobody yet
    Column("identity_kind", String(20)),  # the key it arrived with
    Column("identity_value", String(128)),
    Column("properties", JSON, nullable=False, default=dict),
    Column("source", String(20)),  # who sent it (miniprogram, h5, live ...), free text
    Column("received_at", UTCDateTime(), nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),  # bumped when matched later or moved by a merge (0007)
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "event_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_events_customer_time", "tenant_id", "customer_id", "occurred_at"),
    Index("ix_events_tenant_time", "tenant_id", "occurred_at"),
    Index("ix_events_tenant_received", "tenant_id", "received_at"),  # the warehouse's watermark
    Index("ix_events_tenant_updated", "tenant_id", "updated_at"),  # ... and for events whose customer changed
    Index(
        "ix_events_unmatched", "tenant_id", "identity_kind", "identity_value",
        sqlite_where=UNMATCHED, postgresql_where=UNMATCHED,
    ),
)

order_imports = Table(  # a run over one order file (siyu.domain.order_imports)
    "order_imports",
    metadata,
    id_column(),
    tenant_column(),
    Column("filename", String(200), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("source", String(20)),  # the orders' source when the file has no source column
    Column("status", String(12), nullable=False),  # running, done, failed
    Column("rows_expected", Integer),
    *(Column(name, Integer, nullable=False, default=0) for name in (
        "rows_total", "rows_good", "rows_bad", "rows_done", "orders_created", "orders_updated", "orders_unchanged",
        "orders_rejected", "orders_unmatched", "refunds_added")),
    Column("message", Text),
    Column("message_code", String(64)),
    Column("message_params", JSON),
    Column("actor", String(80), nullable=False),
    created_column(),
    Column("finished_at", UTCDateTime()),
    Column("upload", String(500)),  # the stored file the worker reads (None: read in-process, by the CLI)
    Column("encoding", String(32)),
    Column("attempt", Integer, nullable=False, default=0, server_default="0"),  # bumped by each worker taking the run
    Column("progress_at", UTCDateTime()),  # when that worker took it or last committed a batch
    UniqueConstraint("tenant_id", "id"),
)

order_import_errors = Table(
    "order_import_errors",
    metadata,
    id_column(),
    tenant_column(),
    Column("import_id", Integer, nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column", String(64)),
    Column("value", String(200)),
    Column("reason", String(300), nullable=False),
    Column("code", String(64)),
    Column("params", JSON),
    ForeignKeyConstraint(["tenant_id", "import_id"], ["order_imports.tenant_id", "order_imports.id"], ondelete="CASCADE"),
    Index("ix_order_import_errors_import", "tenant_id", "import_id", "row_number"),
)
