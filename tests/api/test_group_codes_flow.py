"""Group live codes end to end on SQLite and PostgreSQL: the join way made in the fake WeCom over
HTTP listing the pool's first open groups, re-listed by the worker's re-check as groups fill,
a notification when the pool runs out, joins by QR scan counted for the code, WeCom's QR image."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.adapters.channels.sandbox.join_ways import add_group_chat
from siyu.domain.alerts import AlertKind
from siyu.domain.channels import ChannelDraft
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.group_codes import GroupCodeDraft
from siyu.services import alerts, channels, group_codes
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import link


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _groups(context, linked, fake, members: dict[str, int]) -> None:
    """Groups in the fake WeCom and in Siyu's synced rows, owned by the linked staff member."""
    owner = linked.staff.wecom_userid
    with context.uow() as uow:
        for chat_id, count in members.items():
            add_group_chat(fake.corp, chat_id, owner=owner, name=f"粉丝群{chat_id}", members=count)
            uow.wecom_sync.add_group_chat(linked.tenant.id, chat_id=chat_id, name=f"粉丝群{chat_id}", owner_userid=owner,
                                          owner_staff_id=linked.staff.id, status=0, members=count, external_members=count - 1,
                                          fingerprint="-", synced_at=utcnow())
        uow.commit()


def _draft(context, linked, pool, **extra):
    channel = channels.create_channel(context.uow(), linked.admin, ChannelDraft.parse(name=f"渠道{f.uid(4)}", state=f"ch{f.uid(6)}"))
    return GroupCodeDraft.parse(channel_id=channel.id, name="门店福利群", state=f"g{f.uid(8)}", chat_ids=pool, **extra)


def _create(context, linked, pool, **extra):
    return group_codes.create_group_code(context.uow(), context.secret_box, context.wecom_channel, linked.admin,
                                         _draft(context, linked, pool, **extra))


def _recheck(context, linked) -> int:
    return group_codes.recheck_tenant(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id)


def _join(fake, chat_id: str, n: int) -> None:
    members = fake.corp.group_chats[chat_id]["member_list"]
    members += [{"userid": f"wmJ{chat_id}{len(members) + i}", "type": 2, "join_scene": 3} for i in range(n)]


POOL = ["wrA", "wrB", "wrC", "wrD", "wrE", "wrF", "wrG"]


def test_a_group_code_lists_the_first_five_open_groups_of_its_pool(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 190, "wrB": 12, "wrC": 40, "wrD": 1, "wrE": 150, "wrF": 3, "wrG": 9})
    code = _create(context, linked, POOL)
    way = fake.corp.join_ways[code.config_id]
    assert way["chat_id_list"] == ["wrB", "wrC", "wrD", "wrE", "wrF"] and way["state"] == code.state
    assert code.live_chat_ids == ("wrB", "wrC", "wrD", "wrE", "wrF") and code.exhausted_at is None
    assert code.qr_code == f"{fake.url}/fake/{code.config_id}"


def test_the_recheck_reads_members_from_wecom_and_swaps_a_full_group_for_the_next(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 185, "wrB": 100, "wrC": 10})
    code = _create(context, linked, ["wrA", "wrB", "wrC"], threshold=188)
    assert code.live_chat_ids == ("wrA", "wrB", "wrC")
    assert _recheck(context, linked) == 0  # nobody joined: nothing re-listed
    updates = fake.corp.count("/cgi-bin/externalcontact/groupchat/update_join_way")
    _join(fake, "wrA", 3)  # 185 + 3 = 188: at the threshold
    assert _recheck(context, linked) == 1
    code = group_codes.get_group_code(context.uow(), linked.admin, code.id)
    assert code.live_chat_ids == ("wrB", "wrC") and fake.corp.join_ways[code.config_id]["chat_id_list"] == ["wrB", "wrC"]
    assert fake.corp.count("/cgi-bin/externalcontact/groupchat/update_join_way") == updates + 1
    pool = {p.chat_id: p for p in group_codes.pool_of(context.uow(), linked.admin, code)}
    assert (pool["wrA"].members, pool["wrA"].full, pool["wrA"].live) == (188, True, False)
    assert (pool["wrB"].members, pool["wrB"].full, pool["wrB"].live) == (100, False, True)


