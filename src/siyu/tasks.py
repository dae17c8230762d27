"""Background tasks, registered on the context's Huey instance.

The web process registers them to enqueue; ``siyu worker`` registers the same ones to run
them. Each task calls a service; none touches tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from huey import crontab
from huey.constants import EmptyData

from siyu.domain.access import Actor, Role
from siyu.services import housekeeping, imports, warehouse_sync

if TYPE_CHECKING:
    from siyu.bootstrap import Context

HEARTBEAT_KEY = "siyu:worker:heartbeat"


def register_tasks(context: Context) -> dict[str, Callable[..., object]]:
    huey = context.huey

    @huey.periodic_task(crontab(minute="*/15"), name="purge_expired_sessions")
    def purge_expired_sessions() -> int:
        return housekeeping.purge_expired_sessions(context.uow())

    @huey.periodic_task(crontab(minute="*"), name="heartbeat")
    def heartbeat() -> str:
        stamp = housekeeping.now_iso()
        huey.storage.put_data(HEARTBEAT_KEY, stamp.encode())
        return stamp

    @huey.periodic_task(crontab(minute="*/15"), name="sync_warehouse")
    def sync_warehouse() -> int:
        """Copy what changed into the analytics warehouse, every tenant; returns rows written."""
        with context.warehouse() as warehouse:
            return sum(r.rows_written for r in warehouse_sync.sync_all_tenants(context.uow(), warehouse))

    @huey.task(name="run_customer_import")
    def run_customer_import(actor: dict[str, object], import_id: int, path: str, encoding: str | None) -> str:
        """Run an uploaded import for the person who started it; the upload is removed after."""
        upload = Path(path)
        try:
            run = imports.run_import(context.uow(), actor_from(actor), import_id, upload, encoding=encoding)
        finally:
            upload.unlink(missing_ok=True)
        return run.status.value

    return {
        "purge_expired_sessions": purge_expired_sessions,
        "heartbeat": heartbeat,
        "sync_warehouse": sync_warehouse,
        "run_customer_import": run_customer_import,
    }


def actor_fields(actor: Actor) -> dict[str, object]:
    """An actor as plain data, to travel through the queue."""
    return {"tenant_id": actor.tenant_id, "role": actor.role.value, "user_id": actor.user_id, "token_id": actor.token_id,
            "staff_id": actor.staff_id, "store_id": actor.store_id, "name": actor.name}


def actor_from(fields: dict[str, object]) -> Actor:
    return Actor(**{**fields, "role": Role(str(fields["role"]))})  # type: ignore[arg-type]


def last_heartbeat(context: Context) -> datetime | None:
    raw = context.huey.storage.peek_data(HEARTBEAT_KEY)
    if raw is EmptyData or raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.decode())
    except (AttributeError, ValueError):
        return None
