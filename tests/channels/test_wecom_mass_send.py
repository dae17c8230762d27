"""Mass sends (群发) over the channel: WeComChannel over real HTTP against the fake WeCom, and
the sandbox in-process, on the same simulated corp."""

from __future__ import annotations

import pytest

from siyu.adapters.channels.sandbox.mass_send import confirm_mass_message
from siyu.adapters.channels.wecom import errors as e
from siyu.domain.errors import InvalidInput
from tests.channels.test_wecom_endpoints import _raw

EC = "/cgi-bin/externalcontact"


def _seed(fake, n=5):
    for i in range(n):
        fake.corp.add_contact(f"wm{i:03d}", follows={"zhangsan": {}})


def test_a_task_is_created_with_a_fail_list_and_nothing_is_sent_before_the_staff_confirms(fake, channel):
    _seed(fake)
    fake.corp.mass_confirm_seconds = None
    created = channel.add_msg_template("zhangsan", ["wm000", "wm001", "wm-ghost"], text="双十一 5 折")
    assert created.msgid and created.fail_list == ["wm-ghost"]
    task = channel.get_groupmsg_task(created.msgid)
    assert [(t.userid, t.status) for t in task.items] == [("zhangsan", 0)]
    results = channel.get_groupmsg_send_result(created.msgid, "zhangsan")
    assert sorted((r.external_userid, r.status) for r in results.items) == [("wm000", 0), ("wm001", 0)]


def test_after_confirmation_each_customer_is_sent_not_a_friend_or_capped(fake, channel):
    _seed(fake, 3)
    fake.corp.mass_cap_per_month = 1
    first = channel.add_msg_template("zhangsan", ["wm000"], text="第一条")
    confirm_mass_message(fake.corp, first.msgid)
    del fake.corp.follows["wm001"]["zhangsan"]  # the customer deleted the staff member meanwhile
    second = channel.add_msg_template("zhangsan", ["wm000", "wm001", "wm002"], text="第二条",
                                      attachments=[{"msgtype": "link", "link": {"title": "t", "url": "https://x.cn"}}])
    confirm_mass_message(fake.corp, second.msgid)
    task = channel.get_groupmsg_task(second.msgid)
    assert task.items[0].status == 2 and task.items[0].send_time > 0
    statuses = {r.external_userid: r.status for r in channel.get_groupmsg_send_result(second.msgid, "zhangsan").items}
    assert statuses == {"wm000": 3, "wm001": 2, "wm002": 1}


def test_the_simulated_staff_confirms_after_a_while(fake, channel):
    _seed(fake, 1)
    now = [1_800_000_000.0]
    fake.corp.clock = lambda: now[0]
    fake.corp.mass_confirm_seconds = 60
    created = channel.add_msg_template("zhangsan", ["wm000"], text="hi")
    assert channel.get_groupmsg_task(created.msgid).items[0].status == 0
    now[0] += 61
    assert channel.get_groupmsg_task(created.msgid).items[0].status == 2
    assert channel.get_groupmsg_send_result(created.msgid, "zhangsan").items[0].status == 1


def test_results_are_paged_with_cursors(fake, channel):
    _seed(fake, 25)
    created = channel.add_msg_template("zhangsan", [f"wm{i:03d}" for i in range(25)], text="hi")
    seen, cursor = [], ""
    while True:
        page = channel.get_groupmsg_send_result(created.msgid, "zhangsan", cursor=cursor, limit=10)
        seen.extend(r.external_userid for r in page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(seen) == [f"wm{i:03d}" for i in range(25)]
    assert fake.corp.count(f"{EC}/get_groupmsg_send_result") == 3


def test_the_list_finds_a_task_by_creator_and_time_for_reconciliation(fake, channel):
    _seed(fake, 2)
    fake.corp.clock = lambda: 1_800_000_000.0
    mine = channel.add_msg_template("zhangsan", ["wm000"], text="a")
    fake.corp.add_contact("wmL", follows={"lisi": {}})
    channel.add_msg_template("lisi", ["wmL"], text="b")
    page = channel.get_groupmsg_list(start_time=1_800_000_000 - 60, end_time=1_800_000_060, creator="zhangsan")
    assert [m.msgid for m in page.items] == [mine.msgid]
    assert page.items[0].text == {"content": "a"}
    with pytest.raises(InvalidInput):
        channel.get_groupmsg_list(start_time=1, end_time=40 * 86400)


def test_limits_are_checked_before_the_call_and_by_wecom(fake, channel):
    _seed(fake, 1)
    with pytest.raises(InvalidInput) as raised:
        channel.add_msg_template("zhangsan", [f"wm{i}" for i in range(10_001)], text="x")
    assert raised.value.field == "external_userid"
    with pytest.raises(ValueError):
        channel.add_msg_template("zhangsan", ["wm000"], text="长" * 2000)  # 6,000 bytes
    assert fake.corp.count(f"{EC}/add_msg_template") == 0
    assert _raw(fake, f"{EC}/add_msg_template", {"sender": "zhangsan", "external_userid": ["wm000"] * 10_001,
                                                 "text": {"content": "x"}})["errcode"] == 40058
    assert _raw(fake, f"{EC}/add_msg_template", {"sender": "zhangsan", "external_userid": ["wm000"]})["errcode"] == 40058
    assert _raw(fake, f"{EC}/add_msg_template", {"sender": "zhangsan", "external_userid": ["wm000"], "text": {"content": "x"},
                                                 "attachments": [{"msgtype": "voice"}]})["errcode"] == 41065
    with pytest.raises(e.WeComInvalidUserId):
        channel.add_msg_template("ghost", ["wm000"], text="x")
    with pytest.raises(e.WeComNoCustomerToSend):
        channel.add_msg_template("zhangsan", ["wm-nobody"], text="x")


def test_reminders_are_limited_to_three_a_day_and_a_cancelled_task_is_never_sent(fake, channel):
    _seed(fake, 1)
    now = [1_800_000_000.0]
    fake.corp.clock = lambda: now[0]
    fake.corp.mass_confirm_seconds = None
    created = channel.add_msg_template("zhangsan", ["wm000"], text="hi")
    for _ in range(3):
        channel.remind_groupmsg_send(created.msgid)
    with pytest.raises(e.WeComInvalidInput):
        channel.remind_groupmsg_send(created.msgid)
    now[0] += 86_401
    channel.remind_groupmsg_send(created.msgid)
    channel.cancel_groupmsg_send(created.msgid)
    confirm_mass_message(fake.corp, created.msgid)
    assert channel.get_groupmsg_task(created.msgid).items[0].status == 0
    assert channel.get_groupmsg_send_result(created.msgid, "zhangsan").items[0].status == 0
    with pytest.raises(e.WeComInvalidInput):
        channel.get_groupmsg_task("msg-unknown")


def test_a_timed_out_add_msg_template_is_not_repeated(fake, connect_http):
    from tests.channels.conftest import SLOW_FAKE_TIMEOUT

    _seed(fake, 1)
    channel = connect_http(retry=SLOW_FAKE_TIMEOUT)
    channel.follow_users()  # token fetched first
    fake.corp.faults.slow(0.5, times=1)
    with pytest.raises(e.WeComError) as raised:
        channel.add_msg_template("zhangsan", ["wm000"], text="hi")
    assert raised.value.code == "wecom.timeout_not_repeated"
    assert fake.corp.count(f"{EC}/add_msg_template") == 1  # reached WeCom once: the caller must reconcile
