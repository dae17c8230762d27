"""The welcome message pages: the list by scope, which message a contact way sends (the order
tried), the form with placeholders, the live preview, attachments from the materials (at most
nine), errors on their field with nothing typed lost, the files queued for upload on save, and
who may edit."""

from __future__ import annotations

import pytest

from siyu.domain.access import Role
from siyu.domain.channels import ChannelDraft
from siyu.domain.contact_ways import ContactWayDraft, StaffRule
from siyu.domain.welcome import MaterialDraft, WelcomeDraft, WelcomeScope
from siyu.services import channels, contact_ways, welcome

from .conftest import Browser, Org
from .test_contact_ways_page import _linked


def _messages(org: Org):  # type: ignore[no-untyped-def]
    return welcome.list_welcome_messages(org.context.uow(), org.system).items


def _material(org: Org, title: str, kind: str = "link"):  # type: ignore[no-untyped-def]
    url = "https://cdn.example.cn/a.png" if kind == "image" else "https://shop.example.cn/p"
    return welcome.create_material(org.context.uow(), org.system, MaterialDraft.parse(kind=kind, title=title, url=url))


def _way(org: Org, name: str = "静安海报"):  # type: ignore[no-untyped-def]
    corp = _linked(org)
    member = org.member("王导购", store=org.store())
    corp.add_user(member.wecom_userid)
    channel = channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name="门店海报渠道", state="store-poster"))
    way = contact_ways.create_contact_way(org.context.uow(), org.context.secret_box, org.context.wecom_channel, org.system,
                                          ContactWayDraft.parse(channel_id=channel.id, name=name, state="jingan",
                                                                staff=[StaffRule(member.id)]))
    return channel, way


def test_an_admin_writes_a_welcome_with_names_and_attachments_and_sees_it_filled(signed_in: Browser, org: Org) -> None:
    gift, poster = _material(org, "新人礼"), _material(org, "春季海报", "image")
    queued: list[tuple[int, int]] = []
    org.context.tasks["warm_welcome_media"] = lambda *args: queued.append(args)
    form = signed_in.get("/welcome-messages/new").text
    assert "新建欢迎语" in form and 'data-insert="{customer_name}"' in form and "新人礼" in form and "最多 9 个" in form
    assert "输入文字，即可看到客户收到的样子" in form

    preview = signed_in.post("/welcome-messages/preview", {"text": "{customer_name}您好，我是{staff_name}", "material_ids": [str(gift.id)]})
    assert preview.status_code == 200 and "韩梅梅您好，我是李雷" in preview.text and "1 个附件" in preview.text
    named = signed_in.post("/welcome-messages/preview", {"text": "{customer_name}您好", "sample_customer": "王小明"})
    assert "王小明您好" in named.text and "已用 21 / 3800 字节" in named.text

    made = signed_in.post("/welcome-messages/new", {"scope": "default", "text": "{customer_name}您好，我是{staff_name}",
                                                    "material_ids": [str(poster.id), str(gift.id)]})
    assert made.status_code == 303
    [message] = _messages(org)
    assert (message.scope, message.text, set(message.material_ids)) == (WelcomeScope.DEFAULT, "{customer_name}您好，我是{staff_name}",
                                                                        {poster.id, gift.id})
    assert queued == [(org.tenant.id, message.id)]  # its image is uploaded by the worker now, not at the first add
    listing = signed_in.get("/welcome-messages").text
    assert "欢迎语已保存" in listing and "默认" in listing and "{customer_name}您好" in listing

    edit = signed_in.get(f"/welcome-messages/{message.id}/edit").text
    assert f'value="{gift.id}" checked' in edit and "韩梅梅您好，我是李雷" in edit  # the preview, filled on the page too
    assert signed_in.post(f"/welcome-messages/{message.id}/edit", {"scope": "default", "text": "只有文字"}).status_code == 303
    assert _messages(org)[0].material_ids == () and len(queued) == 1  # nothing to upload: nothing queued


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"scope": "channel", "text": "渠道欢迎"}, "scope", "请指定欢迎语所属的活码或渠道"),
    ({"scope": "default", "text": ""}, "text", "欢迎语需要文字或附件"),
    ({"scope": "default", "text": "太多附件", "material_ids": "TEN"}, "material_ids", "最多 9 个附件"),
])
def test_a_rejected_welcome_shows_the_error_on_its_field_and_keeps_what_was_typed(signed_in: Browser, org: Org,
                                                                                 values: dict[str, object], field: str, message: str) -> None:
    if values.get("material_ids") == "TEN":
        values = {**values, "material_ids": [str(_material(org, f"素材{n}").id) for n in range(10)]}
    bad = signed_in.post("/welcome-messages/new", values)
    assert bad.status_code == 422 and message in bad.text
    assert "has-error" in bad.text and (f'id="e-{field}"' in bad.text or field == "material_ids")
    assert f">{values['text']}</textarea>" in bad.text
    for chosen in values.get("material_ids", []):  # type: ignore[union-attr]
        assert f'value="{chosen}" checked' in bad.text
    assert not _messages(org)


