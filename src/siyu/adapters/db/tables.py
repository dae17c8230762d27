"""The operational schema, as SQLAlchemy Core tables.

Every tenant-owned table carries ``tenant_id`` and a ``UNIQUE (tenant_id, id)`` key, and
references other tenant-owned rows through composite foreign keys on ``(tenant_id, x_id)``:
the database itself refuses a store that points at another tenant's region. The same shape
lets Citus distribute every table by ``tenant_id`` later.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every engine, handed out timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _tenant() -> Column[int]:
    return Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def _created() -> Column[datetime]:
    return Column("created_at", UTCDateTime(), nullable=False)


tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("slug", String(40), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    _created(),
)

regions = Table(
    "regions",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(64), nullable=False),
    _created(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
)

stores = Table(
    "stores",
    metadata,
    _id(),
    _tenant(),
    Column("name", String(64), nullable=False),
    Column("code", String(32)),
    Column("region_id", Integer),
    Column("city", String(64)),
    Column("address", String(200)),
    Column("is_open", Boolean, nullable=False, default=True),
    _created(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "name"),
    UniqueConstraint("tenant_id", "code"),
    ForeignKeyConstraint(["tenant_id", "region_id"], ["regions.tenant_id", "regions.id"]),
    Index("ix_stores_tenant_region", "tenant_id", "region_id"),
)

staff = Table(
    "staff",
    metadata,
    _id(),
    _tenant(),
    Column("wecom_userid", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("mobile", String(20)),
    Column("store_id", Integer),
    Column("role", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("resigned_at", UTCDateTime()),
    _created(),
    UniqueConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "wecom_userid"),
    ForeignKeyConstraint(["tenant_id", "store_id"], ["stores.tenant_id", "stores.id"]),
    Index("ix_staff_tenant_store", "tenant_id", "store_id"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _tenant(),
    Column("login", String(120), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("staff_id", Integer),
    Column("locale", String(10), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime()),
    _created(),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "staff_id"], ["staff.tenant_id", "staff.id"]),
)

sessions = Table(
    "sessions",
    metadata,
    _id(),
    _tenant(),
    Column("user_id", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    _created(),
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
    _id(),
    _tenant(),
    Column("name", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("created_by", Integer),
    _created(),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
    UniqueConstraint("tenant_id", "id"),
    ForeignKeyConstraint(["tenant_id", "created_by"], ["users.tenant_id", "users.id"]),
)