def test_an_exhausted_pool_warns_once_and_clears_when_a_group_opens(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 189, "wrB": 150})
    code = _create(context, linked, ["wrA", "wrB"], threshold=190)
    _join(fake, "wrA", 1)
    _recheck(context, linked)
    _join(fake, "wrB", 45)  # 195
    _recheck(context, linked)
    code = group_codes.get_group_code(context.uow(), linked.admin, code.id)
    assert code.exhausted_at is not None and code.live_chat_ids == ("wrB",)  # keeps its last group rather than none
    _recheck(context, linked)
    full = [a for a in alerts.list_alerts(context.uow(), linked.admin).items if a.kind is AlertKind.GROUP_CODE_FULL]
    assert len(full) == 1 and full[0].data["group_code_id"] == code.id and full[0].staff_id == linked.staff.id
    del fake.corp.group_chats["wrA"]["member_list"][-10:]  # ten left wrA: 180
    _recheck(context, linked)  # wrA is not listed, so its count comes from the next sync; here, from the row
    with context.uow() as uow:
        uow.group_codes.set_members(linked.tenant.id, "wrA", members=180, external_members=179, now=utcnow())
        uow.commit()
    _recheck(context, linked)
    code = group_codes.get_group_code(context.uow(), linked.admin, code.id)
    assert code.exhausted_at is None and code.live_chat_ids == ("wrA",)


def test_auto_create_room_sends_the_base_name_and_raises_no_alert(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 195})
    code = _create(context, linked, ["wrA"], auto_create_room=True, room_base_name="会员福利群", room_base_id=2)
    way = fake.corp.join_ways[code.config_id]
    assert (way["auto_create_room"], way["room_base_name"], way["room_base_id"]) == (1, "会员福利群", 2)
    assert code.exhausted_at is not None
    assert not [a for a in alerts.list_alerts(context.uow(), linked.admin).items if a.kind is AlertKind.GROUP_CODE_FULL]


def test_a_group_belongs_to_one_code_and_must_be_known(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 1, "wrB": 1})
    first = _create(context, linked, ["wrA"])
    with pytest.raises(Conflict) as taken:
        _create(context, linked, ["wrB", "wrA"])
    assert taken.value.code == "group_code.chat_taken" and first.name in taken.value.message
    with pytest.raises(InvalidInput) as unknown:
        _create(context, linked, ["wrGhost"])
    assert unknown.value.code == "group_code.unknown_chat"
    with pytest.raises(InvalidInput) as threshold:
        group_codes.create_group_code(context.uow(), context.secret_box, context.wecom_channel, linked.admin,
                                      _draft(context, linked, ["wrB"], threshold=300, members_max=500), members_max=200)
    assert threshold.value.code == "group_code.bad_threshold"
    assert group_codes.list_group_codes(context.uow(), linked.admin).total == 1


def test_an_edit_re_lists_and_archiving_deletes_the_join_way(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 1, "wrB": 1})
    code = _create(context, linked, ["wrA"])
    draft = GroupCodeDraft.parse(channel_id=code.channel_id, name="新名字", state=code.state, chat_ids=["wrB", "wrA"])
    code = group_codes.update_group_code(context.uow(), context.secret_box, context.wecom_channel, linked.admin, code.id, draft)
    assert fake.corp.join_ways[code.config_id]["chat_id_list"] == ["wrB", "wrA"] and fake.corp.join_ways[code.config_id]["remark"] == "新名字"
    group_codes.archive_group_code(context.uow(), context.secret_box, context.wecom_channel, linked.admin, code.id)
    assert code.config_id not in fake.corp.join_ways
    assert group_codes.list_group_codes(context.uow(), linked.admin).total == 0


def test_a_qr_scan_join_is_counted_for_the_code_holding_the_group(context, client, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 10, "wrOther": 10})
    code = _create(context, linked, ["wrA"])
    update = {"ChatId": "wrA", "UpdateDetail": "add_member", "MemChangeCnt": "2"}
    assert linked.send(client, linked.xml("change_external_chat", "update", create_time=1_800_000_001, JoinScene="3", **update)).text == "success"
    linked.send(client, linked.xml("change_external_chat", "update", create_time=1_800_000_002, JoinScene="0", **update))  # invited
    linked.send(client, linked.xml("change_external_chat", "update", create_time=1_800_000_003, JoinScene="3",
                                   **{**update, "ChatId": "wrOther"}))  # no code's group
    assert group_codes.joins(context.uow(), linked.admin, [code.id]) == {code.id: 2}


def test_the_qr_image_is_wecoms_fetched_through_the_channel(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 1})
    code = _create(context, linked, ["wrA"])
    image, media_type = group_codes.qr_code_image(context.uow(), context.secret_box, context.wecom_channel, linked.admin, code.id)
    assert media_type == "image/png" and image.startswith(b"\x89PNG")
    del fake.corp.join_ways[code.config_id]  # WeCom no longer has the image
    with pytest.raises(Exception) as failed:
        group_codes.qr_code_image(context.uow(), context.secret_box, context.wecom_channel, linked.admin, code.id)
    assert getattr(failed.value, "code", "") == "wecom.qr_fetch_failed"


