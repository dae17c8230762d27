"""Contact pressure (触达频控): a tenant's rules, customers' opt-outs, and every message a customer got."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, id_column, metadata, tenant_column

# One row per tenant that changed the defaults (no row: only WeCom's monthly cap applies).
contact_rules = Table(
    "contact_rules",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("per_day", Integer),
    Column("per_week", Integer),
    Column("per_month", Integer),
    Column("quiet_start", Integer),  # minutes after Shanghai midnight
    Column("quiet_end", Integer),
    Column("wecom_cap", String(8), nullable=False),  # month, week, day (domain WeComCap)
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(80), nullable=False),
)

# Do-not-disturb: a customer with a row here gets no message from any send.
customer_opt_outs = Table(
    "customer_opt_outs",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("source", String(20), nullable=False),  # manual, import, customer_request, api
    Column("note", String(200)),
    Column("actor", String(80), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "customer_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_customer_opt_outs_tenant_created", "tenant_id", "created_at"),
)

# One row per message delivered to a customer, whatever sent it: what the caps count.
# (source_kind, source_id) names one delivery per customer (a mass send, a journey step run,
# a moment), so recording the same delivery again is a no-op.
customer_messages = Table(
    "customer_messages",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("staff_id", Integer),
    Column("source_kind", String(20), nullable=False),  # mass_send, journey, moment ...
    Column("source_id", Integer, nullable=False),
    Column("sent_at", UTCDateTime(), nullable=False),
    Column("counts_toward_wecom_cap", Boolean, nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "source_kind", "source_id", "customer_id"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_customer_messages_tenant_customer_sent", "tenant_id", "customer_id", "sent_at"),
)
