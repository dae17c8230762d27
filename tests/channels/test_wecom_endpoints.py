"""Each endpoint WeComChannel uses, over real HTTP against the fake: shapes, cursors, limits."""

from __future__ import annotations

import httpx
import pytest

from siyu.adapters.channels.models import ContactWayDraft, RemarkUpdate, WelcomeMessage
from siyu.adapters.channels.wecom import errors as e
from siyu.domain.errors import InvalidInput
from siyu.testing.fake_wecom import complete_transfers

EC = "/cgi-bin/externalcontact"


def _raw(fake, path, body):
    """Call the fake directly (no client-side checks), to see WeCom's own validation."""
    token = httpx.get(fake.url + "/cgi-bin/gettoken", params={"corpid": fake.corp.corp_id, "corpsecret": fake.corp.secret}).json()
    return httpx.post(fake.url + path, params={"access_token": token["access_token"]}, json=body).json()


def test_a_contact_comes_with_every_follow_user_across_cursor_pages(fake, channel):
    fake.corp.follow_page_size = 2
    fake.corp.add_contact("wmA", name="王小明", unionid="o-union-1", gender=1,
                          follows={f"u{i}": {"state": f"s{i}", "add_way": 1} for i in range(5)})
    detail = channel.get_contact("wmA")
    assert detail.external_contact.unionid == "o-union-1" and detail.external_contact.name == "王小明"
    assert sorted(f.userid for f in detail.follow_user) == [f"u{i}" for i in range(5)]
    assert fake.corp.count(f"{EC}/get") == 3
    with pytest.raises(e.WeComInvalidExternalUserId):
        channel.get_contact("wm-nobody")


def test_contacts_by_user_walks_every_cursor_and_chunk(fake, channel):
    userids = [f"staff{i:03d}" for i in range(120)]
    for n in range(250):
        fake.corp.add_contact(f"wm{n:04d}", follows={userids[n % 120]: {"state": "c1"}, "zhangsan": {}})
    pairs = list(channel.iter_contacts_by_user([*userids, "zhangsan"]))
    assert len(pairs) == 500
    assert {p.follow_info.userid for p in pairs} == {*userids, "zhangsan"}
    assert fake.corp.count(f"{EC}/batch/get_by_user") == 3 + 3  # 100 staff: 3 pages; 21 staff: 2 + 1 pages
    assert channel.list_contacts("zhangsan")[:2] == ["wm0000", "wm0001"]


def test_batch_limits_are_checked_before_the_call_and_by_wecom(fake, channel):
    with pytest.raises(InvalidInput) as raised:
        channel.contacts_by_user([f"u{i}" for i in range(101)])
    assert raised.value.field == "userid_list"
    assert fake.corp.count(f"{EC}/batch/get_by_user") == 0
    assert _raw(fake, f"{EC}/batch/get_by_user", {"userid_list": ["zhangsan"] * 101})["errcode"] == 40058
    assert _raw(fake, f"{EC}/batch/get_by_user", {"userid_list": ["zhangsan"], "limit": 101})["errcode"] == 40058
    assert _raw(fake, f"{EC}/batch/get_by_user", {"userid_list": ["ghost"]})["errcode"] == 40003


def test_remark_is_stored_and_its_limits_hold(fake, channel):
    fake.corp.add_contact("wmR", follows={"zhangsan": {}})
    channel.remark("zhangsan", "wmR", RemarkUpdate(remark="老客户", description="喜欢红色"))
    assert fake.corp.follows["wmR"]["zhangsan"]["remark"] == "老客户"
    with pytest.raises(ValueError, match="at most 20"):
        RemarkUpdate(remark="长" * 21)  # pydantic says no before a call is spent
    assert _raw(fake, f"{EC}/remark", {"userid": "zhangsan", "external_userid": "wmR", "remark": "长" * 21})["errcode"] == 40058
    with pytest.raises(e.WeComNoRelationship):
        channel.remark("lisi", "wmR", RemarkUpdate(remark="x"))


