"""Deletion alerts from WeCom's callbacks: recorded for the staff member's store, read per
reader, counted per staff member and channel per day, and one extra alert past the tenant's
mass-deletion threshold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from siyu.domain.access import Actor, Role
from siyu.domain.alerts import AlertKind
from siyu.domain.errors import InvalidInput, NotFound
from siyu.services import alerts, tokens
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import link

ADD, DEL_BY_STAFF, DEL_BY_CUSTOMER = "add_external_contact", "del_external_contact", "del_follow_user"
T0 = 1_800_000_000  # 2027-01-15 16:00 in Shanghai
DAY = date(2027, 1, 15)


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _added(client, linked, fake, external: str, *, state: str = "", at: int = T0) -> None:
    fake.corp.add_contact(external, follows={linked.staff.wecom_userid: {"state": state}})
    assert linked.contact_event(client, ADD, external, State=state, create_time=at).status_code == 200


def _kinds(page) -> list[AlertKind]:
    return [a.kind for a in page.items]


def test_deletions_alert_the_store_manager_once_each(context, client, fake):
    linked = link(context, fake)
    manager = Actor(linked.tenant.id, Role.STORE_MANAGER, user_id=9001, store_id=linked.staff.store_id, name="店长")
    elsewhere = Actor(linked.tenant.id, Role.STORE_MANAGER, user_id=9002, store_id=f.store(context, linked.admin).id, name="别店店长")
    _added(client, linked, fake, "wmGone1", state="tmall-618")
    _added(client, linked, fake, "wmMoved", state="tmall-618")

    linked.contact_event(client, DEL_BY_CUSTOMER, "wmGone1", create_time=T0 + 60)
    linked.contact_event(client, DEL_BY_CUSTOMER, "wmGone1", create_time=T0 + 60)  # WeCom's retry: no second alert
    linked.contact_event(client, DEL_BY_STAFF, "wmMoved", create_time=T0 + 61, Source="DELETE_BY_TRANSFER")  # not a deletion

    seen = alerts.list_alerts(context.uow(), manager)
    [alert] = seen.items
    assert (alert.kind, alert.staff_id, alert.channel_state, alert.day, alert.read) == (
        AlertKind.DELETED_BY_CUSTOMER, linked.staff.id, "tmall-618", DAY, False)
    assert alert.customer_name  # the customer is named on the alert
    assert alerts.list_alerts(context.uow(), elsewhere).items == []  # another store's manager sees nothing of it
    assert alerts.unread_count(context.uow(), manager) == 1 and alerts.unread_count(context.uow(), linked.admin) == 1

    assert alerts.mark_read(context.uow(), manager, [alert.id]) == 1
    assert alerts.mark_read(context.uow(), manager, [alert.id]) == 0
    assert alerts.unread_count(context.uow(), manager) == 0
    assert alerts.unread_count(context.uow(), linked.admin) == 1  # read state is each reader's own
    assert alerts.list_alerts(context.uow(), manager).items[0].read
    with pytest.raises(NotFound) as error:
        alerts.mark_read(context.uow(), elsewhere, [alert.id])
    assert error.value.code == "alert.not_found"


def test_one_extra_alert_when_a_staff_member_deletes_more_than_the_threshold(context, client, fake):
    linked = link(context, fake)
    assert alerts.get_threshold(context.uow(), linked.admin) == 10
    alerts.set_threshold(context.uow(), linked.admin, 2)
    for i in range(5):
        _added(client, linked, fake, f"wmDel{i}", state="ch-a" if i < 3 else "", at=T0 + i)
    for i in range(5):
        linked.contact_event(client, DEL_BY_STAFF, f"wmDel{i}", create_time=T0 + 100 + i)

    kinds = _kinds(alerts.list_alerts(context.uow(), linked.admin))
    assert kinds.count(AlertKind.DELETED_BY_STAFF) == 5 and kinds.count(AlertKind.MASS_DELETION) == 1
    [mass] = [a for a in alerts.list_alerts(context.uow(), linked.admin).items if a.kind is AlertKind.MASS_DELETION]
    assert mass.data == {"deleted": 3, "threshold": 2} and mass.staff_id == linked.staff.id

    by_staff, by_channel = alerts.counts(context.uow(), linked.admin, since=DAY, until=DAY)
    assert [(c.kind, c.key, c.count) for c in by_staff] == [(AlertKind.DELETED_BY_STAFF, str(linked.staff.id), 5)]
    assert sorted((c.key, c.count) for c in by_channel) == [("", 2), ("ch-a", 3)]
    assert alerts.counts(context.uow(), linked.admin, since=date(2027, 1, 16), until=date(2027, 1, 20)) == ([], [])
    with pytest.raises(InvalidInput):
        alerts.counts(context.uow(), linked.admin, since=DAY, until=date(2027, 1, 1))
    with pytest.raises(InvalidInput):
        alerts.set_threshold(context.uow(), linked.admin, 0)


def test_the_alerts_api(context, client, fake):
    linked = link(context, fake)
    _added(client, linked, fake, "wmApi")
    linked.contact_event(client, DEL_BY_STAFF, "wmApi", create_time=T0 + 5)
    issued = tokens.create_api_token(context.uow(), linked.admin, name=f"t{f.uid()}", role=Role.OPERATOR)
    headers = {"Authorization": f"Bearer {issued.secret}"}

    assert client.get("/api/v1/alerts/unread", headers=headers).json() == {"unread": 1}
    [item] = client.get("/api/v1/alerts?unread=true", headers=headers).json()["items"]
    assert item["kind"] == "deleted_by_staff" and item["read"] is False
    assert client.post("/api/v1/alerts/read", json={}, headers=headers).json() == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/alerts?unread=true", headers=headers).json()["items"] == []
    counts = client.get("/api/v1/alerts/counts", params={"since": "2027-01-15", "until": "2027-01-15"}, headers=headers).json()
    assert [(c["kind"], c["count"]) for c in counts["by_staff"]] == [("deleted_by_staff", 1)]
    assert client.put("/api/v1/alerts/settings", json={"mass_deletion_threshold": 3}, headers=headers).status_code == 403
