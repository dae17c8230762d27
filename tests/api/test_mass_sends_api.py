"""The mass-send API: create (the worker runs at once on the in-memory queue), preview, list,
report, cancel; and the errors a person gets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from siyu.adapters.channels.sandbox.mass_send import confirm_mass_message
from siyu.domain.access import Role
from siyu.services import tokens
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.mass_send_setup import T0, brand, customer


@pytest.fixture
def fake():
    with FakeWeCom() as server:
        server.corp.mass_confirm_seconds = None
        yield server


def _headers(context, b):  # type: ignore[no-untyped-def]
    issued = tokens.create_api_token(context.uow(), b.admin, name=f"t{f.uid()}", role=Role.ADMIN)
    return {"Authorization": f"Bearer {issued.secret}"}


def test_a_send_is_created_sent_reported_and_listed(context, client, fake):
    b = brand(context, fake, staff_count=2)
    ids = [customer(context, fake, b, follows=[(b.staff[i % 2], T0 - timedelta(days=1))]) for i in range(4)]
    stranger = customer(context, fake, b, follows=[])
    headers = _headers(context, b)
    count = client.post("/api/v1/mass-sends/audience-count", json={"customer_ids": [*ids, stranger]}, headers=headers)
    assert count.json() == {"customers": 5}
    made = client.post("/api/v1/mass-sends", json={"name": "春季上新", "text": "{staff_name}：春季新品到店",
                                                   "customer_ids": [*ids, stranger]}, headers=headers)
    assert made.status_code == 202, made.text
    send_id = made.json()["id"]
    assert made.headers["Location"] == f"/api/v1/mass-sends/{send_id}"
    report = client.get(f"/api/v1/mass-sends/{send_id}", headers=headers).json()
    assert report["send"]["status"] == "polling" and report["exclusions"] == {"no_relation": 1}
    assert report["targets"] == {"waiting": 4, "excluded": 1} and report["tasks"]["submitted"] == 2
    assert sorted(s["customers"] for s in report["staff"]) == [2, 2]
    for msgid in list(fake.corp.mass_messages):
        confirm_mass_message(fake.corp, msgid)
    context.tasks["advance_mass_send"](b.tenant_id, send_id)
    report = client.get(f"/api/v1/mass-sends/{send_id}", headers=headers).json()
    assert report["send"]["status"] == "done" and report["targets"] == {"sent": 4, "excluded": 1}
    assert all(s["confirmed"] == 1 for s in report["staff"])
    listed = client.get("/api/v1/mass-sends", headers=headers).json()
    assert [s["id"] for s in listed["items"]] == [send_id] and listed["total"] == 1
    refused = client.post(f"/api/v1/mass-sends/{send_id}/cancel", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "mass_send.finished"


def test_a_scheduled_send_can_be_cancelled_before_it_goes(context, client, fake):
    b = brand(context, fake, staff_count=1)
    ids = [customer(context, fake, b, follows=[(b.staff[0], T0)])]
    headers = _headers(context, b)
    made = client.post("/api/v1/mass-sends", json={"name": "预约", "text": "hi", "customer_ids": ids,
                                                   "scheduled_at": "2099-01-01T02:00:00+08:00"}, headers=headers).json()
    assert made["status"] == "scheduled" and fake.corp.mass_messages == {}
    cancelled = client.post(f"/api/v1/mass-sends/{made['id']}/cancel", headers=headers).json()
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"]


def test_bad_sends_are_refused_with_a_reason(context, client, fake):
    b = brand(context, fake, staff_count=1)
    headers = _headers(context, b)
    both = client.post("/api/v1/mass-sends", json={"name": "x", "text": "hi", "segment_id": 1, "customer_ids": [1]}, headers=headers)
    assert both.status_code == 422 and both.json()["error"]["code"] == "mass_send.audience"
    personal = client.post("/api/v1/mass-sends", json={"name": "x", "text": "{customer_name} 好", "customer_ids": [1]}, headers=headers)
    assert personal.json()["error"]["code"] == "mass_send.per_customer_field"
    assert client.get("/api/v1/mass-sends/999999", headers=headers).status_code == 404