def test_corp_tags_add_list_edit_mark_and_delete(fake, channel):
    fake.corp.add_contact("wmT", follows={"zhangsan": {}})
    group = channel.add_corp_tags(["高价值", "复购"], group_name="客户价值")
    assert [t.name for t in group.tag] == ["高价值", "复购"]
    more = channel.add_corp_tags(["沉睡"], group_id=group.group_id)
    assert more.group_id == group.group_id
    channel.edit_corp_tag(group.tag[0].id, name="超高价值")
    assert [t.name for t in channel.corp_tags()[0].tag] == ["超高价值", "复购", "沉睡"]
    channel.mark_tags("zhangsan", "wmT", add=[group.tag[0].id, group.tag[1].id])
    channel.mark_tags("zhangsan", "wmT", remove=[group.tag[1].id])
    assert [t.tag_name for t in channel.get_contact("wmT").follow_user[0].tags] == ["超高价值"]
    channel.delete_corp_tags(tag_ids=[more.tag[0].id])
    assert [t.name for t in channel.corp_tags(group_ids=[group.group_id])[0].tag] == ["超高价值", "复购"]
    with pytest.raises(InvalidInput):
        channel.add_corp_tags(["长" * 31], group_id=group.group_id)
    assert _raw(fake, f"{EC}/add_corp_tag", {"group_id": group.group_id, "tag": [{"name": "长" * 31}]})["errcode"] == 40058
    channel.delete_corp_tags(group_ids=[group.group_id])
    assert channel.corp_tags() == []


def test_group_chats_list_and_get(fake, channel):
    for n in range(3):
        fake.corp.group_chats[f"wr{n}"] = {"chat_id": f"wr{n}", "name": f"会员群{n}", "owner": "zhangsan", "status": 0,
                                           "create_time": 1, "notice": "", "admin_list": [],
                                           "member_list": [{"userid": "wmA", "type": 2, "join_time": 1, "join_scene": 3}]}
    first = channel.group_chats(limit=2)
    rest = channel.group_chats(limit=2, cursor=first.next_cursor)
    assert [c.chat_id for c in first.items + rest.items] == ["wr0", "wr1", "wr2"] and rest.next_cursor == ""
    chat = channel.get_group_chat("wr1")
    assert chat.name == "会员群1" and chat.member_list[0].type == 2
    with pytest.raises(InvalidInput):
        channel.group_chats(owners=[f"u{i}" for i in range(101)])
    assert _raw(fake, f"{EC}/groupchat/list", {"owner_filter": {"userid_list": ["u"] * 101}, "limit": 10})["errcode"] == 81017


def test_contact_ways_add_get_update_delete(fake, channel):
    made = channel.add_contact_way(ContactWayDraft(type=2, user=["zhangsan", "lisi"], state="tmall-618", remark="天猫"))
    assert made.config_id and made.qr_code == f"{fake.url}/fake/{made.config_id}"  # the fake serves WeCom's QR images
    way = channel.get_contact_way(made.config_id)
    assert way.state == "tmall-618" and way.user == ["zhangsan", "lisi"]
    channel.update_contact_way(made.config_id, ContactWayDraft(type=2, user=["lisi"], state="tmall-618"))
    assert channel.get_contact_way(made.config_id).user == ["lisi"]
    channel.delete_contact_way(made.config_id)
    with pytest.raises(e.WeComInvalidInput):
        channel.get_contact_way(made.config_id)


def test_contact_way_limits(fake):
    with pytest.raises(ValueError, match="exactly one"):
        ContactWayDraft(type=1, user=["zhangsan", "lisi"])
    with pytest.raises(ValueError):
        ContactWayDraft(state="s" * 31, user=["zhangsan"])
    assert _raw(fake, f"{EC}/add_contact_way", {"type": 2, "scene": 2, "state": "s" * 31, "user": ["zhangsan"]})["errcode"] == 40058
    assert _raw(fake, f"{EC}/add_contact_way", {"type": 1, "scene": 2, "user": ["zhangsan", "lisi"]})["errcode"] == 40058
    assert _raw(fake, f"{EC}/add_contact_way", {"type": 2, "scene": 2, "user": ["ghost"]})["errcode"] == 40003


