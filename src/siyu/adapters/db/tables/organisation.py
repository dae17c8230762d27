"""Tenants, organisation (regions, stores, staff) and accounts (users, sessions, API tokens)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKeyConstraint, Index, Integer, String, Table, UniqueConstraint

from siyu.adapters.db.tables.base import UTCDateTime, created_column, id_column, metadata, tenant_column

tenants = Table(
    "tenants",
    metadata,
    id_column(),
    Column("slug", String(40), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    created_column(),
)

regions = Table(
    "regions",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
)

stores = Table(
    "stores",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    Column("code", String(32)),
    Column("region_id", Integer),
    Column("city", String(64)),
    Column("address", String(200)),
    Column("is_open", Boolean, nullable=False, default=True),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
    UniqueConstraint("tenant_id", "code"),
    ForeignKeyConstraint(["tenant_id", "region_id"], ["regions.tenant_id", "regions.id"]),
    Index("ix_stores_tenant_region", "tenant_id", "region_id"),
)

staff = Table(
    "staff",
    metadata,
    id_column(),
    tenant_column(),
    Column("wecom_userid", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("mobile", String(20)),
    Column("store_id", Integer),
    Column("role", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("resigned_at", UTCDateTime()),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "wecom_userid"),
    ForeignKeyConstraint(["tenant_id", "store_id"], ["stores.tenant_id", "stores.id"]),
    Index("ix_staff_tenant_store", "tenant_id", "store_id"),
)

users = Table(
    "users",
    metadata,
    id_column(),
    tenant_column(),
    Column("login", String(120), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("staff_id", Integer),
    Column("locale", String(10), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime()),
    created_column(),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
)

sessions = Table(
    "sessions",
    metadata,
    id_column(),
    tenant_column(),
    Column("user_id", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    created_column(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("user_agent", String(200)),
    ForeignKeyConstraint(
        ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
    ),
    Index("ix_sessions_expires_at", "expires_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    id_column(),
    tenant_column(),
    Column("name", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("created_by", Integer),
    created_column(),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "created_by"], ["users.tenant_id", "users.id"]),
)
