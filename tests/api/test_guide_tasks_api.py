"""The guide-task API: assign, list with filters, complete, skip, rules, leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from siyu.domain.access import Role
from siyu.services import customers
from siyu.services.clock import utcnow
from tests import factories as f
from tests.api.conftest import api_tenant


def _due(hours: float = 2) -> str:
    return (utcnow() + timedelta(hours=hours)).isoformat()


def test_assign_list_complete_and_skip(context, client):
    a = api_tenant(context, Role.OPERATOR)
    store = f.store(context, a.actor)
    other_store = f.store(context, a.actor)
    guide = f.member(context, a.actor, store_id=store.id)
    far = f.member(context, a.actor, store_id=other_store.id)
    customer = f.customers_of(context, a.actor, 1)[0]
    made = client.post("/api/v1/guide-tasks", headers=a.headers, json={
        "staff_id": guide.id, "customer_id": customer.id, "kind": "give_coupon", "title": "送新客券", "script": "送您一张券",
        "due_at": _due(-0.5)})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["state"], body["source_kind"], body["staff_name"], body["customer_name"], body["store_id"]) == (
        "open", "manager_assignment", guide.name, customer.name, store.id)
    late = client.post("/api/v1/guide-tasks", headers=a.headers, json={
        "staff_id": far.id, "kind": "greet", "title": "问候", "due_at": _due(-5)}).json()

    listed = client.get("/api/v1/guide-tasks", headers=a.headers, params={"store_id": store.id}).json()
    assert [t["id"] for t in listed["items"]] == [body["id"]] and listed["total"] == 1
    overdue = client.get("/api/v1/guide-tasks", headers=a.headers, params={"overdue": "true"}).json()
    assert [t["id"] for t in overdue["items"]] == [late["id"], body["id"]]  # oldest due first
    assert client.get("/api/v1/guide-tasks", headers=a.headers, params={"state": "maybe"}).status_code == 422

    done = client.post(f"/api/v1/guide-tasks/{body['id']}/complete", headers=a.headers)
    assert done.status_code == 200 and done.json()["state"] == "done" and done.json()["closed_at"]
    again = client.post(f"/api/v1/guide-tasks/{body['id']}/skip", headers=a.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "guide_task.not_open"
    assert client.post(f"/api/v1/guide-tasks/{late['id']}/skip", headers=a.headers).json()["state"] == "skipped"
    assert client.get("/api/v1/guide-tasks", headers=a.headers, params={"state": "done"}).json()["total"] == 1
    assert client.get("/api/v1/guide-tasks", headers=a.headers, params={"overdue": "true"}).json()["total"] == 0

    bad = client.post("/api/v1/guide-tasks", headers=a.headers, json={"staff_id": guide.id, "kind": "dance", "title": "x",
                                                                      "due_at": _due()})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "guide_task.unknown_kind"
    assert client.get("/api/v1/guide-tasks/today", headers=a.headers).json()["error"]["code"] == "guide_task.no_staff"

    board = client.get("/api/v1/guide-tasks/leaderboard", headers=a.headers, params={"level": "store"}).json()
    assert [(r["rank"], r["key"], r["due"], r["done"], r["completion_rate"]) for r in board["rows"]] == [
        (1, store.id, 1, 1, 1.0), (2, other_store.id, 1, 0, 0.0)]
    assert [(r["replied"], r["reply_rate"]) for r in board["rows"]] == [(0, 0.0), (0, 0.0)]
    phone = customers.get_customer(context.uow(), a.actor, customer.id).identities[0].value
    tracked = client.post("/api/v1/events:batch", headers=a.headers, json={"events": [
        {"event_id": f"r-{f.uid()}", "name": "message_replied", "occurred_at": (utcnow() + timedelta(seconds=1)).isoformat(),
         "identity": {"kind": "phone", "value": phone}}]})  # the customer answers the guide's coupon
    assert tracked.json()["stored"] == 1, tracked.text
    nation = client.get("/api/v1/guide-tasks/leaderboard", headers=a.headers, params={"level": "nation"}).json()["rows"]
    assert [(r["due"], r["done"], r["skipped"], r["orders"], r["gmv"], r["replied"], r["reply_rate"]) for r in nation] == [
        (2, 1, 1, 0, "0.00", 1, 1.0)]
    assert client.get("/api/v1/guide-tasks/leaderboard", headers=a.headers, params={"level": "galaxy"}).status_code == 422


def test_lifecycle_rules_over_the_api(context, client):
    a = api_tenant(context)
    stage = client.post("/api/v1/stages", headers=a.headers, json={"name": f"意向{f.uid(4)}"}).json()
    made = client.post("/api/v1/guide-tasks/rules", headers=a.headers, json={
        "stage_id": stage["id"], "days": 3, "kind": "follow_up", "title": "三天回访"})
    assert made.status_code == 201, made.text
    rule = made.json()
    assert (rule["stage_name"], rule["days"], rule["active"]) == (stage["name"], 3, True)
    changed = client.put(f"/api/v1/guide-tasks/rules/{rule['id']}", headers=a.headers, json={
        "stage_id": stage["id"], "days": 5, "kind": "greet", "title": "五天问候", "active": False}).json()
    assert (changed["days"], changed["kind"], changed["active"]) == (5, "greet", False)
    assert [r["id"] for r in client.get("/api/v1/guide-tasks/rules", headers=a.headers).json()] == [rule["id"]]
    assert client.delete(f"/api/v1/guide-tasks/rules/{rule['id']}", headers=a.headers).status_code == 204
    assert client.get("/api/v1/guide-tasks/rules", headers=a.headers).json() == []
    assert client.delete(f"/api/v1/guide-tasks/rules/{rule['id']}", headers=a.headers).status_code == 404


def test_a_naive_due_time_is_refused(context, client):
    a = api_tenant(context)
    guide = f.member(context, a.actor, store_id=f.store(context, a.actor).id)
    naive = datetime.now(UTC).replace(tzinfo=None).isoformat()
    assert client.post("/api/v1/guide-tasks", headers=a.headers, json={"staff_id": guide.id, "kind": "greet", "title": "x",
                                                                       "due_at": naive}).status_code == 422
