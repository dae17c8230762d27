"""Acquisition channels (渠道) and their costs per period (Permissions ``channels.*``)."""

from __future__ import annotations

from dataclasses import asdict

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.channels import Channel, ChannelCost, ChannelDraft, CostDraft
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow


def list_channels(
    uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *, q: str | None = None,
    group: str | None = None, archived: bool = False,
) -> Page[Channel]:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return uow.channels.list(actor.tenant_id, request, q=q, group=group, archived=archived)


def get_channel(uow: SqlUnitOfWork, actor: Actor, channel_id: int) -> Channel:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return _get(uow, actor, channel_id)


def _get(uow: SqlUnitOfWork, actor: Actor, channel_id: int) -> Channel:
    found = uow.channels.get(actor.tenant_id, channel_id)
    if found is None:
        raise NotFound("channel.not_found", "no such channel")
    return found


def _check(uow: SqlUnitOfWork, actor: Actor, draft: ChannelDraft, channel_id: int | None) -> None:
    if draft.owner_staff_id is not None and uow.staff.get(actor.scope, draft.owner_staff_id) is None:
        raise InvalidInput("staff.not_found", "no such staff member", field="owner_staff_id")
    clash = uow.channels.find_clash(actor.tenant_id, draft.name, draft.state)
    if clash is not None and clash.id != channel_id:
        if clash.name == draft.name:
            raise Conflict("channel.name_taken", "another channel already uses this name", field="name")
        raise Conflict("channel.state_taken", "another channel already uses this code", field="state")


def create_channel(uow: SqlUnitOfWork, actor: Actor, draft: ChannelDraft) -> Channel:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _check(uow, actor, draft, None)
        channel_id = uow.channels.add(actor.tenant_id, now=utcnow(), **asdict(draft))
        channel = _get(uow, actor, channel_id)
        uow.commit()
    return channel


def update_channel(uow: SqlUnitOfWork, actor: Actor, channel_id: int, draft: ChannelDraft) -> Channel:
    """Change a channel. Its code may change too: adds recorded under the old code keep it
    (they are history), so change a code only before its contact ways go live."""
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _get(uow, actor, channel_id)
        _check(uow, actor, draft, channel_id)
        uow.channels.update(actor.tenant_id, channel_id, now=utcnow(), **asdict(draft))
        channel = _get(uow, actor, channel_id)
        uow.commit()
    return channel


def archive_channel(uow: SqlUnitOfWork, actor: Actor, channel_id: int, *, archived: bool = True) -> Channel:
    """Archived channels leave the list and take no new costs; their orders and costs stay."""
    actor.require(Permission.CHANNELS_MANAGE)
    now = utcnow()
    with uow:
        _get(uow, actor, channel_id)
        uow.channels.update(actor.tenant_id, channel_id, now=now, archived_at=now if archived else None)
        channel = _get(uow, actor, channel_id)
        uow.commit()
    return channel


def list_costs(uow: SqlUnitOfWork, actor: Actor, channel_id: int, request: PageRequest = PageRequest()) -> Page[ChannelCost]:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _get(uow, actor, channel_id)
        return uow.channels.costs(actor.tenant_id, channel_id, request)


def get_cost(uow: SqlUnitOfWork, actor: Actor, channel_id: int, cost_id: int) -> ChannelCost:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _get(uow, actor, channel_id)
        found = uow.channels.get_cost(actor.tenant_id, channel_id, cost_id)
    if found is None:
        raise NotFound("cost.not_found", "no such cost")
    return found


def _check_cost(uow: SqlUnitOfWork, actor: Actor, channel: Channel, draft: CostDraft, cost_id: int | None) -> None:
    if channel.archived_at is not None:
        raise Conflict("channel.archived", "the channel is archived; restore it to enter costs")
    for other in uow.channels.overlapping_costs(actor.tenant_id, channel.id, draft.period_start, draft.period_end):
        if other.id != cost_id:
            raise Conflict("cost.overlaps", "the channel has a cost for %(start)s to %(end)s already; periods may not overlap",
                           field="period_start", start=other.period_start.isoformat(), end=other.period_end.isoformat())


def add_cost(uow: SqlUnitOfWork, actor: Actor, channel_id: int, draft: CostDraft) -> ChannelCost:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        channel = _get(uow, actor, channel_id)
        _check_cost(uow, actor, channel, draft, None)
        cost_id = uow.channels.add_cost(actor.tenant_id, channel_id, now=utcnow(), **asdict(draft))
        cost = uow.channels.get_cost(actor.tenant_id, channel_id, cost_id)
        uow.commit()
    assert cost is not None
    return cost


def update_cost(uow: SqlUnitOfWork, actor: Actor, channel_id: int, cost_id: int, draft: CostDraft) -> ChannelCost:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        channel = _get(uow, actor, channel_id)
        if uow.channels.get_cost(actor.tenant_id, channel_id, cost_id) is None:
            raise NotFound("cost.not_found", "no such cost")
        _check_cost(uow, actor, channel, draft, cost_id)
        uow.channels.update_cost(actor.tenant_id, cost_id, now=utcnow(), **asdict(draft))
        cost = uow.channels.get_cost(actor.tenant_id, channel_id, cost_id)
        uow.commit()
    assert cost is not None
    return cost


def delete_cost(uow: SqlUnitOfWork, actor: Actor, channel_id: int, cost_id: int) -> None:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _get(uow, actor, channel_id)
        if uow.channels.get_cost(actor.tenant_id, channel_id, cost_id) is None:
            raise NotFound("cost.not_found", "no such cost")
        uow.channels.delete_cost(actor.tenant_id, cost_id)
        uow.commit()
