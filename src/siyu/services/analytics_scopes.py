"""A dashboard's scope checked against the tenant: the store, region and channel it names must
be the tenant's (those the actor's pickers offer), else the question is refused with a coded error
rather than answered for a place that does not exist (an empty answer that looks like a real one).

The API (``store_id`` / ``region_id`` / ``channel_id``), the console's pickers and the command
line's ``--store`` / ``--region`` / ``--channel`` (``siyu.cli.warehouse``) all ask this function.
"""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput


def check_scope(uow: SqlUnitOfWork, actor: Actor, *, store_id: int | None = None, region_id: int | None = None,
                channel_id: int | None = None) -> None:
    """Raise unless each id given is one of the tenant's stores, regions and channels (the fields
    of ``siyu.analytics.scope.Scope``; the analytics side is not imported here, it is a sibling)."""
    actor.require(Permission.ANALYTICS_VIEW)
    if store_id is None and region_id is None and channel_id is None:
        return
    with uow.reading():
        if store_id is not None and uow.stores.get(actor.scope, store_id) is None:
            raise InvalidInput("analytics.scope_store_not_found", "there is no store %(id)s", field="store_id", id=store_id)
        if region_id is not None and uow.regions.get(actor.scope, region_id) is None:
            raise InvalidInput("analytics.scope_region_not_found", "there is no region %(id)s", field="region_id", id=region_id)
        if channel_id is not None and uow.channels.get(actor.tenant_id, channel_id) is None:
            raise InvalidInput("analytics.scope_channel_not_found", "there is no channel %(id)s", field="channel_id",
                               id=channel_id)
