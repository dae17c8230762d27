"""Bulk add-friend batches over the API, and a number flipping to added on WeCom's add callback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.domain.customers import CustomerRecord
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services import customers, guide_tasks, tokens
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.conftest import api_tenant
from tests.api.wecom_setup import link

BATCHES = "/api/v1/add-friend-batches"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _upload(text: str, name: str = "名单.csv") -> dict[str, tuple[str, bytes]]:
    return {"file": (name, text.encode())}


def test_create_preview_import_again_and_read_a_batch(context, client):
    t = api_tenant(context)
    store = f.store(context, t.actor)
    a, b = f.member(context, t.actor, store_id=store.id), f.member(context, t.actor, store_id=store.id)
    text = "手机号,姓名\n13800138000,张三\n13900139000,李四\n12345,坏号\n13800138000,重复\n"
    preview = client.post(BATCHES, files=_upload(text), data={"staff_ids": [a.id, b.id], "dry_run": "true"}, headers=t.headers)
    assert preview.status_code == 201, preview.text
    assert (preview.json()["batch_id"], preview.json()["rows_new"]) == (None, 2)
    assert client.get(BATCHES, headers=t.headers).json()["total"] == 0

    made = client.post(BATCHES, files=_upload(text), data={"staff_ids": [a.id, b.id], "name": "春季回流"}, headers=t.headers).json()
    assert (made["rows_total"], made["rows_new"], made["rows_bad"]) == (4, 2, 2)
    assert [(e["row"], e["column"], e["code"]) for e in made["errors"]] == [(4, "手机号", "phone.invalid"),
                                                                          (5, "手机号", "add_friend.duplicate_phone")]
    assert sorted((x["staff_id"], x["numbers"]) for x in made["assigned"]) == sorted([(a.id, 1), (b.id, 1)])
    batch_id = made["batch_id"]
    again = client.post(f"{BATCHES}/{batch_id}/numbers", files=_upload(text), data={"staff_ids": [a.id]}, headers=t.headers).json()
    assert (again["rows_new"], again["rows_already_in_batch"], again["rows_bad"]) == (0, 3, 1)  # row 5's phone is in the batch now

    detail = client.get(f"{BATCHES}/{batch_id}", headers=t.headers).json()
    assert (detail["name"], detail["assigned"], detail["pending"], detail["completion_rate"]) == ("春季回流", 2, 2, 0.0)
    assert {s["staff_id"] for s in detail["staff"]} == {a.id, b.id}
    numbers = client.get(f"{BATCHES}/{batch_id}/numbers?state=pending", headers=t.headers).json()
    assert [(n["phone"], n["name"], n["staff_id"]) for n in numbers["items"]] == [("13800138000", "张三", a.id), ("13900139000", "李四", b.id)]
    marked = client.post(f"/api/v1/add-friend-numbers/{numbers['items'][1]['id']}/invalid", headers=t.headers).json()
    assert marked["state"] == "invalid"
    rematched = client.post(f"{BATCHES}/{batch_id}/rematch", headers=t.headers).json()
    assert (rematched["changed"], rematched["batch"]["invalid"]) == (0, 1)
    assert client.get(f"{BATCHES}/{batch_id}/numbers?state=sideways", headers=t.headers).json()["error"]["code"] == \
        "add_friend.unknown_state"


def test_a_file_that_is_not_a_sheet_is_refused_with_its_code(context, client):
    t = api_tenant(context)
    refused = client.post(BATCHES, files=_upload("phone\n13800138000\n", "名单.txt"), headers=t.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "file.not_sheet")
    no_phone = client.post(BATCHES, files=_upload("姓名\n张三\n"), headers=t.headers)
    assert (no_phone.status_code, no_phone.json()["error"]["code"]) == (422, "add_friend.no_phone_column")


def test_wecoms_add_callback_flips_the_number_to_added_and_closes_the_guides_task(context, client, fake):
    linked = link(context, fake)
    customer_id = customers.create_customer(context.uow(), linked.admin, CustomerRecord(keys=(
        IdentityKey(IdentityKind.PHONE, "13800138000"), IdentityKey(IdentityKind.WECOM_EXTERNAL, "wmAddFriend01")))).customer_id
    issued = tokens.create_api_token(context.uow(), linked.admin, name=f"t{f.uid()}")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    made = client.post(BATCHES, files=_upload(f"phone,staff\n13800138000,{linked.staff.wecom_userid}\n"), headers=headers).json()
    [number] = client.get(f"{BATCHES}/{made['batch_id']}/numbers", headers=headers).json()["items"]
    assert number["state"] == "pending"

    fake.corp.add_contact("wmAddFriend01", follows={linked.staff.wecom_userid: {"state": ""}})
    assert linked.contact_event(client, "add_external_contact", "wmAddFriend01").status_code == 200

    [number] = client.get(f"{BATCHES}/{made['batch_id']}/numbers", headers=headers).json()["items"]
    assert (number["state"], number["customer_id"], number["added_by_staff_id"]) == ("added", customer_id, linked.staff.id)
    assert guide_tasks.get_task(context.uow(), linked.admin, number["task_id"]).state.value == "done"
    detail = client.get(f"{BATCHES}/{made['batch_id']}", headers=headers).json()
    assert (detail["added"], detail["completion_rate"], detail["staff"][0]["completion_rate"]) == (1, 1.0, 1.0)