def test_a_welcome_code_works_once_within_twenty_seconds(fake, channel):
    now = [1_800_000_000.0]
    fake.corp.clock = lambda: now[0]
    code = fake.corp.issue_welcome_code("zhangsan", "wmW")
    channel.send_welcome_message(code, WelcomeMessage(text="你好，我是你的专属顾问"))
    assert fake.corp.welcome_codes[code]["sent"]["text"] == "你好，我是你的专属顾问"
    with pytest.raises(e.WeComWelcomeCodeUsed):
        channel.send_welcome_message(code, WelcomeMessage(text="again"))
    late = fake.corp.issue_welcome_code("zhangsan", "wmW")
    now[0] += 21
    with pytest.raises(e.WeComWelcomeCodeExpired):
        channel.send_welcome_message(late, WelcomeMessage(text="late"))
    with pytest.raises(e.WeComMissingWelcomeCode):
        channel.send_welcome_message("", WelcomeMessage(text="no code"))
    with pytest.raises(ValueError, match="4,000 bytes"):
        WelcomeMessage(text="字" * 1400)


def test_transfers_follow_wecoms_rules(fake, channel):
    for n in range(3):
        fake.corp.add_contact(f"wm{n}", follows={"zhangsan": {}})
    outcomes = channel.transfer_customers("zhangsan", "lisi", ["wm0", "wm1", "wm-ghost"], message="您好，我接替为您服务")
    assert [(o.external_userid, o.errcode) for o in outcomes] == [("wm0", 0), ("wm1", 0), ("wm-ghost", 40096)]
    again = channel.transfer_customers("zhangsan", "lisi", ["wm0"])
    assert again[0].errcode == 40100  # already transferring
    assert [(s.external_userid, s.status) for s in channel.transfer_result("zhangsan", "lisi").customer] == [("wm0", 2), ("wm1", 2)]
    complete_transfers(fake.corp)
    assert {s.status for s in channel.transfer_result("zhangsan", "lisi").customer} == {1}
    assert "lisi" in fake.corp.follows["wm0"] and "zhangsan" not in fake.corp.follows["wm0"]
    with pytest.raises(e.WeComSameMember):
        channel.transfer_customers("lisi", "lisi", ["wm0"])
    with pytest.raises(e.WeComMemberNotResigned):
        channel.transfer_customers("lisi", "zhangsan", ["wm0"], resigned=True)
    assert channel.transfer_customers("zhangsan", "lisi", ["wm2"])[0].errcode == 0
    assert channel.transfer_customers("lisi", "zhangsan", ["wm1"])[0].errcode == 0
    complete_transfers(fake.corp)
    assert channel.transfer_customers("zhangsan", "lisi", ["wm1"])[0].errcode == 40128  # a third transfer


def test_resigned_staff_customers_and_groups_move(fake, channel):
    fake.corp.add_user("wangwu", resigned=True)
    fake.corp.add_contact("wmX", follows={"wangwu": {}})
    fake.corp.group_chats["wrX"] = {"chat_id": "wrX", "name": "g", "owner": "wangwu", "status": 1, "member_list": []}
    page = channel.unassigned()
    assert [(c.handover_userid, c.external_userid) for c in page.info] == [("wangwu", "wmX")] and page.is_last
    assert channel.transfer_customers("wangwu", "lisi", ["wmX"], resigned=True)[0].errcode == 0
    assert channel.transfer_result("wangwu", "lisi", resigned=True).customer[0].status == 2
    failures = channel.transfer_group_chats(["wrX", "wr-ghost"], "lisi", resigned=True)
    assert [(f.chat_id, f.errcode) for f in failures] == [("wr-ghost", 40050)]
    assert fake.corp.group_chats["wrX"]["owner"] == "lisi"
    fake.corp.group_chats["wrX"]["owner"] = "zhangsan"
    assert channel.transfer_group_chats(["wrX"], "lisi", resigned=True)[0].errcode == 40097
    assert channel.transfer_group_chats(["wrX"], "lisi") == []
