"""A tenant's WeCom link: its settings (secrets sealed) and the callbacks WeCom delivered."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, ForeignKeyConstraint, Index, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

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
    # The self-built app's Secret (its AgentId is agent_id): WeCom sign-in (OAuth) calls with its token.
    Column("app_secret", Text),
    Column("app_secret_tail", String(4)),
    Column("callback_verified_at", UTCDateTime()),  # the last URL check WeCom made that passed
    # An extra alert when one staff member deletes more than this many customers in a day.
    Column("mass_deletion_threshold", Integer, nullable=False, server_default="10"),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(80), nullable=False),
)

# The ``state`` nonces of WeCom sign-ins (OAuth) already used: a state is good once. Rows
# past their state's lifetime are kept for nothing and deleted by housekeeping.
wecom_sign_in_states = Table(
    "wecom_sign_in_states",
    metadata,
    tenant_column(),
    Column("nonce", String(64), nullable=False),
    Column("used_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "nonce"),
    Index("ix_wecom_sign_in_states_used", "used_at"),
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
    Index("ix_wecom_callbacks_pair", "tenant_id", "external_userid", "wecom_userid", "occurred_at"),  # events in CreateTime order
)

# One row per sync run. ``position`` is where the run stands (step, staff chunk, cursor): it
# is written in the same transaction as each page's changes, so an interrupted run resumes
# exactly after the last page it committed.
wecom_sync_runs = Table(
    "wecom_sync_runs",
    metadata,
    id_column(),
    tenant_column(),
    Column("full", Boolean, nullable=False),
    Column("status", String(12), nullable=False),  # running, interrupted, done, failed
    Column("position", JSON, nullable=False),
    Column("userids", JSON, nullable=False),  # the staff synced (WeCom userids known to Siyu), fixed at the start
    Column("unknown_userids", JSON, nullable=False),  # staff with the permission whom Siyu does not know
    Column("counts", JSON, nullable=False),
    Column("error", Text),
    Column("actor", String(80), nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "id"),
    Index("ix_wecom_sync_runs_tenant_status", "tenant_id", "status"),
)

# Customer groups (客户群) as the last sync saw them.
wecom_group_chats = Table(
    "wecom_group_chats",
    metadata,
    id_column(),
    tenant_column(),
    Column("chat_id", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("owner_userid", String(64), nullable=False),
    Column("owner_staff_id", Integer),
    Column("status", Integer, nullable=False),  # WeCom's: 0 normal, 1 owner resigned, 2 transferring, 3 transferred
    Column("members", Integer, nullable=False),
    Column("external_members", Integer, nullable=False),
    Column("created_in_wecom", UTCDateTime()),
    Column("fingerprint", String(32), nullable=False),
    Column("seen_run_id", Integer),
    Column("synced_at", UTCDateTime(), nullable=False),
    Column("dismissed_at", UTCDateTime()),  # WeCom's dismiss callback (the group is gone there)
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "chat_id"),
    ForeignKeyConstraint(["tenant_id", "owner_staff_id"], ["staff.tenant_id", "staff.id"]),
)

# A material's file as uploaded to the tenant's WeCom: the media id and until when it holds
# (3 days). One row per (material, which upload, which of its files); a row is replaced by a
# fresher upload and deleted only while it still holds the id WeCom refused (services/wecom_media).
wecom_media = Table(
    "wecom_media",
    metadata,
    id_column(),
    tenant_column(),
    Column("material_id", Integer, nullable=False),
    Column("purpose", String(12), nullable=False),  # message (media/upload) | moment (media/upload_attachment)
    Column("part", String(8), nullable=False),  # main | cover
    Column("source", String(500), nullable=False),  # the URL uploaded: the material edited, the id no longer fits
    Column("media_id", String(128), nullable=False),
    Column("uploaded_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "material_id", "purpose", "part"),
    ForeignKeyConstraint(["tenant_id", "material_id"], ["materials.tenant_id", "materials.id"], ondelete="CASCADE"),
)
