"""The group-code pages: the form with its group picker and order, the detail with each group's
members and which are live, the list, WeCom's QR image and the poster, in both languages."""

from __future__ import annotations

import base64

from siyu.adapters.channels.sandbox import Corp, SandboxChannel
from siyu.adapters.channels.sandbox.join_ways import add_group_chat
from siyu.adapters.channels.sandbox.media import hosted
from siyu.domain.channels import ChannelDraft
from siyu.domain.group_codes import GroupCodeDraft
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import channels, group_codes, wecom_settings
from siyu.services.clock import utcnow

from .conftest import Browser, Org


def _linked(org: Org, members: dict[str, int]) -> Corp:
    corp = Corp(corp_id="wwconsole0000002", secret="console-secret-0002")
    wecom_settings.save_wecom_settings(org.context.uow(), org.context.secret_box, org.system, WeComSettingsDraft.parse(
        corp_id=corp.corp_id, contact_secret=corp.secret))
    org.context.wecom_channel = lambda secrets: SandboxChannel(corp)
    with org.context.uow() as uow:
        for chat_id, count in members.items():
            add_group_chat(corp, chat_id, owner="owner1", name=f"静安{chat_id}群", members=count)
            uow.wecom_sync.add_group_chat(org.tenant.id, chat_id=chat_id, name=f"静安{chat_id}群", owner_userid="owner1", status=0,
                                          members=count, external_members=count - 1, fingerprint="-", synced_at=utcnow())
        uow.commit()
    return corp


def test_an_admin_builds_a_group_code_from_ordered_groups_and_prints_its_poster(signed_in: Browser, org: Org) -> None:
    corp = _linked(org, {"wrA": 195, "wrB": 20, "wrC": 3})
    channel = channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name="门店群渠道", state="store-group"))
    form = signed_in.get("/group-codes/new").text
    assert "新建群活码" in form and "静安wrB群" in form and "满员人数" in form

    bad = signed_in.post("/group-codes/new", {"channel_id": str(channel.id), "name": "静安群码", "state": "jingan-g",
                                              "threshold": "190", "listed_chat_ids": ["wrA", "wrB", "wrC"], "positions": ["", "", ""]})
    assert bad.status_code == 422 and "群活码至少需要一个客户群" in bad.text and not corp.join_ways

    made = signed_in.post("/group-codes/new", {
        "channel_id": str(channel.id), "name": "静安群码", "state": "jingan-g", "threshold": "190",
        "chat_ids": ["wrA", "wrB", "wrC"], "listed_chat_ids": ["wrA", "wrB", "wrC"], "positions": ["2", "3", "1"],
    })
    assert made.status_code == 303
    [code] = group_codes.list_group_codes(org.context.uow(), org.system).items
    assert code.chat_ids == ("wrC", "wrA", "wrB")  # ordered by the numbers typed
    assert corp.join_ways[code.config_id]["chat_id_list"] == ["wrC", "wrB"]  # wrA (195) is over 190

    detail = signed_in.get(f"/group-codes/{code.id}").text
    assert "群活码“静安群码”已创建" in detail and "195 / 190" in detail and "已满" in detail and "使用中" in detail
    listing = signed_in.get("/group-codes").text
    assert "静安群码" in listing and "jingan-g" in listing and "2 / 3" in listing

    png = signed_in.get(f"/group-codes/{code.id}/qr.png")
    assert png.headers["content-type"] == "image/png" and png.content == hosted(corp, f"/fake/{code.config_id}")[1]
    poster = signed_in.get(f"/group-codes/{code.id}/poster").text
    assert "门店群渠道" in poster and "微信扫码加入我们的群" in poster
    assert f'src="data:image/png;base64,{base64.b64encode(png.content).decode()}"' in poster

    edit = signed_in.get(f"/group-codes/{code.id}/edit").text
    assert "编辑群活码" in edit and 'value="jingan-g"' in edit
    saved = signed_in.post(f"/group-codes/{code.id}/edit", {
        "channel_id": str(channel.id), "name": "静安群码", "state": "jingan-g", "threshold": "10",
        "chat_ids": ["wrB", "wrC"], "listed_chat_ids": ["wrA", "wrB", "wrC"], "positions": ["", "1", "2"],
    })
    assert saved.status_code == 303
    assert corp.join_ways[code.config_id]["chat_id_list"] == ["wrC"]  # wrB (20) is over 10 now

    signed_in.post("/locale", {"locale": "en", "next": "/group-codes"})
    assert "Groups on the code" in signed_in.get("/group-codes").text
    assert "Scan to join our WeChat group" in signed_in.get(f"/group-codes/{code.id}/poster").text


def test_a_full_pool_is_shown_as_a_warning(signed_in: Browser, org: Org) -> None:
    _linked(org, {"wrA": 199})
    channel = channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name="满群渠道", state="full-group"))
    signed_in.post("/group-codes/new", {"channel_id": str(channel.id), "name": "满群码", "state": "full-g", "threshold": "190",
                                        "chat_ids": ["wrA"], "listed_chat_ids": ["wrA"], "positions": ["1"]})
    [code] = group_codes.list_group_codes(org.context.uow(), org.system).items
    assert "该群活码的群已全部满员" in signed_in.get(f"/group-codes/{code.id}").text
    assert "群已全满" in signed_in.get("/group-codes").text


def test_the_detail_page_shows_a_dismissed_group_as_dismissed(signed_in: Browser, org: Org) -> None:
    _linked(org, {"wrA": 20, "wrB": 30})
    channel = channels.create_channel(org.context.uow(), org.system, ChannelDraft.parse(name="解散渠道", state="gone-g"))
    code = group_codes.create_group_code(org.context.uow(), org.context.secret_box, org.context.wecom_channel, org.system,
                                         GroupCodeDraft.parse(channel_id=channel.id, name="解散群码", state="gone-g",
                                                              chat_ids=["wrA", "wrB"]))
    with org.context.uow() as uow:
        row = uow.wecom_sync.group_chat(org.tenant.id, "wrA")
        assert row is not None
        uow.wecom_sync.update_group_chat(org.tenant.id, row["id"], dismissed_at=utcnow())
        uow.commit()
    group_codes.recheck_tenant(org.context.uow(), org.context.secret_box, org.context.wecom_channel, org.tenant.id)
    detail = signed_in.get(f"/group-codes/{code.id}").text
    assert "已解散" in detail and "使用中" in detail  # wrA dismissed, wrB live
