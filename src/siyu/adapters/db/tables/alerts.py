"""Alerts for the console (deletions of customers and staff, mass deletions) and who has read them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKeyConstraint, Index, Integer, PrimaryKeyConstraint, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

alerts = Table(
    "alerts",
    metadata,
    id_column(),
    tenant_column(),
    Column("kind", String(30), nullable=False),  # deleted_by_customer, deleted_by_staff, mass_deletion
    Column("store_id", Integer),  # the staff member's store: its managers are the ones alerted
    Column("staff_id", Integer, nullable=False),
    Column("customer_id", Integer),
    Column("channel_state", String(30)),  # the relation's channel (contact way state), for the counts per channel
    Column("day", Date, nullable=False),  # the day it happened (Asia/Shanghai), for the counts per day
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("data", JSON, nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    Index("ix_alerts_tenant_store", "tenant_id", "store_id", "id"),
    Index("ix_alerts_tenant_staff_day", "tenant_id", "staff_id", "kind", "day"),
)

alert_reads = Table(
    "alert_reads",
    metadata,
    tenant_column(),
    Column("alert_id", Integer, nullable=False),
    Column("reader", String(40), nullable=False),  # user:ID or token:ID
    Column("read_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "alert_id", "reader"),
    ForeignKeyConstraint(["tenant_id", "alert_id"], ["alerts.tenant_id", "alerts.id"], ondelete="CASCADE"),
)
