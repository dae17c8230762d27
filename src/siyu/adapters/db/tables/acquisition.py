"""Acquisition: contact ways (渠道活码), materials (素材), welcome messages and their sends."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKeyConstraint, Index, Integer, String, Table, Text, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

contact_ways = Table(
    "contact_ways",
    metadata,
    id_column(),
    tenant_column(),
    Column("channel_id", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("state", String(30), nullable=False),  # WeCom's `state`: comes back on every add (staff_relations.channel_state)
    Column("kind", String(12), nullable=False),
    Column("rotation", String(16), nullable=False),
    Column("staff", JSON, nullable=False),  # the StaffRule list (staff id, weight, weekdays, hours, cap, fallback)
    Column("skip_verify", Boolean, nullable=False),
    Column("tag_ids", JSON, nullable=False),
    Column("remark_template", String(40)),
    Column("stage_id", Integer),
    Column("config_id", String(64)),  # WeCom's id for the way; API-made ways are invisible in WeCom's console
    Column("qr_code", String(500)),
    Column("bound_staff_ids", JSON, nullable=False),  # who WeCom hands the next add to, as last re-bound
    Column("bound_at", UTCDateTime()),
    Column("archived_at", UTCDateTime()),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "state"),
    ForeignKeyConstraint(["tenant_id", "channel_id"], ["channels.tenant_id", "channels.id"]),
    Index("ix_contact_ways_tenant_channel", "tenant_id", "channel_id"),
)

materials = Table(
    "materials",
    metadata,
    id_column(),
    tenant_column(),
    Column("kind", String(16), nullable=False),
    Column("title", String(64), nullable=False),
    Column("url", String(500), nullable=False),
    Column("pic_url", String(500), nullable=False),
    Column("description", String(120), nullable=False),
    Column("appid", String(32), nullable=False),
    Column("page", String(200), nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
)

welcome_messages = Table(
    "welcome_messages",
    metadata,
    id_column(),
    tenant_column(),
    Column("scope", String(12), nullable=False),  # default | channel | way
    Column("channel_id", Integer),
    Column("contact_way_id", Integer),
    Column("text", Text, nullable=False),
    Column("material_ids", JSON, nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    # one message per target: the default (both empty), a channel, or a way
    UniqueConstraint("tenant_id", "scope", "channel_id", "contact_way_id"),
    ForeignKeyConstraint(["tenant_id", "channel_id"], ["channels.tenant_id", "channels.id"]),
    ForeignKeyConstraint(["tenant_id", "contact_way_id"], ["contact_ways.tenant_id", "contact_ways.id"]),
)

# One row per add that carried a welcome code: what was sent, how it ended, and how long it took.
welcome_sends = Table(
    "welcome_sends",
    metadata,
    id_column(),
    tenant_column(),
    Column("customer_id", Integer, nullable=False),
    Column("staff_id", Integer, nullable=False),
    Column("contact_way_id", Integer),
    Column("welcome_message_id", Integer),
    Column("event_key", String(64), nullable=False),  # the callback it answers (one send per add event)
    Column("status", String(16), nullable=False),
    Column("errcode", Integer),
    Column("received_at", UTCDateTime(), nullable=False),  # when the add callback arrived
    Column("sent_at", UTCDateTime()),
    Column("latency_ms", Integer),  # received_at -> WeCom's answer to send_welcome_msg
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "event_key"),
    ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
    Index("ix_welcome_sends_tenant_customer", "tenant_id", "customer_id"),
)
