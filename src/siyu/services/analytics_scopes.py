"""A dashboard's scope checked against the tenant: the store, region and channel it names must
be the tenant's (those the actor's pickers offer), else the question is refused with a coded error
rather than answered for a place that does not exist (an empty answer that looks like a real one).

The API (``store_id`` / ``region_id`` / ``channel_id``), the console's pickers and the command
line (``--store`` / ``--region`` / ``--channel``) all ask this one function.
"""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.analytics.scope import Scope
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput


def check_scope(uow: SqlUnitOfWork, actor: Actor, scope: Scope) -> Scope:
    """``scope`` when each id it sets is one of the tenant's stores, regions and channels."""
    actor.require(Permission.ANALYTICS_VIEW)
    if scope.everything:
        return scope
    with uow.reading():
        if scope.store_id is not None and uow.stores.get(actor.scope, scope.store_id) is None:
            raise InvalidInput("analytics.scope_store_not_found", "there is no store %(id)s", field="store_id", id=scope.store_id)
        if scope.region_id is not None and uow.regions.get(actor.scope, scope.region_id) is None:
            raise InvalidInput("analytics.scope_region_not_found", "there is no region %(id)s", field="region_id",
                               id=scope.region_id)
        if scope.channel_id is not None and uow.channels.get(actor.tenant_id, scope.channel_id) is None:
            raise InvalidInput("analytics.scope_channel_not_found", "there is no channel %(id)s", field="channel_id",
                               id=scope.channel_id)
    return scope
