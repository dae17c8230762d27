"""Shared pieces of the operational schema: the metadata, the UTC type, column helpers.

Every tenant-owned table carries ``tenant_id`` and a ``UNIQUE (tenant_id, id)`` key, and
references other tenant-owned rows through composite foreign keys on ``(tenant_id, x_id)``:
the database itself refuses a store that points at another tenant's region. The same shape
lets Citus distribute every table by ``tenant_id`` later.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData
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


def id_column() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def tenant_column() -> Column[int]:
    return Column("tenant_id", Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


def created_column() -> Column[datetime]:
    return Column("created_at", UTCDateTime(), nullable=False)
