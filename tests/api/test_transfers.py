"""Transfers against the fake WeCom: on-job and resigned, 100 per call, WeCom's result states,
the 90-day rule checked before a call is spent, and the outcome on each relation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.adapters.channels.sandbox.acquisition import complete_transfers
from siyu.domain.access import Role
from siyu.domain.customers import RelationState
from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.timeline import EventKind
from siyu.domain.transfers import ItemStatus, TransferStatus
from siyu.services import customers, staff, tokens, transfers, wecom_sync
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import link

EC = "/cgi-bin/externalcontact"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _brand(context, fake, n: int):  # type: ignore[no-untyped-def]
    """A linked brand whose first staff member follows n customers, synced into Siyu; a second staff member."""
    linked = link(context, fake)
    other = f.member(context, linked.admin, store_id=linked.staff.store_id)
    fake.corp.add_user(other.wecom_userid)
    for i in range(n):
        fake.corp.add_contact(f"wmT{i:04d}", name=f"客户{i}", follows={linked.staff.wecom_userid: {}})
    fake.corp.group_chats["wrG1"] = {"chat_id": "wrG1", "name": "老客群", "owner": linked.staff.wecom_userid, "create_time": 0,
                                     "notice": "", "status": 0, "admin_list": [], "member_list": []}
    made = wecom_sync.start_sync(context.uow(), linked.admin, full=True)
    assert wecom_sync.run_sync(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, made.id).status.value == "done"
    return linked, other


def _customer(context, linked, external):  # type: ignore[no-untyped-def]
    key = IdentityKey(IdentityKind.WECOM_EXTERNAL, external)
    with context.uow() as uow:
        return uow.identities.owners(linked.tenant.id, [key])[key]


def _run(context, linked, transfer_id, *, poll: bool = False):  # type: ignore[no-untyped-def]
    step = transfers.poll_transfer if poll else transfers.submit_transfer
    return step(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, transfer_id)


def _items(context, linked, transfer_id):  # type: ignore[no-untyped-def]
    from siyu.domain.paging import PageRequest

    return {i.external_userid: i for i in transfers.transfer_items(context.uow(), linked.admin, transfer_id, PageRequest(page_size=200)).items}


def test_an_on_job_transfer_waits_for_wecom_then_moves_each_relation(context, fake):
    linked, other = _brand(context, fake, 150)
    made = transfers.start_transfer(context.uow(), linked.admin, handover_staff_id=linked.staff.id, takeover_staff_id=other.id,
                                    message="您好，我是新的专属顾问")
    assert (made.resigned, made.status, made.counts["pending"]) == (False, TransferStatus.SUBMITTING, 150)

    waiting = _run(context, linked, made.id)
    assert waiting.status is TransferStatus.WAITING and waiting.counts["waiting"] == 150
    calls = [body for path, body in fake.corp.calls if path == f"{EC}/transfer_customer"]
    assert [len(c["external_userid"]) for c in calls] == [100, 50] and calls[0]["transfer_success_msg"] == "您好，我是新的专属顾问"
    assert waiting.counts["groups_moved"] == 1 and fake.corp.group_chats["wrG1"]["owner"] == other.wecom_userid

    fake.corp.transfers[(linked.staff.wecom_userid, "wmT0001")]["status"] = 3  # the customer refused
    complete_transfers(fake.corp)  # 24 hours later
    done = _run(context, linked, made.id, poll=True)
    assert done.status is TransferStatus.DONE and done.counts == {**done.counts, "done": 149, "failed": 1}
    items = _items(context, linked, made.id)
    assert (items["wmT0001"].status, items["wmT0001"].reason) == (ItemStatus.FAILED, "refused")

    moved_id = _customer(context, linked, "wmT0000")
    detail = customers.get_customer(context.uow(), linked.admin, moved_id)
    assert {(r.relation.staff_id, r.relation.state) for r in detail.relations} == {
        (linked.staff.id, RelationState.TRANSFERRED), (other.id, RelationState.ACTIVE)}
    assert detail.customer.owner_staff_id == other.id
    kinds = [e.kind for e in customers.timeline(context.uow(), linked.admin, moved_id).items]
    assert EventKind.RELATION_CHANGED in kinds and kinds.count(EventKind.RELATION_ADDED) == 2
    refused = customers.get_customer(context.uow(), linked.admin, _customer(context, linked, "wmT0001"))
    assert [(r.relation.staff_id, r.relation.state) for r in refused.relations] == [(linked.staff.id, RelationState.ACTIVE)]


def test_twice_in_90_days_is_the_most_and_siyu_checks_before_calling(context, fake):
    linked, other = _brand(context, fake, 1)
    customer_id = _customer(context, linked, "wmT0000")
    for handover, takeover in ((linked.staff, other), (other, linked.staff)):
        made = transfers.start_transfer(context.uow(), linked.admin, handover_staff_id=handover.id, takeover_staff_id=takeover.id,
                                        customer_ids=[customer_id], groups=False)
        _run(context, linked, made.id)
        complete_transfers(fake.corp)
        assert _run(context, linked, made.id, poll=True).counts["done"] == 1
    before = fake.corp.count(f"{EC}/transfer_customer")
    third = transfers.start_transfer(context.uow(), linked.admin, handover_staff_id=linked.staff.id, takeover_staff_id=other.id,
                                     customer_ids=[customer_id], groups=False)
    assert third.counts == {**third.counts, "failed": 1}
    assert _run(context, linked, third.id).status is TransferStatus.DONE
    assert fake.corp.count(f"{EC}/transfer_customer") == before  # no call spent
    assert _items(context, linked, third.id)["wmT0000"].reason == "protected_90_days"


def test_a_resigned_staff_members_customers_and_wecoms_errcodes(context, fake):
    linked, other = _brand(context, fake, 3)
    del fake.corp.follows["wmT0002"][linked.staff.wecom_userid]  # gone in WeCom, not yet in Siyu: 40131
    staff.resign_staff(context.uow(), linked.admin, linked.staff.id)
    fake.corp.users[linked.staff.wecom_userid]["resigned"] = True
    made = transfers.start_transfer(context.uow(), linked.admin, handover_staff_id=linked.staff.id, takeover_staff_id=other.id,
                                    message="ignored for resigned")
    assert made.resigned and made.message is None
    _run(context, linked, made.id)
    assert fake.corp.count(f"{EC}/resigned/transfer_customer") == 1 and fake.corp.count(f"{EC}/transfer_customer") == 0
    assert _items(context, linked, made.id)["wmT0002"].reason == "not_a_follower"
    complete_transfers(fake.corp)
    done = _run(context, linked, made.id, poll=True)
    assert done.status is TransferStatus.DONE and done.counts["done"] == 2 and done.counts["failed"] == 1

    with pytest.raises(InvalidInput):
        transfers.start_transfer(context.uow(), linked.admin, handover_staff_id=other.id, takeover_staff_id=linked.staff.id)
    with pytest.raises(InvalidInput):
        transfers.start_transfer(context.uow(), linked.admin, handover_staff_id=other.id, takeover_staff_id=other.id)


def test_the_transfers_api(context, client, fake):
    linked, other = _brand(context, fake, 2)
    issued = tokens.create_api_token(context.uow(), linked.admin, name=f"t{f.uid()}", role=Role.OPERATOR)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    response = client.post("/api/v1/transfers", json={"handover_staff_id": linked.staff.id, "takeover_staff_id": other.id},
                           headers=headers)
    assert response.status_code == 202
    shown = client.get(response.headers["Location"], headers=headers).json()
    assert shown["status"] == "waiting" and shown["counts"]["waiting"] == 2  # the worker sent it at once (in-memory queue)
    items = client.get(f"{response.headers['Location']}/items", headers=headers).json()
    assert sorted(i["external_userid"] for i in items["items"]) == ["wmT0000", "wmT0001"]
    assert [t["id"] for t in client.get("/api/v1/transfers", headers=headers).json()["items"]] == [shown["id"]]
