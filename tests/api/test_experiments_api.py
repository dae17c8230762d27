"""Experiments over the API: the list, one, and its report with the tests and the verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from siyu.domain.experiments import ExperimentDraft
from siyu.services import customers, experiments
from tests.api.conftest import api_tenant
from tests.integration.test_experiment_report import _seed
from tests import factories as f

START = datetime(2026, 11, 1, 12, tzinfo=UTC)


def test_report_over_the_api_gives_each_arm_and_the_tests(context, client) -> None:
    a = api_tenant(context)
    people = [c.id for c in f.customers_of(context, a.actor, 6)]
    made = experiments.create_experiment(context.uow(), a.actor, ExperimentDraft.holdout(name="双十二", holdout_percent=50),
                                         started_at=START)
    _seed(context, a.actor, {(made.id, "holdout"): people[:3], (made.id, "send"): people[3:]},
          [(people[3], 1, "88.00", "0"), (people[4], 2, "12.00", "2.00"), (people[0], 20, "5.00", "0")])

    listed = client.get("/api/v1/experiments", headers=a.headers).json()
    assert [e["id"] for e in listed["items"]] == [made.id] and listed["items"][0]["arms"][0] == {
        "key": "holdout", "weight": 5000, "control": True, "baseline": False}
    assert client.get(f"/api/v1/experiments/{made.id}", headers=a.headers).json()["name"] == "双十二"

    body = client.get(f"/api/v1/experiments/{made.id}/report", headers=a.headers).json()
    assert body["window_days"] == 7
    assert [(r["key"], r["customers"], r["converters"], r["gmv"], r["repliers"], r["reply_rate"]) for r in body["arms"]] == [
        ("holdout", 3, 0, "0", 0, 0.0), ("send", 3, 2, "98.00", 0, 0.0)]
    [comparison] = body["comparisons"]
    assert comparison["conversion"]["tested"] and comparison["conversion"]["small_sample"]
    assert comparison["gmv_per_customer"]["tested"] and comparison["significant"] is False
    assert comparison["replies"] == {**comparison["replies"], "tested": False, "reason": "no_repliers"}

    wider = client.get(f"/api/v1/experiments/{made.id}/report?window_days=30", headers=a.headers).json()
    assert wider["arms"][0]["converters"] == 1 and wider["window_end"].startswith(str((START + timedelta(days=30)).date()))
    assert client.get(f"/api/v1/experiments/{made.id}/report?window_days=0", headers=a.headers).status_code == 422



def test_replies_sent_through_the_events_api_show_in_the_report(context, client) -> None:
    """send: 2 of 2 replied (one of them twice), holdout: 0 of 2 -> reply rates 1.0 and 0.0."""
    a = api_tenant(context)
    people = [c.id for c in f.customers_of(context, a.actor, 4)]
    phones = [customers.get_customer(context.uow(), a.actor, c).identities[0].value for c in people]
    made = experiments.create_experiment(context.uow(), a.actor, ExperimentDraft.holdout(name="回复率", holdout_percent=50),
                                         started_at=START)
    _seed(context, a.actor, {(made.id, "holdout"): people[:2], (made.id, "send"): people[2:]}, [])

    def reply(n: int, phone: str, day: int) -> dict[str, object]:
        return {"event_id": f"msg-{n}", "name": "message_replied", "occurred_at": (START + timedelta(days=day)).isoformat(),
                "identity": {"kind": "phone", "value": phone}, "source": "archive", "properties": {"staff_userid": "zhangsan"}}

    tracked = client.post("/api/v1/events:batch", headers=a.headers, json={"events": [
        reply(1, phones[2], 1), reply(2, phones[2], 2), reply(3, phones[3], 3), reply(4, phones[0], 9)]})  # holdout's: day 9, late
    assert tracked.status_code == 200 and tracked.json()["stored"] == 4, tracked.text
    body = client.get(f"/api/v1/experiments/{made.id}/report", headers=a.headers).json()
    assert [(r["key"], r["repliers"], r["reply_rate"]) for r in body["arms"]] == [("holdout", 0, 0.0), ("send", 2, 1.0)]
    replies = body["comparisons"][0]["replies"]
    assert replies["tested"] and replies["difference"] == 1.0 and replies["small_sample"]


def test_the_report_schema_documents_replies_and_links_to_the_events_api(client) -> None:
    document = client.get("/openapi.json").json()
    arm = document["components"]["schemas"]["ArmOutcomeOut"]["properties"]
    assert "message_replied" in arm["repliers"]["description"] and "reply_rate" in arm
    report = document["components"]["schemas"]["ExperimentReportOut"]["properties"]
    assert "replies_available" not in report and "replies_note" not in report
    batch = document["paths"]["/api/v1/events:batch"]["post"]
    assert batch["operationId"] == "track_events_api_v1_events_batch_post"  # the console's link: /docs#/events/<this>
    assert "message_replied" in batch["description"]
