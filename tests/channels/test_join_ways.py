"""Group live codes' join ways (groupchat/add_join_way and kin) over real HTTP against the fake
WeCom and in-process in the sandbox; WeCom's limits held on both sides; WeCom's own QR image
fetched, not drawn; customers joining fill the listed groups in order."""

from __future__ import annotations

import random

import httpx
import pytest
from pydantic import ValidationError

from siyu.adapters.channels.join_ways import JoinWayDraft
from siyu.adapters.channels.media import MediaFile, QrCodeFetchFailed
from siyu.adapters.channels.sandbox.join_ways import add_group_chat, simulate_join
from siyu.adapters.channels.wecom import errors as e

GC = "/cgi-bin/externalcontact/groupchat"


def _raw(fake, path, body):
    token = httpx.get(fake.url + "/cgi-bin/gettoken", params={"corpid": fake.corp.corp_id, "corpsecret": fake.corp.secret}).json()
    return httpx.post(fake.url + path, params={"access_token": token["access_token"]}, json=body).json()


@pytest.fixture
def chats(fake):
    for i in range(1, 8):
        add_group_chat(fake.corp, f"wr{i}", owner="zhangsan", name=f"粉丝群{i}", members=i * 10)
    return [f"wr{i}" for i in range(1, 8)]


def test_a_join_way_is_made_read_updated_and_deleted(fake, channel, chats):
    config_id = channel.add_join_way(JoinWayDraft(chat_id_list=chats[:2], state="gc-tmall", remark="天猫群码", auto_create_room=1,
                                                  room_base_name="天猫粉丝群", room_base_id=3))
    way = channel.get_join_way(config_id)
    assert (way.chat_id_list, way.state, way.auto_create_room, way.room_base_name, way.room_base_id) == (
        chats[:2], "gc-tmall", 1, "天猫粉丝群", 3)
    assert way.qr_code == f"{fake.url}/fake/{config_id}"
    channel.update_join_way(config_id, JoinWayDraft(chat_id_list=chats[2:7], state="gc-tmall"))
    assert channel.get_join_way(config_id).chat_id_list == chats[2:7]
    channel.delete_join_way(config_id)
    with pytest.raises(e.WeComInvalidInput):
        channel.get_join_way(config_id)


def test_join_way_limits_are_checked_before_the_call_and_by_the_fake(fake, chats):
    with pytest.raises(ValidationError):
        JoinWayDraft(chat_id_list=chats[:6])
    with pytest.raises(ValidationError):
        JoinWayDraft(chat_id_list=[])
    with pytest.raises(ValidationError):
        JoinWayDraft(chat_id_list=chats[:1], state="s" * 31)
    with pytest.raises(ValidationError):
        JoinWayDraft(chat_id_list=["wr1", "wr1"])
    assert _raw(fake, f"{GC}/add_join_way", {"scene": 2, "chat_id_list": chats[:6]})["errcode"] == 40058
    assert _raw(fake, f"{GC}/add_join_way", {"scene": 2, "chat_id_list": chats[:1], "state": "s" * 31})["errcode"] == 40058
    assert _raw(fake, f"{GC}/add_join_way", {"scene": 3, "chat_id_list": chats[:1]})["errcode"] == 40058
    assert _raw(fake, f"{GC}/add_join_way", {"scene": 2, "chat_id_list": ["wr-ghost"]})["errcode"] == 40050
    assert _raw(fake, f"{GC}/get_join_way", {"config_id": "jw-unknown"})["errcode"] == 40058
    assert _raw(fake, f"{GC}/update_join_way", {"config_id": "jw-unknown", "chat_id_list": chats[:1]})["errcode"] == 40058
    assert _raw(fake, f"{GC}/del_join_way", {"config_id": "jw-unknown"})["errcode"] == 40058


def test_an_update_that_breaks_a_limit_leaves_the_way_as_it_was(fake, channel, chats):
    config_id = channel.add_join_way(JoinWayDraft(chat_id_list=chats[:1], state="gc-a"))
    assert _raw(fake, f"{GC}/update_join_way", {"config_id": config_id, "chat_id_list": ["wr-ghost"]})["errcode"] == 40050
    assert channel.get_join_way(config_id).chat_id_list == chats[:1]


def test_wecom_qr_image_is_fetched_not_drawn(fake, channel, chats):
    url = channel.get_join_way(channel.add_join_way(JoinWayDraft(chat_id_list=chats[:1]))).qr_code
    image = channel.fetch_qr_code(url)
    assert image.content_type == "image/png" and image.data.startswith(b"\x89PNG")
    with pytest.raises(QrCodeFetchFailed) as failed:
        channel.fetch_qr_code(url.replace("/fake/jw", "/fake/nothing"))
    assert failed.value.code == "wecom.qr_fetch_failed" and "404" in failed.value.message


def test_a_qr_image_is_judged_by_its_bytes_not_its_header(channel, monkeypatch):
    """The image is served again from the console's origin: an SVG (script) or HTML sent as image/* is refused,
    and a PNG is served as a PNG whatever header it came with."""
    sent: dict[str, MediaFile] = {}
    monkeypatch.setattr(channel.media_source, "fetch", lambda url, *, max_bytes: sent["file"])
    sent["file"] = MediaFile(filename="qr", content_type="image/svg+xml", data=b"<svg onload='alert(1)'></svg>")
    with pytest.raises(QrCodeFetchFailed) as failed:
        channel.fetch_qr_code("https://wework.qpic.cn/qr")
    assert "not a PNG or JPEG" in failed.value.message
    sent["file"] = MediaFile(filename="qr", content_type="application/octet-stream", data=b"\x89PNG\r\n\x1a\n" + b"0" * 16)
    assert channel.fetch_qr_code("https://wework.qpic.cn/qr").content_type == "image/png"


