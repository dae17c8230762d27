"""A tenant's WeCom link: its settings (secrets sealed) and the callbacks WeCom delivered."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, id_column, metadata, tenant_column

wecom_settings = Table(
    "wecom_settings",
    metadata,
    Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    Column("corp_id", String(64), nullable=False),
    Column("agent_id", Integer),
    Column("api_base_url", String(200), nullable=False),
    # Sealed with the app's secret key (Fernet): a database dump alone does not give them away.
    Column("contact_secret", Text),
    Column("callback_token", Text),
    Column("encoding_aes_key", Text),
    # The last 4 characters of each, for the console to show which one is set.
    Column("contact_secret_tail", String(4)),
    Column("callback_token_tail", String(4)),
    Column("encoding_aes_key_tail", String(4)),
    Column("callback_verified_at", UTCDateTime()),  # the last URL check WeCom made that passed
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(80), nullable=False),
)

# One row per event WeCom told us about; the unique key is what makes a retry or a replay
# of the same event a no-op.
wecom_callbacks = Table(
    "wecom_callbacks",
    metadata,
    id_column(),
    tenant_column(),
    Column("event_key", String(64), nullable=False),
    Column("event", String(40), nullable=False),
    Column("change_type", String(40), nullable=False),
    Column("wecom_userid", String(64)),
    Column("external_userid", String(64)),
    Column("chat_id", String(64)),
    Column("occurred_at", UTCDateTime(), nullable=False),  # the event's CreateTime
    Column("received_at", UTCDateTime(), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("outcome", String(200), nullable=False),
    Column("deliveries", Integer, nullable=False, default=1),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "event_key"),
    Index("ix_wecom_callbacks_tenant_received", "tenant_id", "received_at"),
)
