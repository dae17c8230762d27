"""Orders: idempotent batches, updates, refunds, the OneID lookup, matching later, merges."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from siyu.domain.access import Role
from siyu.domain.channels import ChannelDraft
from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.errors import InvalidInput, NotFound, PermissionDenied
from siyu.domain.identities import IdentityKey
from siyu.domain.orders import OrderOutcome, OrderStatus
from siyu.domain.paging import PageRequest
from siyu.domain.timeline import EventKind
from siyu.services import channels, customers, events, merging, order_matching, orders
from tests import factories as f

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def order(order_id="A1", **extra):
    body = {"source": "mall", "order_id": order_id, "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "100.00",
            "identities": {"phone": "13800138000"}, "lines": [{"sku": "LATTE", "name": "拿铁", "quantity": 2, "amount": "60"},
                                                              {"sku": "CAKE", "name": "蛋糕", "quantity": 1, "amount": "40"}]}
    body.update(extra)
    return body


def send(context, actor, *bodies):
    return orders.record_orders(context.uow(), actor, list(bodies), now=NOW)


def customer(context, actor, *keys, name="顾客"):
    record = CustomerRecord(keys=tuple(IdentityKey.parse(k, v) for k, v in keys), profile=Profile(name=name))
    return customers.create_customer(context.uow(), actor, record).customer_id


def timeline_kinds(context, actor, customer_id):
    return [e.kind for e in customers.timeline(context.uow(), actor, customer_id, PageRequest(page_size=100)).items]


def test_an_order_finds_its_customer_by_phone_and_never_creates_one(context):
    _, admin = f.tenant(context)
    known = customer(context, admin, ("phone", "13800138000"))
    [matched, stranger] = send(context, admin, order(), order("A2", identities={"phone": "13900000000"}))
    assert matched.outcome is OrderOutcome.CREATED and matched.customer_id == known
    assert stranger.outcome is OrderOutcome.CREATED and stranger.customer_id is None
    assert customers.list_customers(context.uow(), admin).total == 1
    stored = orders.get_order(context.uow(), admin, matched.order_id)
    assert stored.ordered_at == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    assert stored.amount == Decimal("100.00") and stored.status is OrderStatus.PAID
    assert [(x.sku, x.quantity, x.amount) for x in stored.lines] == [("LATTE", 2, Decimal("60.00")), ("CAKE", 1, Decimal("40.00"))]
    assert EventKind.ORDER_PLACED in timeline_kinds(context, admin, known)
    unmatched = orders.list_unmatched_orders(context.uow(), admin)
    assert [o.source_order_id for o in unmatched.items] == ["A2"]


def test_the_strongest_key_wins_when_keys_point_to_different_customers(context):
    _, admin = f.tenant(context)
    by_phone = customer(context, admin, ("phone", "13800138000"))
    by_member = customer(context, admin, ("member_no", "M77"))
    [result] = send(context, admin, order(identities={"phone": "13800138000", "member_no": "m77"}))
    assert result.customer_id == by_member != by_phone
    assert customers.list_customers(context.uow(), admin).total == 2  # an order does not merge customers


def test_the_same_order_again_changes_nothing(context):
    _, admin = f.tenant(context)
    [first] = send(context, admin, order())
    before = orders.get_order(context.uow(), admin, first.order_id)
    [again] = send(context, admin, order())
    after = orders.get_order(context.uow(), admin, first.order_id)
    assert again.outcome is OrderOutcome.UNCHANGED and again.order_id == first.order_id
    assert after == before  # updated_at included


def test_a_changed_order_is_updated_and_its_lines_replaced(context):
    _, admin = f.tenant(context)
    [first] = send(context, admin, order())
    [changed] = send(context, admin, order(amount="88.50", lines=[{"sku": "LATTE", "quantity": 3, "amount": "88.50"}]))
    assert changed.outcome is OrderOutcome.UPDATED and changed.order_id == first.order_id
    stored = orders.get_order(context.uow(), admin, first.order_id)
    assert stored.amount == Decimal("88.50")
    assert [(x.sku, x.quantity) for x in stored.lines] == [("LATTE", 3)]
    assert stored.updated_at > stored.created_at or stored.updated_at == stored.created_at  # same clock tick is allowed
    assert orders.list_orders(context.uow(), admin).total == 1


def test_refunds_are_idempotent_capped_and_set_the_status(context):
    _, admin = f.tenant(context)
    refund1 = {"refund_id": "R1", "amount": "30", "refunded_at": "2026-11-02T10:00:00+08:00"}
    [created] = send(context, admin, order(refunds=[refund1]))
    assert created.refunds_added == 1
    stored = orders.get_order(context.uow(), admin, created.order_id)
    assert stored.refunded_amount == Decimal("30.00") and stored.status is OrderStatus.PARTIALLY_REFUNDED
    assert stored.net_amount == Decimal("70.00")

    [same] = send(context, admin, order(refunds=[refund1]))
    assert same.outcome is OrderOutcome.UNCHANGED and same.refunds_added == 0

    [changed] = send(context, admin, order(refunds=[{**refund1, "amount": "31"}]))
    assert changed.outcome is OrderOutcome.REJECTED and "cannot change" in changed.reason
    assert (changed.code, changed.params, changed.field) == ("refund.changed", {"refund": "R1", "recorded": "30.00"}, "refunds[0].amount")

    too_much = {"refund_id": "R2", "amount": "70.01", "refunded_at": "2026-11-03T10:00:00+08:00"}
    [over] = send(context, admin, order(refunds=[too_much]))
    assert over.outcome is OrderOutcome.REJECTED and "more than the amount paid" in over.reason
    assert (over.code, over.params) == ("refund.above_amount", {"refunded": "100.01", "amount": "100.00"})

    rest = {"refund_id": "R2", "amount": "70", "refunded_at": "2026-11-03T10:00:00+08:00"}
    [full] = send(context, admin, order(refunds=[rest]))  # a resend need not repeat earlier refunds
    assert full.outcome is OrderOutcome.UPDATED and full.refunds_added == 1
    stored = orders.get_order(context.uow(), admin, created.order_id)
    assert stored.refunded_amount == Decimal("100.00") and stored.status is OrderStatus.REFUNDED
    assert [r.source_refund_id for r in stored.refunds] == ["R1", "R2"]

    [lower] = send(context, admin, order(amount="99"))
    assert lower.outcome is OrderOutcome.REJECTED and lower.field == "amount"


def test_bad_orders_are_rejected_one_by_one(context):
    _, admin = f.tenant(context)
    results = send(
        context, admin,
        order("OK1"),
        order("BAD1", amount="0"),
        order("BAD2", ordered_at="2026-11-21T12:00:00+00:00"),  # a day after NOW
        order("BAD3", identities={"wechat": "x"}),
        order("BAD4", store_code="NOPE"),
        order("OK1"),
        "not an object",
    )
    outcomes = [(r.outcome, r.field) for r in results]
    assert outcomes == [
        (OrderOutcome.CREATED, None), (OrderOutcome.REJECTED, "amount"), (OrderOutcome.REJECTED, "ordered_at"),
        (OrderOutcome.REJECTED, "kind"), (OrderOutcome.REJECTED, "store_code"), (OrderOutcome.REJECTED, "order_id"),
        (OrderOutcome.REJECTED, "order"),
    ]
    assert orders.list_orders(context.uow(), admin).total == 1


def test_store_guide_and_channel_are_resolved_by_their_codes(context):
    _, admin = f.tenant(context)
    store = f.store(context, admin)
    guide = f.member(context, admin, store_id=store.id)
    channel = channels.create_channel(context.uow(), admin, ChannelDraft.parse(name="抖音直播", state="ch-douyin"))
    [result] = send(context, admin, order(store_code=store.code, staff_userid=guide.wecom_userid.upper(), channel="ch-douyin"))
    stored = orders.get_order(context.uow(), admin, result.order_id)
    assert (stored.store_id, stored.staff_id, stored.channel_id) == (store.id, guide.id, channel.id)

    manager = f.user_actor(context, admin, role=Role.STORE_MANAGER, staff_id=guide.id, store_id=store.id)
    send(context, admin, order("ELSEWHERE"))
    assert [o.id for o in orders.list_orders(context.uow(), manager).items] == [result.order_id]
    other_store = f.store(context, admin)
    other_guide = f.member(context, admin, store_id=other_store.id)
    mine = f.user_actor(context, admin, role=Role.GUIDE, staff_id=other_guide.id, store_id=other_store.id)
    assert orders.list_orders(context.uow(), mine).total == 0
    with pytest.raises(NotFound):
        orders.get_order(context.uow(), mine, result.order_id)
    with pytest.raises(PermissionDenied):
        orders.record_orders(context.uow(), manager, [order("X")])


def test_a_batch_is_limited(context):
    _, admin = f.tenant(context)
    with pytest.raises(InvalidInput):
        orders.record_orders(context.uow(), admin, [order(f"N{i}") for i in range(orders.MAX_BATCH + 1)])


def test_unmatched_orders_and_events_are_matched_when_the_identity_appears(context):
    _, admin = f.tenant(context)
    refund = {"refund_id": "R1", "amount": "10", "refunded_at": "2026-11-02T10:00:00+08:00"}
    [pending] = send(context, admin, order(identities={"openid": "oOPEN1"}, refunds=[refund]))
    event = {"event_id": "ev-1", "name": "miniprogram_visit", "occurred_at": "2026-11-01T09:00:00+08:00",
             "identity": {"kind": "openid", "value": "oOPEN1"}}
    [tracked] = events.track_events(context.uow(), admin, [event], now=NOW)
    assert pending.customer_id is None and tracked.customer_id is None
    assert order_matching.match_unmatched(context.uow(), admin).orders_matched == 0

    someone = customer(context, admin, ("openid", "oOPEN1"))
    counts = order_matching.match_unmatched(context.uow(), admin)
    assert (counts.orders_matched, counts.events_matched) == (1, 1)
    assert orders.get_order(context.uow(), admin, pending.order_id).customer_id == someone
    [matched_event] = events.customer_events(context.uow(), admin, someone).items
    assert matched_event.event_id == "ev-1" and matched_event.updated_at > matched_event.received_at  # the warehouse sees it
    kinds = timeline_kinds(context, admin, someone)
    assert EventKind.ORDER_PLACED in kinds and EventKind.ORDER_REFUNDED in kinds
    assert orders.list_unmatched_orders(context.uow(), admin).total == 0
    again = order_matching.match_unmatched(context.uow(), admin)
    assert (again.orders_matched, again.events_matched) == (0, 0)


def test_a_resend_of_an_unmatched_order_takes_its_customer_once_known(context):
    _, admin = f.tenant(context)
    [pending] = send(context, admin, order())
    someone = customer(context, admin, ("phone", "13800138000"))
    [again] = send(context, admin, order())
    assert again.outcome is OrderOutcome.UPDATED and again.customer_id == someone


def test_a_merge_moves_orders_and_events_to_the_survivor_and_undo_moves_them_back(context):
    """Hand-built: 甲 (older) has order A1; 乙 has A2, A3 and an event; merge 乙 into 甲, then undo."""
    _, admin = f.tenant(context)
    older = customer(context, admin, ("phone", "13800000001"), name="甲")
    younger = customer(context, admin, ("phone", "13800000002"), name="乙")
    [a1, a2, a3] = send(
        context, admin, order("A1", identities={"phone": "13800000001"}), order("A2", identities={"phone": "13800000002"}),
        order("A3", identities={"phone": "13800000002"}),
    )
    event = {"event_id": "ev-9", "name": "link_open", "occurred_at": "2026-11-01T09:00:00Z",
             "identity": {"kind": "phone", "value": "13800000002"}}
    events.track_events(context.uow(), admin, [event], now=NOW)
    stamp = orders.get_order(context.uow(), admin, a2.order_id).updated_at

    merge = merging.merge_customers(context.uow(), admin, older, younger)
    assert merge.survivor_id == older
    page = orders.customer_orders(context.uow(), admin, older)
    assert sorted(o.source_order_id for o in page.orders.items) == ["A1", "A2", "A3"]
    assert page.purchases == 3 and page.net_amount == Decimal("300.00")
    assert orders.get_order(context.uow(), admin, a2.order_id).updated_at > stamp
    assert [e.event_id for e in events.customer_events(context.uow(), admin, older).items] == ["ev-9"]

    [a4] = send(context, admin, order("A4", identities={"phone": "13800000002"}))  # the phone is the survivor's now
    assert a4.customer_id == older

    merging.undo_merge(context.uow(), admin, merge.id)
    by_customer = {o.source_order_id: o.customer_id for o in orders.list_orders(context.uow(), admin).items}
    assert by_customer == {"A1": older, "A2": younger, "A3": younger, "A4": older}
    assert [e.event_id for e in events.customer_events(context.uow(), admin, younger).items] == ["ev-9"]
    assert a1.customer_id == older and a3.customer_id == younger


def test_orders_left_on_a_merged_away_customer_follow_it(context):
    """A merge path that does not move orders (e.g. a bulk import) is repaired by matching."""
    from siyu.adapters.db.tables import orders as orders_table

    _, admin = f.tenant(context)
    older = customer(context, admin, ("phone", "13800000001"))
    younger = customer(context, admin, ("phone", "13800000002"))
    [placed] = send(context, admin, order("A9", identities={"phone": "13800000002"}))
    merge = merging.merge_customers(context.uow(), admin, older, younger)
    with context.uow() as uow:  # put the order back on the tombstone, as a merge that forgot it would
        uow.session.execute(orders_table.update().where(orders_table.c.id == placed.order_id).values(customer_id=younger))
        uow.commit()
    counts = order_matching.match_unmatched(context.uow(), admin)
    assert counts.orders_followed == 1
    assert orders.get_order(context.uow(), admin, placed.order_id).customer_id == older
    assert merge.survivor_id == older


def test_another_tenant_sees_none_of_it(context):
    _, admin = f.tenant(context)
    _, other = f.tenant(context)
    [placed] = send(context, admin, order())
    with pytest.raises(NotFound):
        orders.get_order(context.uow(), other, placed.order_id)
    assert orders.list_orders(context.uow(), other).total == 0
    [theirs] = send(context, other, order())  # the same source id is another order in another tenant
    assert theirs.outcome is OrderOutcome.CREATED and theirs.order_id != placed.order_id


def test_times_without_an_offset_are_china_standard_time(context):
    _, admin = f.tenant(context)
    [placed] = send(context, admin, order(ordered_at="2026-11-01 00:30:00"))
    assert orders.get_order(context.uow(), admin, placed.order_id).ordered_at == datetime(2026, 10, 31, 16, 30, tzinfo=UTC)
    assert NOW - timedelta(days=30) < datetime(2026, 10, 31, 16, 30, tzinfo=UTC)


def test_another_tenants_store_guide_and_channel_codes_are_unknown(context):
    _, admin = f.tenant(context)
    _, other = f.tenant(context)
    store = f.store(context, admin)
    guide = f.member(context, admin, store_id=store.id)
    channels.create_channel(context.uow(), admin, ChannelDraft.parse(name="A的渠道", state="ch-a"))
    results = send(context, other, order("X1", store_code=store.code), order("X2", staff_userid=guide.wecom_userid),
                   order("X3", channel="ch-a"))
    assert [(r.outcome, r.field) for r in results] == [
        (OrderOutcome.REJECTED, "store_code"), (OrderOutcome.REJECTED, "staff_userid"), (OrderOutcome.REJECTED, "channel"),
    ]


def test_refunds_sent_on_their_own_follow_the_same_rules(context):
    _, admin = f.tenant(context)
    someone = customer(context, admin, ("phone", "13800138000"))
    [placed] = send(context, admin, order())
    refund = {"source": "MALL", "order_id": "A1", "refund_id": "R1", "amount": "40", "refunded_at": "2026-11-03T10:00:00+08:00"}
    results = orders.record_refunds(context.uow(), admin, [
        refund,
        refund,  # the same refund twice: recorded once
        {**refund, "amount": "41"},
        {**refund, "refund_id": "R2", "amount": "60.01"},
        {**refund, "refund_id": "R3", "refunded_at": "2026-10-01T00:00:00Z"},
        {**refund, "order_id": "NOPE", "refund_id": "R4"},
        {**refund, "refund_id": "R5", "amount": "abc"},
        {**refund, "refund_id": "R6", "amount": "60"},
    ], now=NOW)
    assert [(r.outcome.value, r.field) for r in results] == [
        ("added", None), ("unchanged", None), ("rejected", "amount"), ("rejected", "amount"), ("rejected", "refunded_at"),
        ("rejected", "order_id"), ("rejected", "amount"), ("added", None),
    ]
    stored = orders.get_order(context.uow(), admin, placed.order_id)
    assert stored.refunded_amount == Decimal("100.00") and stored.status is OrderStatus.REFUNDED
    assert [r.source_refund_id for r in stored.refunds] == ["R1", "R6"]
    assert timeline_kinds(context, admin, someone).count(EventKind.ORDER_REFUNDED) == 2
    [again] = send(context, admin, order())  # the order resent without its refunds keeps them
    assert again.outcome is OrderOutcome.UNCHANGED
    assert orders.get_order(context.uow(), admin, placed.order_id).refunded_amount == Decimal("100.00")
