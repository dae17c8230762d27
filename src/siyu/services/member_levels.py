"""Member levels: the tenant's ordered list of the mall's levels and its loyalty threshold."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.member_levels import MemberLevels
from siyu.services.clock import utcnow


def get_member_levels(uow: SqlUnitOfWork, actor: Actor) -> MemberLevels:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.member_levels.get(actor.tenant_id)


def set_member_levels(uow: SqlUnitOfWork, actor: Actor, levels: MemberLevels) -> MemberLevels:
    """Replace the list (build it with ``MemberLevels.parse``, which validates). Customers keep
    their level's name; one no longer listed counts as no level."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        uow.member_levels.replace(actor.tenant_id, levels, now=utcnow())
        saved = uow.member_levels.get(actor.tenant_id)
        uow.commit()
    return saved
