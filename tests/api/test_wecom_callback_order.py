"""Contact callbacks out of order (WeCom does not promise order; its retries reorder): the events'
CreateTime decides the relation, not their arrival, through the callback endpoint (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.domain.customers import RelationState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services import customers
from siyu.testing.fake_wecom import FakeWeCom
from tests.api.wecom_setup import link

ADD, DEL_BY_STAFF, DEL_BY_CUSTOMER = "add_external_contact", "del_external_contact", "del_follow_user"
T = 1_800_000_000


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _final(context, linked, external):  # type: ignore[no-untyped-def]
    """(relation state, added at, ended at) and the timeline's relation events (kind, when, details), oldest first."""
    key = IdentityKey(IdentityKind.WECOM_EXTERNAL, external)
    with context.uow() as uow:
        customer_id = uow.identities.owners(linked.tenant.id, [key])[key]
        [relation] = uow.relations.for_customer(linked.tenant.id, customer_id)
    events = customers.timeline(context.uow(), linked.admin, customer_id).items
    timeline = sorted(((e.kind.value, int(e.occurred_at.timestamp()), sorted((e.data or {}).items())) for e in events
                       if e.kind.value.startswith("relation")), key=lambda e: (e[1], e[0]))
    ended = int(relation.ended_at.timestamp()) if relation.ended_at else None
    return (relation.state, int(relation.added_at.timestamp()), ended), timeline


@pytest.mark.parametrize("deletion, fields, state", [
    (DEL_BY_CUSTOMER, {}, RelationState.DELETED_BY_CUSTOMER),
    (DEL_BY_STAFF, {"Source": "DELETE_BY_TRANSFER"}, RelationState.TRANSFERRED),
])
def test_a_deletion_before_its_add_leaves_what_the_right_order_leaves(context, client, fake, deletion, fields, state):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    finals = []
    for n, first_the_deletion in enumerate((False, True)):
        external = f"wmOrder{n}"
        fake.corp.add_contact(external, follows={linked.staff.wecom_userid: {"state": "s1"}})
        add = lambda: linked.contact_event(client, ADD, external, create_time=T, State="s1")  # noqa: E731
        delete = lambda: linked.contact_event(client, deletion, external, create_time=T + 60, **fields)  # noqa: E731
        for send in ((delete, add) if first_the_deletion else (add, delete)):
            assert send().text == "success"
        finals.append(_final(context, linked, external))
    assert finals[0] == finals[1]
    (relation, timeline) = finals[1]
    assert relation == (state, T, T + 60)
    assert [(kind, at) for kind, at, _ in timeline] == [("relation_added", T), ("relation_changed", T + 60)]


def test_an_add_older_than_a_deletion_already_applied_does_not_bring_the_relation_back(context, client, fake):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    fake.corp.add_contact("wmLate", follows={linked.staff.wecom_userid: {}})
    linked.contact_event(client, ADD, "wmLate", create_time=T)
    linked.contact_event(client, DEL_BY_CUSTOMER, "wmLate", create_time=T + 300)
    in_order = _final(context, linked, "wmLate")
    linked.contact_event(client, "add_half_external_contact", "wmLate", create_time=T + 100)  # a retry, late
    assert _final(context, linked, "wmLate") == in_order
    assert in_order[0] == (RelationState.DELETED_BY_CUSTOMER, T, T + 300)


def test_a_deletion_older_than_a_re_add_received_first_ends_then_restores_the_relation(context, client, fake):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    fake.corp.add_contact("wmBack", follows={linked.staff.wecom_userid: {}})
    linked.contact_event(client, ADD, "wmBack", create_time=T)
    linked.contact_event(client, ADD, "wmBack", create_time=T + 200, State="again")  # the re-add, arrived before the deletion
    linked.contact_event(client, DEL_BY_STAFF, "wmBack", create_time=T + 100)
    relation, timeline = _final(context, linked, "wmBack")
    assert relation == (RelationState.ACTIVE, T + 200, None)
    assert [(kind, at) for kind, at, _ in timeline] == [("relation_added", T), ("relation_changed", T + 100),
                                                        ("relation_added", T + 200)]
