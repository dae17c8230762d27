"""Customer transfers (在职继承 / 离职继承): one row per transfer, one per customer in it."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKeyConstraint, Index, Integer, String, Table, Text, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

transfers = Table(
    "transfers",
    metadata,
    id_column(),
    tenant_column(),
    Column("resigned", Boolean, nullable=False),  # 离职继承 (the handover has left) or 在职继承
    Column("handover_staff_id", Integer, nullable=False),
    Column("takeover_staff_id", Integer, nullable=False),
    Column("status", String(12), nullable=False),  # submitting, waiting, done
    Column("message", Text),  # transfer_success_msg (on-job transfers only)
    Column("counts", JSON, nullable=False),
    Column("actor", String(80), nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "handover_staff_id"], ["staff.tenant_id", "staff.id"]),
    ForeignKeyConstraint(["tenant_id", "takeover_staff_id"], ["staff.tenant_id", "staff.id"]),
    Index("ix_transfers_tenant_status", "tenant_id", "status"),
)

transfer_items = Table(
    "transfer_items",
    metadata,
    id_column(),
    tenant_column(),
    Column("transfer_id", Integer, nullable=False),
    Column("customer_id", Integer, nullable=False),
    Column("external_userid", String(64), nullable=False),
    Column("status", String(12), nullable=False),  # pending, waiting, done, failed
    Column("reason", String(40)),  # why it failed: a WeCom errcode or result status, or Siyu's own rule
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "transfer_id"], ["transfers.tenant_id", "transfers.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    Index("ix_transfer_items_transfer", "tenant_id", "transfer_id", "status"),
    Index("ix_transfer_items_customer", "tenant_id", "customer_id", "updated_at"),
)