def test_customers_fill_the_listed_groups_in_order_then_a_room_is_made(fake, chats):
    corp = fake.corp
    add_group_chat(corp, "wrA", owner="zhangsan", members=199)
    add_group_chat(corp, "wrB", owner="zhangsan", members=198)
    corp.join_ways["jw1"] = {"config_id": "jw1", "scene": 2, "chat_id_list": ["wrA", "wrB"], "auto_create_room": 1,
                             "room_base_name": "会员群", "room_base_id": 7, "state": "gc-1"}
    rng = random.Random(1)
    first, second, third = (simulate_join(corp, rng, now=1_800_000_000.0 + i) for i in range(3))
    assert first == {"ChatId": "wrA", "ChangeType": "update", "UpdateDetail": "add_member", "JoinScene": "3", "MemChangeCnt": "1"}
    assert [second["ChatId"], third["ChatId"]] == ["wrB", "wrB"]
    assert len(corp.group_chats["wrA"]["member_list"]) == 200 and len(corp.group_chats["wrB"]["member_list"]) == 200
    made = simulate_join(corp, rng, now=1_800_000_010.0)
    assert made == {"ChatId": made["ChatId"], "ChangeType": "create"}
    room = corp.group_chats[made["ChatId"]]
    assert room["name"] == "会员群7" and room["owner"] == "zhangsan"
    assert [(m["type"], m.get("state", "")) for m in room["member_list"]] == [(1, ""), (2, "gc-1")]
    assert corp.join_ways["jw1"]["chat_id_list"] == ["wrA", "wrB"] and corp.join_ways["jw1"]["room_base_id"] == 7
    assert simulate_join(corp, rng, now=1_800_000_011.0)["ChatId"] == made["ChatId"]  # the room it made takes the next one


def test_rooms_are_made_when_five_listed_groups_are_full_numbered_on_from_the_base(fake, channel):
    corp = fake.corp
    full = [f"wrF{i}" for i in range(5)]
    for chat_id in full:
        add_group_chat(corp, chat_id, owner="lisi", members=200)
    config_id = channel.add_join_way(JoinWayDraft(chat_id_list=full, state="gc-5", auto_create_room=1, room_base_name="福利群",
                                                  room_base_id=10))
    rng = random.Random(3)
    first = simulate_join(corp, rng, now=1_800_000_000.0)
    assert first["ChangeType"] == "create" and corp.group_chats[first["ChatId"]]["name"] == "福利群10"
    corp.group_chats[first["ChatId"]]["member_list"] += [{"userid": f"wmX{i}", "type": 2} for i in range(198)]  # 200: full
    channel.update_join_way(config_id, JoinWayDraft(chat_id_list=full, state="gc-5", auto_create_room=1, room_base_name="福利群",
                                                    room_base_id=10))  # the same base sent again: numbering goes on
    second = simulate_join(corp, rng, now=1_800_000_001.0)
    assert second["ChangeType"] == "create" and corp.group_chats[second["ChatId"]]["name"] == "福利群11"
    assert channel.get_join_way(config_id).chat_id_list == full


def test_a_full_way_without_room_creation_takes_nobody(fake):
    add_group_chat(fake.corp, "wrFull", owner="zhangsan", members=200)
    fake.corp.join_ways["jw1"] = {"config_id": "jw1", "scene": 2, "chat_id_list": ["wrFull"], "auto_create_room": 0, "state": ""}
    assert simulate_join(fake.corp, random.Random(1), now=1_800_000_000.0) is None


def test_a_remark_past_wecoms_30_characters_is_cut_not_refused(fake, channel, chats):
    assert JoinWayDraft(chat_id_list=chats[:1], remark="备" * 40).remark == "备" * 30
    config_id = channel.add_join_way(JoinWayDraft(chat_id_list=chats[:1], remark="群" * 31))
    assert channel.get_join_way(config_id).remark == "群" * 30
    answer = _raw(fake, f"{GC}/add_join_way", {"scene": 2, "chat_id_list": chats[:1], "remark": "r" * 45})
    assert answer["errcode"] == 0 and fake.corp.join_ways[answer["config_id"]]["remark"] == "r" * 30
    assert _raw(fake, f"{GC}/update_join_way", {"config_id": config_id, "chat_id_list": chats[:1], "remark": "u" * 31})["errcode"] == 0
    assert channel.get_join_way(config_id).remark == "u" * 30


def test_a_member_s_join_way_state_is_read_from_groupchat_get(fake, channel):
    corp = fake.corp
    add_group_chat(corp, "wrS", owner="zhangsan", members=3)
    corp.join_ways["jw1"] = {"config_id": "jw1", "scene": 2, "chat_id_list": ["wrS"], "auto_create_room": 0, "state": "gc-live"}
    simulate_join(corp, random.Random(1), now=1_800_000_000.0)
    members = channel.get_group_chat("wrS").member_list
    assert [m.state for m in members] == ["", "", "", "gc-live"]  # the owner and two older customers came in otherwise
    assert members[-1].join_scene == 3 and members[-1].type == 2
