"""Contact ways and welcome messages end to end: the way is made and re-bound in the fake
WeCom over HTTP, an add callback brings tags, stage, remark and a welcome message sent with
the add's code, and WeCom's 41050 / 41051 are recorded per relation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from siyu.domain.channels import ChannelDraft
from siyu.domain.contact_ways import ContactWayDraft, StaffRule
from siyu.domain.customers import RelationState
from siyu.domain.welcome import MaterialDraft, SendStatus, WelcomeDraft
from siyu.services import channels, contact_ways, customers, stages, tags, tokens, welcome
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.test_wecom_callbacks import _customer_of
from tests.api.wecom_setup import link

ADD = "add_external_contact"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock) -> Iterator[FakeWeCom]:
    with FakeWeCom(clock=clock) as server:
        yield server


def _way(context, linked, *staff_rules, **extra):
    channel = channels.create_channel(context.uow(), linked.admin, ChannelDraft.parse(name=f"渠道{f.uid(4)}", state=f"ch{f.uid(6)}"))
    draft = ContactWayDraft.parse(channel_id=channel.id, name="门店海报", state=f"w{f.uid(8)}", staff=list(staff_rules), **extra)
    return channel, contact_ways.create_contact_way(context.uow(), context.secret_box, context.wecom_channel, linked.admin, draft)


def test_a_contact_way_is_created_in_wecom_with_its_state_and_first_staff(context, fake):
    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    config = fake.corp.contact_ways[way.config_id]
    assert (config["state"], config["user"], config["type"], config["skip_verify"]) == (way.state, [linked.staff.wecom_userid], 2, True)
    assert way.bound_staff_ids == (linked.staff.id,) and way.qr_code.endswith(way.config_id)


def test_an_add_gets_the_most_specific_welcome_with_names_tags_stage_and_remark(context, client, fake):
    linked = link(context, fake)
    tag = tags.create_tag(context.uow(), linked.admin, group="渠道", name=f"海报{f.uid(4)}")
    stage = stages.create_stage(context.uow(), linked.admin, f"新客{f.uid(4)}")
    channel, way = _way(context, linked, StaffRule(linked.staff.id), tag_ids=[tag.id], stage_id=stage.id,
                        remark_template="{channel_name}{customer_name}")
    link_material = welcome.create_material(context.uow(), linked.admin, MaterialDraft.parse(
        kind="link", title="新人礼", url="https://shop.example.cn/gift"))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(scope="default", text="默认欢迎"))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(
        scope="channel", text="渠道欢迎", channel_id=channel.id))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(
        scope="way", text="{customer_name}您好，我是{staff_name}", material_ids=[link_material.id], contact_way_id=way.id))
    fake.corp.add_contact("wmWelcome", name="韩梅梅", follows={linked.staff.wecom_userid: {"state": way.state}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmWelcome")

    response = linked.contact_event(client, ADD, "wmWelcome", State=way.state, WelcomeCode=code)
    assert response.status_code == 200 and response.text == "success"

    sent = fake.corp.welcome_codes[code]
    assert sent["used"] and sent["sent"]["text"] == f"韩梅梅您好，我是{linked.staff.name}"
    assert sent["sent"]["attachments"] == [{"msgtype": "link", "link": {"title": "新人礼", "url": "https://shop.example.cn/gift"}}]
    customer_id = _customer_of(context, linked.tenant.id, "wmWelcome")
    [send] = welcome.sends_for_customer(context.uow(), linked.admin, customer_id)
    assert send.status is SendStatus.SENT and send.contact_way_id == way.id and send.latency_ms is not None and send.latency_ms >= 0
    assert send.sent_at >= send.received_at
    detail = customers.get_customer(context.uow(), linked.admin, customer_id)
    assert {(t.tag.id, t.source) for t in detail.tags} == {(tag.id, "channel")} and detail.customer.stage_id == stage.id
    assert fake.corp.follows["wmWelcome"][linked.staff.wecom_userid]["remark"] == f"{channel.name}韩梅梅"[:20]


def test_an_expired_welcome_code_is_recorded_as_expired(context, client, fake, clock):
    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(scope="default", text="你好"))
    fake.corp.add_contact("wmLate", follows={linked.staff.wecom_userid: {"state": way.state}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmLate")
    clock.now += 21  # the worker was too slow: WeCom's 20 seconds are over
    linked.contact_event(client, ADD, "wmLate", State=way.state, WelcomeCode=code)
    [send] = welcome.sends_for_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wmLate"))
    assert (send.status, send.errcode) == (SendStatus.EXPIRED, 41050)
    assert not fake.corp.welcome_codes[code]["used"]


def test_a_used_welcome_code_is_recorded_as_used(context, client, fake):
    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(scope="default", text="你好"))
    fake.corp.add_contact("wmUsed", follows={linked.staff.wecom_userid: {"state": way.state}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmUsed")
    fake.corp.welcome_codes[code]["used"] = True  # another app was first
    linked.contact_event(client, ADD, "wmUsed", State=way.state, WelcomeCode=code)
    [send] = welcome.sends_for_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wmUsed"))
    assert (send.status, send.errcode) == (SendStatus.USED, 41051)


def test_a_retried_add_callback_sends_no_second_welcome(context, client, fake):
    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(scope="default", text="你好"))
    fake.corp.add_contact("wmTwice", follows={linked.staff.wecom_userid: {"state": way.state}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmTwice")
    for _ in range(2):
        linked.contact_event(client, ADD, "wmTwice", State=way.state, WelcomeCode=code)
    assert fake.corp.count("/cgi-bin/externalcontact/send_welcome_msg") == 1
    sends = welcome.sends_for_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wmTwice"))
    assert [s.status for s in sends] == [SendStatus.SENT]


def test_the_way_is_rebound_to_the_next_staff_member_after_a_capped_add(context, client, fake):
    linked = link(context, fake)
    second = f.member(context, linked.admin, store_id=linked.staff.store_id)
    fake.corp.add_user(second.wecom_userid)
    _, way = _way(context, linked, StaffRule(linked.staff.id, daily_cap=1), StaffRule(second.id))
    assert fake.corp.contact_ways[way.config_id]["user"] == [linked.staff.wecom_userid]
    fake.corp.add_contact("wmCap", follows={linked.staff.wecom_userid: {"state": way.state}})
    linked.contact_event(client, ADD, "wmCap", State=way.state, WelcomeCode=fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmCap"))
    assert fake.corp.contact_ways[way.config_id]["user"] == [second.wecom_userid]  # the first is capped for today
    counts = contact_ways.adds_today(context.uow(), linked.admin, [way.id])
    assert counts == {way.id: {linked.staff.id: 1}}
    # the periodic round leaves a way alone that is already right
    assert contact_ways.rebind_tenant(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id) == 0
    customer_id = _customer_of(context, linked.tenant.id, "wmCap")
    [relation] = customers.get_customer(context.uow(), linked.admin, customer_id).relations
    assert relation.relation.channel_state == way.state and relation.relation.state is RelationState.ACTIVE


def test_an_add_without_a_welcome_message_configured_is_recorded_as_such(context, client, fake):
    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    fake.corp.add_contact("wmNone", follows={linked.staff.wecom_userid: {"state": way.state}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmNone")
    linked.contact_event(client, ADD, "wmNone", State=way.state, WelcomeCode=code)
    [send] = welcome.sends_for_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wmNone"))
    assert send.status is SendStatus.NO_MESSAGE and fake.corp.count("/cgi-bin/externalcontact/send_welcome_msg") == 0


def test_the_qr_code_is_wecoms_own_image_fetched_through_the_channel(context, client, fake):
    import io

    import httpx

    import zxingcpp
    from PIL import Image

    from tests.api.conftest import api_tenant

    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    side = api_tenant(context)
    assert client.get(f"/api/v1/contact-ways/{way.id}/qr", headers=side.headers).status_code == 404  # another tenant's way
    image, media_type = contact_ways.qr_code_image(context.uow(), context.secret_box, context.wecom_channel, linked.admin, way.id)
    assert media_type == "image/png" and image == httpx.get(way.qr_code).content  # WeCom's own image, not one Siyu drew
    picture = Image.open(io.BytesIO(image))
    assert picture.size[0] == picture.size[1] >= 200
    assert [r.text for r in zxingcpp.read_barcodes(picture)] == [way.qr_code]  # the fake's image encodes its own address
    del fake.corp.contact_ways[way.config_id]  # WeCom's image is gone: a clear error, not a code of the URL
    secret = tokens.create_api_token(context.uow(), linked.admin, name=f"t{f.uid()}").secret
    gone = client.get(f"/api/v1/contact-ways/{way.id}/qr", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 502 and gone.json()["error"]["code"] == "wecom.qr_fetch_failed"


def test_materials_and_welcome_messages_through_the_api(context, client, fake):
    from tests.api.conftest import api_tenant

    side = api_tenant(context)
    made = client.post("/api/v1/materials", json={"kind": "link", "title": "新品", "url": "https://x.cn/p"}, headers=side.headers)
    assert made.status_code == 201
    material_id = made.json()["id"]
    bad = client.post("/api/v1/materials", json={"kind": "link", "title": "新品", "url": "x.cn"}, headers=side.headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "material.bad_url"
    message = client.post("/api/v1/welcome-messages", json={"scope": "default", "text": "你好{customer_name}",
                                                            "material_ids": [material_id]}, headers=side.headers)
    assert message.status_code == 201
    again = client.post("/api/v1/welcome-messages", json={"scope": "default", "text": "又一个"}, headers=side.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "welcome.exists"
    in_use = client.delete(f"/api/v1/materials/{material_id}", headers=side.headers)
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "material.in_use"
    assert client.delete(f"/api/v1/welcome-messages/{message.json()['id']}", headers=side.headers).status_code == 204
    assert client.delete(f"/api/v1/materials/{material_id}", headers=side.headers).status_code == 204
    assert client.get("/api/v1/materials", headers=side.headers).json()["total"] == 0