def test_the_api_makes_a_code_and_shows_each_pool_groups_members(context, client, fake):
    from siyu.services import tokens

    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 195, "wrB": 20})
    channel = channels.create_channel(context.uow(), linked.admin, ChannelDraft.parse(name="接口渠道", state=f"ch{f.uid(6)}"))
    headers = {"Authorization": f"Bearer {tokens.create_api_token(context.uow(), linked.admin, name=f't{f.uid()}').secret}"}
    made = client.post("/api/v1/group-codes", headers=headers, json={"channel_id": channel.id, "name": "接口群码", "state": "api-g",
                                                                     "chat_ids": ["wrA", "wrB"]})
    assert made.status_code == 201 and made.json()["live_chat_ids"] == ["wrB"] and made.json()["threshold"] == 190
    shown = client.get(f"/api/v1/group-codes/{made.json()['id']}", headers=headers).json()
    assert [(p["chat_id"], p["members"], p["full"], p["live"]) for p in shown["pool"]] == [("wrA", 195, True, False), ("wrB", 20, False, True)]
    assert client.get("/api/v1/group-codes", headers=headers).json()["total"] == 1
    refused = client.post("/api/v1/group-codes", headers=headers, json={"channel_id": channel.id, "name": "重复", "state": "api-h",
                                                                        "chat_ids": ["wrB"]})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "group_code.chat_taken"
    image = client.get(f"/api/v1/group-codes/{made.json()['id']}/qr", headers=headers)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_a_dismissed_group_leaves_every_code_and_is_shown_dismissed(context, client, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 10, "wrB": 20, "wrC": 30, "wrD": 40, "wrE": 50, "wrF": 60})
    code = _create(context, linked, ["wrA", "wrB", "wrC", "wrD", "wrE", "wrF"])
    assert code.live_chat_ids == ("wrA", "wrB", "wrC", "wrD", "wrE")
    dismiss = linked.xml("change_external_chat", "dismiss", create_time=1_800_000_010, ChatId="wrB")
    assert linked.send(client, dismiss).text == "success"
    assert _recheck(context, linked) == 1
    code = group_codes.get_group_code(context.uow(), linked.admin, code.id)
    assert code.live_chat_ids == ("wrA", "wrC", "wrD", "wrE", "wrF")
    assert fake.corp.join_ways[code.config_id]["chat_id_list"] == ["wrA", "wrC", "wrD", "wrE", "wrF"]
    pool = {p.chat_id: p for p in group_codes.pool_of(context.uow(), linked.admin, code)}
    assert (pool["wrB"].dismissed, pool["wrB"].live, pool["wrB"].full) == (True, False, False)
    assert not pool["wrA"].dismissed
    # wrA fills: the pool has no group to spare, yet wrB (10 members) is not listed again
    _join(fake, "wrA", 180)
    assert _recheck(context, linked) == 1
    code = group_codes.get_group_code(context.uow(), linked.admin, code.id)
    assert code.live_chat_ids == ("wrC", "wrD", "wrE", "wrF") and code.exhausted_at is None
    assert "wrB" not in [c.chat_id for c in group_codes.pickable_chats(context.uow(), linked.admin)]


def test_a_pool_of_only_dismissed_groups_is_refused(context, client, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 10, "wrB": 20})
    linked.send(client, linked.xml("change_external_chat", "dismiss", create_time=1_800_000_010, ChatId="wrA"))
    with pytest.raises(InvalidInput) as refused:
        _create(context, linked, ["wrA"])
    assert refused.value.code == "group_code.all_dismissed"
    assert _create(context, linked, ["wrA", "wrB"]).live_chat_ids == ("wrB",)


def test_a_code_name_past_wecoms_remark_limit_is_cut_for_the_remark(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 1})
    channel = channels.create_channel(context.uow(), linked.admin, ChannelDraft.parse(name=f"渠道{f.uid(4)}", state=f"ch{f.uid(6)}"))
    name = "双十一会员专享福利群" * 4  # 40 characters: a name Siyu keeps whole
    code = group_codes.create_group_code(context.uow(), context.secret_box, context.wecom_channel, linked.admin,
                                         GroupCodeDraft.parse(channel_id=channel.id, name=name, state=f"g{f.uid(8)}", chat_ids=["wrA"]))
    assert code.name == name and fake.corp.join_ways[code.config_id]["remark"] == name[:30]
