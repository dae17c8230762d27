"""Behaviour events: per-event results, idempotency on event_id, the OneID lookup."""

from datetime import UTC, datetime

import pytest

from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.errors import InvalidInput, PermissionDenied
from siyu.domain.events import MAX_PROPERTIES_BYTES, EventOutcome
from siyu.domain.identities import IdentityKey
from siyu.domain.access import Role
from siyu.services import customers, events
from tests import factories as f

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def event(event_id="e1", **extra):
    body = {"event_id": event_id, "name": "miniprogram_visit", "occurred_at": "2026-11-20T19:55:00+08:00",
            "identity": {"kind": "openid", "value": "oOPEN1"}, "properties": {"page": "/menu", "seconds": 42}}
    body.update(extra)
    return body


def track(context, actor, *bodies):
    return events.track_events(context.uow(), actor, list(bodies), now=NOW)


def test_good_events_are_stored_bad_ones_rejected_with_a_reason(context):
    _, admin = f.tenant(context)
    results = track(
        context, admin,
        event("ok-1"),
        event("bad-kind", identity={"kind": "qq", "value": "1"}),
        event("bad-time", occurred_at="yesterday"),
        event("future", occurred_at="2026-11-20T12:11:00Z"),  # 11 minutes ahead: beyond the tolerance
        event("big", properties={"blob": "x" * MAX_PROPERTIES_BYTES}),
        event("ok-1", name="other_name"),  # the same id, different content, in one batch
        event("ok-1"),  # the same event twice in one batch
        event("no-identity", identity=None),
        event("bad name!"),
        event("soon", occurred_at="2026-11-20T12:09:00Z"),  # within the tolerance
    )
    got = [(r.event_id, r.outcome, r.field) for r in results]
    assert got == [
        ("ok-1", EventOutcome.STORED, None),
        ("bad-kind", EventOutcome.REJECTED, "kind"),
        ("bad-time", EventOutcome.REJECTED, "occurred_at"),
        ("future", EventOutcome.REJECTED, "occurred_at"),
        ("big", EventOutcome.REJECTED, "properties"),
        ("ok-1", EventOutcome.REJECTED, "event_id"),
        ("ok-1", EventOutcome.DUPLICATE, None),
        ("no-identity", EventOutcome.REJECTED, "identity"),
        ("bad name!", EventOutcome.REJECTED, "event_id"),
        ("soon", EventOutcome.STORED, None),
    ]
    assert all(r.reason for r in results if r.outcome is EventOutcome.REJECTED)
    assert events.list_events(context.uow(), admin).total == 2


def test_an_event_sent_again_is_stored_once(context):
    _, admin = f.tenant(context)
    [first] = track(context, admin, event())
    [again] = track(context, admin, event())
    assert (first.outcome, again.outcome) == (EventOutcome.STORED, EventOutcome.DUPLICATE)
    assert events.list_events(context.uow(), admin).total == 1


def test_an_event_finds_its_customer_and_keeps_its_properties(context):
    _, admin = f.tenant(context)
    record = CustomerRecord(keys=(IdentityKey.parse("openid", "oOPEN1"),), profile=Profile(name="小雨"))
    someone = customers.create_customer(context.uow(), admin, record).customer_id
    [stored] = track(context, admin, event())
    assert stored.customer_id == someone
    [kept] = events.customer_events(context.uow(), admin, someone).items
    assert kept.properties == {"page": "/menu", "seconds": 42}
    assert kept.occurred_at == datetime(2026, 11, 20, 11, 55, tzinfo=UTC)
    assert customers.list_customers(context.uow(), admin).total == 1


def test_events_need_the_right_and_a_limited_batch(context):
    _, admin = f.tenant(context)
    store = f.store(context, admin)
    member = f.member(context, admin, store_id=store.id)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=member.id, store_id=store.id)
    with pytest.raises(PermissionDenied):
        track(context, guide, event())
    with pytest.raises(InvalidInput):
        track(context, admin, *[event(f"e{i}") for i in range(events.MAX_BATCH + 1)])


def test_the_same_event_id_in_two_tenants_is_two_events(context):
    _, one = f.tenant(context)
    _, two = f.tenant(context)
    assert track(context, one, event())[0].outcome is EventOutcome.STORED
    assert track(context, two, event())[0].outcome is EventOutcome.STORED
    assert events.list_events(context.uow(), two).total == 1
