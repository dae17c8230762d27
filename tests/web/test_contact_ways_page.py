"""The contact-way pages: create through the form, the list with today's adds, QR and poster, in both languages."""

from __future__ import annotations

import base64

from siyu.adapters.channels.sandbox import Corp, SandboxChannel
from siyu.adapters.channels.sandbox.media import hosted
from siyu.domain.access import Role
from siyu.domain.channels import ChannelDraft
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import channels, contact_ways, wecom_settings

from .conftest import Browser, Org


def _linked(org: Org) -> Corp:
    corp = Corp(corp_id="wwconsole0000001", secret="console-secret-0001")
    wecom_settings.save_wecom_settings(org.context.uow(), org.context.secret_box, org.system, WeComSettingsDraft.parse(
        corp_id=corp.corp_id, contact_secret=corp.secret))
    org.context.wecom_channel = lambda secrets: SandboxChannel(corp)
    return corp


def test_an_admin_creates_a_contact_way_and_gets_its_qr_code_and_poster(signed_in: Browser, org: Org) -> None:
    corp = _linked(org)
    store = org.store("静安店")
    first, second = org.member("王导购", store=store), org.member("李导购", store=store)
    for member in (first, second):
        corp.add_user(member.wecom_userid)
    channel = channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name="门店海报渠道", state="store-poster"))
    form = signed_in.get("/contact-ways/new").text
    assert "新建活码" in form and "门店海报渠道" in form and "兜底员工" in form

    bad = signed_in.post("/contact-ways/new", {"channel_id": str(channel.id), "name": "静安海报", "state": "jingan",
                                               "staff_ids": [], "rotation": "round_robin"})
    assert bad.status_code == 422 and "活码至少需要一名员工" in bad.text and not corp.contact_ways

    made = signed_in.post("/contact-ways/new", {
        "channel_id": str(channel.id), "name": "静安海报", "state": "jingan", "rotation": "round_robin",
        "staff_ids": [str(first.id)], "fallback_id": str(second.id), "daily_cap": "20", "start_hour": "9", "end_hour": "21",
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"], "skip_verify": "on", "welcome_text": "{customer_name}您好，我是{staff_name}",
    })
    assert made.status_code == 303
    [way] = contact_ways.list_contact_ways(org.context.uow(), org.system).items
    assert [(r.staff_id, r.daily_cap, r.start_hour, r.end_hour, r.fallback) for r in way.staff] == [
        (first.id, 20, 9, 21, False), (second.id, None, 0, 24, True)]
    assert corp.contact_ways[way.config_id]["state"] == "jingan"

    listing = signed_in.get("/contact-ways").text
    assert "活码“静安海报”已创建" in listing and "jingan" in listing and "今日添加" in listing
    png = signed_in.get(f"/contact-ways/{way.id}/qr.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.content == hosted(corp, f"/fake/{way.config_id}")[1]  # WeCom's own image, fetched, not drawn by Siyu
    poster = signed_in.get(f"/contact-ways/{way.id}/poster").text
    assert "门店海报渠道" in poster and "微信扫码添加我们" in poster and "A5" in poster
    assert f'src="data:image/png;base64,{base64.b64encode(png.content).decode()}"' in poster  # WeCom's image, inlined
    edit = signed_in.get(f"/contact-ways/{way.id}/edit").text
    assert "{customer_name}您好，我是{staff_name}" in edit and 'value="20"' in edit

    signed_in.post("/locale", {"locale": "en", "next": "/contact-ways"})
    english = signed_in.get("/contact-ways").text
    assert "Adds today" in english and "Takes the next customer" in english and "今日添加" not in english
    assert "Scan to add us on WeChat" in signed_in.get(f"/contact-ways/{way.id}/poster").text


def test_a_guide_sees_contact_ways_but_cannot_open_the_form(browser: Browser, org: Org) -> None:
    _linked(org)
    guide = org.member("赵导购", store=org.store())
    assert browser.sign_in(org.user(Role.GUIDE, member=guide).login).status_code == 303
    assert browser.get("/contact-ways").status_code == 200
    assert browser.get("/contact-ways/new").status_code == 403
