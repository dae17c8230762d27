"""Moments tasks (朋友圈任务) and, per task, each sender's publish status (domain/moments.py)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, String, Table, Text, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

moments = Table(
    "moments",
    metadata,
    id_column(),
    tenant_column(),
    Column("text", Text, nullable=False),
    Column("material_ids", JSON, nullable=False),  # the chosen materials, in order
    Column("attachments", JSON, nullable=False),  # as sent to WeCom (a snapshot: a material edited later changes nothing)
    Column("staff_ids", JSON, nullable=False),  # the senders as chosen: staff ...
    Column("store_ids", JSON, nullable=False),  # ... and stores (expanded into moment_senders when recorded)
    Column("tag_ids", JSON, nullable=False),  # Siyu tag ids; visible to customers with any of them (none: all)
    Column("wecom_tag_ids", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # queued | submitted | publishing | done | cancelled | failed
    Column("jobid", String(128)),  # add_moment_task's job
    Column("wecom_moment_id", String(128)),  # the moment WeCom made
    Column("error", String(300)),
    Column("counts", JSON, nullable=False),  # {senders, published, invalid}
    Column("actor", String(64), nullable=False),
    created_column(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("submitted_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "id"),
    Index("ix_moments_tenant_created", "tenant_id", "created_at"),
    Index("ix_moments_status", "status", "tenant_id"),  # the worker's poll of unfinished tasks, every tenant
)

moment_senders = Table(
    "moment_senders",
    metadata,
    id_column(),
    tenant_column(),
    Column("moment_id", Integer, nullable=False),
    Column("staff_id", Integer, nullable=False),
    Column("userid", String(64), nullable=False),  # the staff member's WeCom userid when the task was recorded
    Column("status", String(20), nullable=False),  # waiting | published | invalid
    Column("published_at", UTCDateTime()),  # first seen published
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "moment_id", "staff_id"),
    ForeignKeyConstraint(["tenant_id", "moment_id"], ["moments.tenant_id", "moments.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
)
