"""Making experiments over the API: create with coded errors, change while unused, and a mass
send that makes its own holdout and variant B in the same transaction."""

from __future__ import annotations

from siyu.services import experiments
from tests import factories as f
from tests.api.conftest import api_tenant


def test_create_then_change_while_unused(context, client) -> None:
    a = api_tenant(context)
    made = client.post("/api/v1/experiments", headers=a.headers, json={
        "name": "会员日", "holdout_percent": 10, "variants": [{"key": "a", "percent": 60}, {"key": "b", "percent": 30}],
        "window_days": 14})
    assert made.status_code == 201, made.text
    body = made.json()
    assert made.headers["Location"] == f"/api/v1/experiments/{body['id']}"
    assert [(r["key"], r["weight"], r["control"], r["baseline"]) for r in body["arms"]] == [
        ("holdout", 1000, True, False), ("a", 6000, False, False), ("b", 3000, False, False)]
    plain = client.post("/api/v1/experiments", headers=a.headers, json={"name": "默认"}).json()
    assert [(r["key"], r["weight"]) for r in plain["arms"]] == [("holdout", 1000), ("send", 9000)] and plain["window_days"] == 7

    changed = client.put(f"/api/v1/experiments/{body['id']}", headers=a.headers, json={
        "name": "会员日 AB", "holdout_percent": 0, "variants": [{"key": "a"}, {"key": "b"}]})
    assert changed.status_code == 200, changed.text
    assert [(r["key"], r["weight"], r["control"], r["baseline"]) for r in changed.json()["arms"]] == [
        ("a", 5000, True, True), ("b", 5000, False, False)]


def test_bad_experiments_are_refused_with_codes_and_nothing_is_stored(context, client) -> None:
    a = api_tenant(context)
    client.post("/api/v1/experiments", headers=a.headers, json={"name": "双十二"})
    cases = [
        ({"name": "x", "holdout_percent": 60}, 422, "experiment.bad_holdout"),
        ({"name": "x", "holdout_percent": 10, "variants": [{"key": "a", "percent": 50}, {"key": "b", "percent": 30}]}, 422,
         "experiment.shares_sum"),
        ({"name": "x", "variants": [{"key": "a", "percent": 90}, {"key": "b"}]}, 422, "experiment.some_shares"),
        ({"name": "x", "holdout_percent": 0}, 422, "experiment.arm_count"),
        ({"name": "x", "window_days": 400}, 422, "experiment.bad_window"),
        ({"name": "双十二"}, 409, "experiment.name_taken"),
    ]
    for body, status, code in cases:
        response = client.post("/api/v1/experiments", headers=a.headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    assert [e["name"] for e in client.get("/api/v1/experiments", headers=a.headers).json()["items"]] == ["双十二"]


def test_a_used_experiment_cannot_change(context, client) -> None:
    a = api_tenant(context)
    [person] = f.customers_of(context, a.actor, 1)
    made = client.post("/api/v1/experiments", headers=a.headers, json={"name": "在用"}).json()
    experiments.assign(context.uow(), a.actor, made["id"], [person.id])
    response = client.put(f"/api/v1/experiments/{made['id']}", headers=a.headers, json={"name": "改掉", "holdout_percent": 30})
    assert response.status_code == 409 and response.json()["error"]["code"] == "experiment.in_use"
    assert client.get(f"/api/v1/experiments/{made['id']}", headers=a.headers).json() == made


def test_a_mass_send_makes_its_own_experiment_or_nothing(context, client) -> None:
    a = api_tenant(context)
    people = [c.id for c in f.customers_of(context, a.actor, 3)]
    sent = client.post("/api/v1/mass-sends", headers=a.headers, json={
        "name": "周末上新", "text": "A 文案", "customer_ids": people,
        "experiment": {"holdout_percent": 15, "variant_b_text": "B 文案", "window_days": 3}})
    assert sent.status_code == 202, sent.text
    send = sent.json()
    assert send["variant_texts"] == {"b": "B 文案"} and send["experiment_id"] is not None
    experiment = client.get(f"/api/v1/experiments/{send['experiment_id']}", headers=a.headers).json()
    assert (experiment["name"], experiment["window_days"], [r["key"] for r in experiment["arms"]]) == ("周末上新", 3, ["holdout", "a", "b"])
    report = client.get(f"/api/v1/experiments/{send['experiment_id']}/report", headers=a.headers).json()
    [planned] = report["sends"]  # planned at once (tasks run inline here); nobody has a relation, so none is sent
    assert (planned["send_id"], planned["audience"], [r["key"] for r in planned["arms"]]) == (send["id"], 3, ["holdout", "a", "b"])
    assert sum(r["excluded"] for r in planned["arms"]) == 3 and sum(r["targeted"] + r["held_out"] for r in planned["arms"]) == 0

    refused = [
        ({"experiment": {"holdout_percent": 0}}, "experiment.nothing_to_test"),
        ({"experiment": {"holdout_percent": 80}}, "experiment.bad_holdout"),
        ({"experiment": {"holdout_percent": 10}, "experiment_id": send["experiment_id"]}, "experiment.choose_one"),
        ({"experiment": {"holdout_percent": 10}, "customer_ids": [people[0], 999_999_999]}, "mass_send.unknown_customers"),
    ]
    for extra, code in refused:
        response = client.post("/api/v1/mass-sends", headers=a.headers, json={
            "name": "被拒", "text": "你好", "customer_ids": people, **extra})
        assert (response.status_code, response.json()["error"]["code"]) == (422, code), extra
    assert [e["name"] for e in client.get("/api/v1/experiments", headers=a.headers).json()["items"]] == ["周末上新"]
    assert [s["name"] for s in client.get("/api/v1/mass-sends", headers=a.headers).json()["items"]] == ["周末上新"]


def test_another_brands_experiment_can_be_neither_changed_nor_attached(context, client) -> None:
    a, b = api_tenant(context), api_tenant(context)
    [person] = f.customers_of(context, b.actor, 1)
    made = client.post("/api/v1/experiments", headers=a.headers, json={"name": "甲实验"}).json()
    assert client.put(f"/api/v1/experiments/{made['id']}", headers=b.headers, json={"name": "越权"}).status_code == 404
    attached = client.post("/api/v1/mass-sends", headers=b.headers, json={
        "name": "乙群发", "text": "你好", "customer_ids": [person.id], "experiment_id": made["id"]})
    assert attached.status_code == 404 and attached.json()["error"]["code"] == "experiment.not_found"
    assert client.get(f"/api/v1/experiments/{made['id']}", headers=a.headers).json() == made
    assert client.get("/api/v1/mass-sends", headers=b.headers).json()["items"] == []