def test_the_list_shows_each_scope_and_which_welcome_a_contact_way_sends(signed_in: Browser, org: Org) -> None:
    channel, way = _way(org)
    no_welcome = signed_in.get(f"/welcome-messages?way_id={way.id}").text
    assert "没有适用的欢迎语" in no_welcome
    welcome.save_welcome_message(org.context.uow(), org.system, WelcomeDraft.parse(scope="default", text="默认欢迎"))
    welcome.save_welcome_message(org.context.uow(), org.system, WelcomeDraft.parse(scope="channel", text="渠道欢迎",
                                                                                   channel_id=channel.id))
    shown = signed_in.get(f"/welcome-messages?way_id={way.id}").text.split("某个活码会发送哪条欢迎语")[1]
    assert "门店海报渠道" in shown and "静安海报" in shown
    order = [shown.index(s) for s in ("活码自己的", "所属渠道的（门店海报渠道）", "默认欢迎语")]
    assert order == sorted(order)
    assert '<li class="chosen">\n      <strong>所属渠道的（门店海报渠道）' in shown and "更具体的欢迎语优先" in shown

    assert signed_in.post("/welcome-messages/new", {"scope": "way", "contact_way_id": str(way.id), "channel_id": str(channel.id),
                                                    "text": "活码欢迎"}).status_code == 303
    own = signed_in.get(f"/welcome-messages?way_id={way.id}").text
    assert '<li class="chosen">\n      <strong>活码自己的' in own
    twice = signed_in.post("/welcome-messages/new", {"scope": "way", "contact_way_id": str(way.id), "text": "又一条"})
    assert twice.status_code == 409 and "该对象已有欢迎语" in twice.text


def test_the_contact_way_form_keeps_the_attachments_of_the_ways_welcome(signed_in: Browser, org: Org) -> None:
    channel, way = _way(org)
    gift = _material(org, "新人礼")
    welcome.save_welcome_message(org.context.uow(), org.system, WelcomeDraft.parse(
        scope="way", text="你好", material_ids=[gift.id], contact_way_id=way.id))
    member_id = way.staff[0].staff_id
    for text in ("你好，新朋友", ""):
        saved = signed_in.post(f"/contact-ways/{way.id}/edit", {
            "channel_id": str(channel.id), "name": way.name, "state": way.state, "rotation": "round_robin",
            "staff_ids": [str(member_id)], "welcome_text": text})
        assert saved.status_code == 303
        [message] = _messages(org)
        assert (message.text, message.material_ids) == (text, (gift.id,))


@pytest.mark.parametrize(("role", "may_edit"), [(Role.OPERATOR, True), (Role.STORE_MANAGER, False), (Role.GUIDE, False)])
def test_who_may_edit_welcome_messages_follows_the_contact_ways(browser: Browser, org: Org, role: Role, may_edit: bool) -> None:
    message = welcome.save_welcome_message(org.context.uow(), org.system, WelcomeDraft.parse(scope="default", text="默认欢迎"))
    assert browser.sign_in(org.user(role, member=org.member(store=org.store())).login).status_code == 303
    listing = browser.get("/welcome-messages")
    assert listing.status_code == 200 and "默认欢迎" in listing.text and ("新建欢迎语" in listing.text) is may_edit
    assert browser.get("/welcome-messages/new").status_code == (200 if may_edit else 403)
    assert browser.get(f"/welcome-messages/{message.id}/edit").status_code == (200 if may_edit else 403)
    changed = browser.post(f"/welcome-messages/{message.id}/edit", {"scope": "default", "text": "改了"})
    assert changed.status_code == (303 if may_edit else 403)
    assert browser.post("/welcome-messages/preview", {"text": "{customer_name}"}).status_code == 200  # a preview changes nothing
    assert browser.post(f"/welcome-messages/{message.id}/delete").status_code == (303 if may_edit else 403)
    assert len(_messages(org)) == (0 if may_edit else 1)
