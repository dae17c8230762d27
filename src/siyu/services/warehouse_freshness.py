"""How fresh the analytics warehouse is for a tenant: its sync version and when it was last synced
(for the console's "data as of", the API and the CLI). The sync itself: ``siyu.services.warehouse_sync``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from siyu.adapters.warehouse import Warehouse
from siyu.domain.access import Actor, Permission


@dataclass(frozen=True)
class SyncStatus:
    tenant_id: int
    version: int
    last_synced_at: datetime | None
    rows_changed: int


def warehouse_status(actor: Actor, warehouse: Warehouse) -> SyncStatus:
    """When the actor's tenant was last synced, for the console and the API."""
    actor.require(Permission.ANALYTICS_VIEW)
    return sync_status(warehouse, actor.tenant_id)


def data_as_of(actor: Actor, warehouse: Warehouse) -> SyncStatus:
    """How fresh the warehouse's customer lists (segments) are, for anyone who may see customers."""
    actor.require(Permission.CUSTOMERS_VIEW)
    return sync_status(warehouse, actor.tenant_id)


def sync_status(warehouse: Warehouse, tenant_id: int) -> SyncStatus:
    """The tenant's sync version and when it was last synced (version 0: never)."""
    row = warehouse.last_run(tenant_id)
    if row is None:
        return SyncStatus(tenant_id=tenant_id, version=0, last_synced_at=None, rows_changed=0)
    return SyncStatus(tenant_id=tenant_id, version=row["version"], last_synced_at=_aware(row["finished_at"]),
                      rows_changed=row["rows_changed"])


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)
