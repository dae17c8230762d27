"""Background tasks, registered on the context's Huey instance.

The web process registers them to enqueue; ``siyu worker`` registers the same ones to run
them. Each task calls a service; none touches tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from huey import crontab
from huey.constants import EmptyData

from siyu.services import housekeeping

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

    return {"purge_expired_sessions": purge_expired_sessions, "heartbeat": heartbeat}


def last_heartbeat(context: Context) -> datetime | None:
    raw = context.huey.storage.peek_data(HEARTBEAT_KEY)
    if raw is EmptyData or raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.decode())
    except (AttributeError, ValueError):
        return None
