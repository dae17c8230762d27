"""Moments tasks over the API, against the fake WeCom: create (the worker submits at once in tests), follow, cancel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.services import tokens
from siyu.testing.fake_wecom import FakeWeCom, publish_moment
from tests import factories as f
from tests.api.wecom_setup import link

EC = "/cgi-bin/externalcontact"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def test_create_follow_and_cancel_a_moment(context, client, fake) -> None:
    linked = link(context, fake)
    headers = {"Authorization": f"Bearer {tokens.create_api_token(context.uow(), linked.admin, name=f't{f.uid()}').secret}"}
    second = f.member(context, linked.admin, store_id=linked.staff.store_id)
    fake.corp.add_user(second.wecom_userid)

    refused = client.post("/api/v1/moments", json={"text": "没人发"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "moment.no_senders"

    created = client.post("/api/v1/moments", json={"text": "新品上架", "store_ids": [linked.staff.store_id]}, headers=headers)
    assert created.status_code == 202, created.text
    body = created.json()
    assert created.headers["location"] == f"/api/v1/moments/{body['id']}"
    assert body["status"] == "submitted" and body["senders"] == 2  # the worker ran (immediate queue): WeCom's job is running
    assert sorted(s["userid"] for s in body["sender_list"]) == sorted([linked.staff.wecom_userid, second.wecom_userid])

    context.tasks["poll_moments"]()  # WeCom's job is done: the moment exists
    shown = client.get(f"/api/v1/moments/{body['id']}", headers=headers).json()
    assert shown["status"] == "publishing" and shown["completion_rate"] == 0.0
    moment_id = fake.corp.moments["jobs"][next(iter(fake.corp.moments["jobs"]))]["moment_id"]
    publish_moment(fake.corp, moment_id, second.wecom_userid)
    context.tasks["poll_moments"]()
    shown = client.get(f"/api/v1/moments/{body['id']}", headers=headers).json()
    assert shown["published"] == 1 and shown["completion_rate"] == 0.5
    assert {s["userid"]: s["status"] for s in shown["sender_list"]} == {linked.staff.wecom_userid: "waiting",
                                                                          second.wecom_userid: "published"}

    listed = client.get("/api/v1/moments", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]
    cancelled = client.post(f"/api/v1/moments/{body['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert fake.corp.count(f"{EC}/cancel_moment_task") == 1
    again = client.post(f"/api/v1/moments/{body['id']}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "moment.finished"
