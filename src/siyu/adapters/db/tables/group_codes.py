"""Group live codes (群活码): the code, its pool of customer groups, and the joins it brought."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

group_codes = Table(
    "group_codes",
    metadata,
    id_column(),
    tenant_column(),
    Column("channel_id", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    Column("state", String(30), nullable=False),  # the join way's `state`; the code is the channel's for attribution
    Column("chat_ids", JSON, nullable=False),  # the pool: WeCom chat ids (wecom_group_chats.chat_id), in the order used
    Column("threshold", Integer, nullable=False),  # a group counts as full at this many members
    Column("auto_create_room", Boolean, nullable=False),
    Column("room_base_name", String(40), nullable=False),
    Column("room_base_id", Integer),
    Column("config_id", String(64)),  # WeCom's id for the join way
    Column("qr_code", String(500)),
    Column("live_chat_ids", JSON, nullable=False),  # the groups the join way lists, as last re-listed
    Column("rotated_at", UTCDateTime()),
    Column("exhausted_at", UTCDateTime()),  # since when no group of the pool is open
    Column("archived_at", UTCDateTime()),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "state"),
    ForeignKeyConstraint(["tenant_id", "channel_id"], ["channels.tenant_id", "channels.id"]),
    Index("ix_group_codes_tenant_channel", "tenant_id", "channel_id"),
)

# One row per group-join callback (change_external_chat update/add_member by QR scan) into a
# group the code listed: WeCom does not send the join way's state there, so the join is the
# code's because the group is in its pool (services/group_codes.record_join).
group_code_joins = Table(
    "group_code_joins",
    metadata,
    id_column(),
    tenant_column(),
    Column("group_code_id", Integer, nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("members", Integer, nullable=False),  # MemChangeCnt: how many joined in this event
    Column("occurred_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "group_code_id"], ["group_codes.tenant_id", "group_codes.id"], ondelete="CASCADE"),
    Index("ix_group_code_joins_code_time", "tenant_id", "group_code_id", "occurred_at"),
    Index("ix_group_code_joins_chat", "tenant_id", "chat_id"),  # the warehouse's change capture: a group's owner changed (0031)
)
