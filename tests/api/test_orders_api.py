"""The channels, orders and events API: per-item results, pages, codes."""

from siyu.domain.access import Role
from tests import factories as f
from tests.api.conftest import api_tenant


def an_order(order_id, **extra):
    return {"source": "mall", "order_id": order_id, "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "39.90",
            "identities": {"phone": "13800138000"}, **extra}


def test_channels_and_costs_over_the_api(context, client):
    a = api_tenant(context)
    made = client.post("/api/v1/channels", json={"name": "小红书笔记", "state": "ch-xhs", "group_name": "线上"}, headers=a.headers)
    assert made.status_code == 201, made.text
    channel_id = made.json()["id"]
    clash = client.post("/api/v1/channels", json={"name": "小红书笔记", "state": "ch-2"}, headers=a.headers)
    assert clash.status_code == 409 and clash.json()["error"]["field"] == "name"
    cost = client.post(f"/api/v1/channels/{channel_id}/costs",
                       json={"period_start": "2026-11-01", "period_end": "2026-11-30", "amount": "8000.00"}, headers=a.headers)
    assert cost.status_code == 201 and cost.json()["amount"] == "8000.00"
    overlap = client.post(f"/api/v1/channels/{channel_id}/costs",
                          json={"period_start": "2026-11-15", "period_end": "2026-12-15", "amount": "1"}, headers=a.headers)
    assert overlap.status_code == 409
    page = client.get(f"/api/v1/channels/{channel_id}/costs", headers=a.headers).json()
    assert page["total"] == 1
    assert client.delete(f"/api/v1/channels/{channel_id}/costs/{cost.json()['id']}", headers=a.headers).status_code == 204
    listed = client.get("/api/v1/channels?page_size=1", headers=a.headers).json()
    assert (listed["total"], listed["page_size"], listed["items"][0]["state"]) == (1, 1, "ch-xhs")


def test_an_order_batch_answers_per_order_and_is_idempotent(context, client):
    a = api_tenant(context)
    f.customers_of(context, a.actor, 1)
    body = {"orders": [an_order("W1"), an_order("W2", amount="-1"), an_order("W3", identities={"openid": "oNobody"})]}
    first = client.post("/api/v1/orders:batch", json=body, headers=a.headers)
    assert first.status_code == 200, first.text
    summary = first.json()
    assert (summary["created"], summary["rejected"], summary["unmatched"]) == (2, 1, 2)
    assert [r["outcome"] for r in summary["results"]] == ["created", "rejected", "created"]
    assert summary["results"][1]["field"] == "amount" and summary["results"][1]["reason"]
    assert summary["results"][1]["code"] == "money.not_positive"
    store = client.post("/api/v1/orders:batch", json={"orders": [{**an_order("W4"), "store_code": "NOPE"}]}, headers=a.headers).json()
    [rejected] = store["results"]
    assert (rejected["outcome"], rejected["field"], rejected["code"], rejected["params"]) == (
        "rejected", "store_code", "order.unknown_store", {"store": "NOPE"})
    assert rejected["reason"] == "no store with code “NOPE”"

    again = client.post("/api/v1/orders:batch", json=body, headers=a.headers).json()
    assert (again["created"], again["unchanged"], again["rejected"]) == (0, 2, 1)

    order_id = summary["results"][0]["order_id"]
    detail = client.get(f"/api/v1/orders/{order_id}", headers=a.headers).json()
    assert (detail["amount"], detail["net_amount"], detail["status"]) == ("39.90", "39.90", "paid")
    unmatched = client.get("/api/v1/orders/unmatched", headers=a.headers).json()
    assert unmatched["total"] == 2
    assert client.post("/api/v1/orders:match", headers=a.headers).json()["orders_matched"] == 0
    assert client.get("/api/v1/orders/999999", headers=a.headers).status_code == 404

    too_many = {"orders": [an_order(f"N{i}") for i in range(501)]}
    assert client.post("/api/v1/orders:batch", json=too_many, headers=a.headers).status_code == 422


def test_orders_of_a_customer_are_on_their_page(context, client):
    a = api_tenant(context)
    someone = f.customers_of(context, a.actor, 1)[0]
    with context.uow() as uow:
        phone = uow.identities.for_customer(a.actor.tenant_id, someone.id)[0].value
    client.post("/api/v1/orders:batch", json={"orders": [an_order("P1", identities={"phone": phone})]}, headers=a.headers)
    page = client.get(f"/api/v1/customers/{someone.id}/orders", headers=a.headers).json()
    assert [o["source_order_id"] for o in page["items"]] == ["P1"]


def test_an_event_batch_answers_per_event(context, client):
    a = api_tenant(context)
    events = [
        {"event_id": "x1", "name": "coupon_used", "occurred_at": "2026-11-01T10:00:00Z",
         "identity": {"kind": "unionid", "value": "oU1"}, "properties": {"coupon": "C50"}},
        {"event_id": "x2", "name": "coupon_used", "occurred_at": "not a time", "identity": {"kind": "unionid", "value": "oU1"}},
    ]
    answer = client.post("/api/v1/events:batch", json={"events": events}, headers=a.headers).json()
    assert (answer["stored"], answer["rejected"]) == (1, 1)
    assert answer["results"][1]["field"] == "occurred_at"
    again = client.post("/api/v1/events:batch", json={"events": events[:1]}, headers=a.headers).json()
    assert again["duplicate"] == 1
    listed = client.get("/api/v1/events?unmatched=true", headers=a.headers).json()
    assert [e["event_id"] for e in listed["items"]] == ["x1"]


def test_an_operator_token_may_send_orders(context, client):
    a = api_tenant(context, role=Role.OPERATOR)
    answer = client.post("/api/v1/orders:batch", json={"orders": [an_order("O1")]}, headers=a.headers)
    assert answer.status_code == 200 and answer.json()["created"] == 1


def test_refunds_have_their_own_batch(context, client):
    a = api_tenant(context)
    client.post("/api/v1/orders:batch", json={"orders": [an_order("RF1")]}, headers=a.headers)
    refund = {"source": "mall", "order_id": "RF1", "refund_id": "X", "amount": "9.90", "refunded_at": "2026-11-02T10:00:00+08:00"}
    answer = client.post("/api/v1/refunds:batch", json={"refunds": [refund, {**refund, "order_id": "GONE"}]}, headers=a.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["added"], body["rejected"]) == (1, 1) and body["results"][1]["field"] == "order_id"
    assert (body["results"][1]["code"], body["results"][1]["params"]) == ("refund.unknown_order", {"order": "GONE", "source": "mall"})
    assert body["results"][0]["code"] is None
    listed = client.get("/api/v1/orders", headers=a.headers).json()["items"][0]
    assert (listed["refunded_amount"], listed["net_amount"], listed["status"]) == ("9.90", "30.00", "partially_refunded")
