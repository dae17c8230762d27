"""The contact-pressure API: rules (admins), opt-outs on a customer, the opt-out list."""

from __future__ import annotations

from siyu.domain.access import Role
from siyu.domain.timeline import EventKind
from siyu.services import customers as customers_service
from tests import factories as f
from tests.api.conftest import api_tenant


def test_rules_round_trip_and_validation(context, client):
    a = api_tenant(context)
    assert client.get("/api/v1/contact-rules", headers=a.headers).json() == {
        "per_day": None, "per_week": None, "per_month": None, "quiet_start": None, "quiet_end": None, "wecom_cap": "month"}
    body = {"per_day": 1, "per_week": 3, "quiet_start": "21:30", "quiet_end": "08:00", "wecom_cap": "week"}
    saved = client.put("/api/v1/contact-rules", json=body, headers=a.headers)
    assert saved.status_code == 200
    assert saved.json() == {**body, "per_month": None}
    assert client.get("/api/v1/contact-rules", headers=a.headers).json() == saved.json()

    refused = client.put("/api/v1/contact-rules", json={"per_day": 5, "per_week": 2}, headers=a.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "contact_rules.limits_inverted" and refused.json()["error"]["field"] == "per_week"
    refused = client.put("/api/v1/contact-rules", json={"quiet_start": "21:00"}, headers=a.headers)
    assert refused.json()["error"]["code"] == "contact_rules.quiet_hours_incomplete"
    assert client.get("/api/v1/contact-rules", headers=a.headers).json() == saved.json()  # nothing changed


def test_rules_are_refused_to_operators(context, client):
    a = api_tenant(context)
    operator = api_tenant(context, role=Role.OPERATOR)
    tokens_operator = {"Authorization": operator.headers["Authorization"]}
    assert client.get("/api/v1/contact-rules", headers=tokens_operator).status_code == 403
    assert client.put("/api/v1/contact-rules", json={}, headers=tokens_operator).status_code == 403
    assert client.get("/api/v1/contact-rules", headers=a.headers).status_code == 200


def test_opt_out_and_back_in(context, client):
    a = api_tenant(context)
    [customer] = f.customers_of(context, a.actor, 1)
    made = client.post(f"/api/v1/customers/{customer.id}/opt-out", json={"source": "customer_request", "note": "不要再发"},
                       headers=a.headers)
    assert made.status_code == 201
    out = made.json()
    assert (out["customer_id"], out["source"], out["note"], out["customer_name"]) == (customer.id, "customer_request", "不要再发",
                                                                                       customer.name)
    assert out["actor"].startswith("token:")
    again = client.post(f"/api/v1/customers/{customer.id}/opt-out", json={}, headers=a.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "opt_out.exists"
    listed = client.get("/api/v1/opt-outs", params={"page_size": 10}, headers=a.headers).json()
    assert listed["total"] == 1 and listed["items"][0]["customer_id"] == customer.id

    assert client.delete(f"/api/v1/customers/{customer.id}/opt-out", headers=a.headers).status_code == 204
    gone = client.delete(f"/api/v1/customers/{customer.id}/opt-out", headers=a.headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "opt_out.not_found"
    assert client.get("/api/v1/opt-outs", headers=a.headers).json()["total"] == 0
    kinds = [e.kind for e in customers_service.timeline(context.uow(), a.actor, customer.id).items]
    assert kinds[:2] == [EventKind.OPTED_IN, EventKind.OPTED_OUT]

    bad = client.post(f"/api/v1/customers/{customer.id}/opt-out", json={"source": "fax"}, headers=a.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "source"
    assert client.post("/api/v1/customers/999999999/opt-out", json={}, headers=a.headers).status_code == 404


def test_opt_outs_are_paged_latest_first(context, client):
    a = api_tenant(context)
    people = f.customers_of(context, a.actor, 3)
    for person in people:
        assert client.post(f"/api/v1/customers/{person.id}/opt-out", json={}, headers=a.headers).status_code == 201
    first = client.get("/api/v1/opt-outs", params={"page_size": 2}, headers=a.headers).json()
    second = client.get("/api/v1/opt-outs", params={"page_size": 2, "page": 2}, headers=a.headers).json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (3, 2, 2, 1)
    ids = [o["customer_id"] for o in first["items"] + second["items"]]
    assert sorted(ids) == sorted(p.id for p in people) and ids[0] == people[-1].id
