"""Channels and their costs per period."""

from datetime import date
from decimal import Decimal

import pytest

from siyu.domain.access import Role
from siyu.domain.channels import ChannelDraft, CostDraft
from siyu.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from siyu.services import channels
from tests import factories as f


def make(context, actor, name="抖音直播", state="ch-douyin", **extra):
    return channels.create_channel(context.uow(), actor, ChannelDraft.parse(name=name, state=state, **extra))


def cost(start, end, amount):
    return CostDraft.parse(period_start=start, period_end=end, amount=amount)


def test_channels_are_unique_by_name_and_code(context):
    _, admin = f.tenant(context)
    owner = f.member(context, admin, store_id=None, role=Role.OPERATOR)
    made = make(context, admin, group_name="线上投放", owner_staff_id=owner.id)
    assert (made.name, made.state, made.group_name, made.owner_staff_id) == ("抖音直播", "ch-douyin", "线上投放", owner.id)
    with pytest.raises(Conflict) as clash:
        make(context, admin, name="抖音直播", state="ch-other")
    assert clash.value.field == "name"
    with pytest.raises(Conflict) as clash:
        make(context, admin, name="别的", state="ch-douyin")
    assert clash.value.field == "state"
    with pytest.raises(InvalidInput):
        make(context, admin, name="坏", state="has space")
    renamed = channels.update_channel(context.uow(), admin, made.id, ChannelDraft.parse(name="抖音直播间", state="ch-douyin"))
    assert renamed.name == "抖音直播间"
    _, other = f.tenant(context)
    assert make(context, other).state == "ch-douyin"  # codes are per tenant
    with pytest.raises(NotFound):
        channels.get_channel(context.uow(), other, made.id)


def test_costs_per_period_may_not_overlap(context):
    _, admin = f.tenant(context)
    channel = make(context, admin)
    november = channels.add_cost(context.uow(), admin, channel.id, cost(date(2026, 11, 1), date(2026, 11, 30), "12000.50"))
    assert november.amount == Decimal("12000.50")
    with pytest.raises(Conflict):
        channels.add_cost(context.uow(), admin, channel.id, cost(date(2026, 11, 30), date(2026, 12, 31), "1"))
    december = channels.add_cost(context.uow(), admin, channel.id, cost(date(2026, 12, 1), date(2026, 12, 31), "9000"))
    changed = channels.update_cost(context.uow(), admin, channel.id, november.id, cost(date(2026, 11, 1), date(2026, 11, 30), "11000"))
    assert changed.amount == Decimal("11000.00")
    page = channels.list_costs(context.uow(), admin, channel.id)
    assert [c.id for c in page.items] == [december.id, november.id]
    channels.delete_cost(context.uow(), admin, channel.id, december.id)
    assert channels.list_costs(context.uow(), admin, channel.id).total == 1
    with pytest.raises(InvalidInput):
        cost(date(2026, 12, 2), date(2026, 12, 1), "1")
    with pytest.raises(InvalidInput):
        cost(date(2026, 12, 1), date(2026, 12, 2), "-1")


def test_archived_channels_leave_the_list_and_take_no_costs(context):
    _, admin = f.tenant(context)
    channel = make(context, admin)
    channels.archive_channel(context.uow(), admin, channel.id)
    assert channels.list_channels(context.uow(), admin).total == 0
    assert channels.list_channels(context.uow(), admin, archived=True).total == 1
    with pytest.raises(Conflict):
        channels.add_cost(context.uow(), admin, channel.id, cost(date(2026, 11, 1), date(2026, 11, 30), "1"))
    channels.archive_channel(context.uow(), admin, channel.id, archived=False)
    assert channels.list_channels(context.uow(), admin).total == 1


def test_guides_see_channels_but_not_costs(context):
    _, admin = f.tenant(context)
    channel = make(context, admin)
    store = f.store(context, admin)
    member = f.member(context, admin, store_id=store.id)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=member.id, store_id=store.id)
    assert channels.list_channels(context.uow(), guide).total == 1
    with pytest.raises(PermissionDenied):
        channels.list_costs(context.uow(), guide, channel.id)
    with pytest.raises(PermissionDenied):
        make(context, guide, name="x", state="x")
