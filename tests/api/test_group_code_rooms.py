"""Rooms WeCom makes for a group code (auto_create_room) adopted into the code's pool on their
create callback, on SQLite and PostgreSQL: by a member's join-way state through the callback
endpoint and the sandbox's room making, by name and owner, and left alone when ambiguous, when
the pool is full, or when the callback is not a create."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from siyu.adapters.channels.sandbox.join_ways import add_group_chat, simulate_join
from siyu.domain.channels import ChannelDraft
from siyu.domain.group_codes import POOL_MAX, GroupCodeDraft
from siyu.services import channels, group_codes, wecom_chat_events
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import link


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _groups(context, linked, fake, members: dict[str, int], *, owner: str | None = None) -> None:
    owner = owner or linked.staff.wecom_userid
    with context.uow() as uow:
        for chat_id, count in members.items():
            add_group_chat(fake.corp, chat_id, owner=owner, name=f"粉丝群{chat_id}", members=count)
            uow.wecom_sync.add_group_chat(linked.tenant.id, chat_id=chat_id, name=f"粉丝群{chat_id}", owner_userid=owner,
                                          owner_staff_id=linked.staff.id if owner == linked.staff.wecom_userid else None, status=0,
                                          members=count, external_members=count - 1, fingerprint="-", synced_at=utcnow())
        uow.commit()


def _create(context, linked, pool, **extra):
    channel = channels.create_channel(context.uow(), linked.admin, ChannelDraft.parse(name=f"渠道{f.uid(4)}", state=f"ch{f.uid(6)}"))
    draft = GroupCodeDraft.parse(channel_id=channel.id, name="会员福利群码", state=f"g{f.uid(8)}", chat_ids=pool,
                                 auto_create_room=True, room_base_name=extra.pop("base", "会员福利群"), **extra)
    return group_codes.create_group_code(context.uow(), context.secret_box, context.wecom_channel, linked.admin, draft)


def _get(context, linked, code):
    return group_codes.get_group_code(context.uow(), linked.admin, code.id)


def _fetch(context, linked, chat_id: str, *, created: bool = True) -> str:
    return wecom_chat_events.fetch_chat_change(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, chat_id,
                                               created=created)


def _room(fake, chat_id: str, name: str, owner: str, *, state: str = "") -> None:
    add_group_chat(fake.corp, chat_id, owner=owner, name=name, members=1)
    fake.corp.group_chats[chat_id]["member_list"].append({"userid": f"wm{chat_id}", "type": 2, "join_scene": 3, "state": state})


def test_a_room_wecom_made_is_adopted_by_its_members_state_and_listed(context, client, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 200, "wrB": 200})
    code = _create(context, linked, ["wrA", "wrB"], room_base_id=3)
    assert code.exhausted_at is not None and code.live_chat_ids == ("wrA", "wrB")
    made = simulate_join(fake.corp, random.Random(1), now=1_800_000_000.0)  # both full: the sandbox makes 会员福利群3
    assert made["ChangeType"] == "create" and fake.corp.group_chats[made["ChatId"]]["name"] == "会员福利群3"
    created = linked.xml("change_external_chat", made.pop("ChangeType"), create_time=1_800_000_000, **made)
    assert linked.send(client, created).text == "success"
    code = _get(context, linked, code)
    assert code.chat_ids == ("wrA", "wrB", made["ChatId"]) and code.live_chat_ids == (made["ChatId"],)
    assert code.exhausted_at is None and fake.corp.join_ways[code.config_id]["chat_id_list"] == [made["ChatId"]]
    pool = {p.chat_id: p for p in group_codes.pool_of(context.uow(), linked.admin, code)}
    assert (pool[made["ChatId"]].name, pool[made["ChatId"]].members, pool[made["ChatId"]].live) == ("会员福利群3", 2, True)
    linked.send(client, created)  # WeCom's retry: the room is in the pool once
    assert _get(context, linked, code).chat_ids == ("wrA", "wrB", made["ChatId"])
    assert _fetch(context, linked, made["ChatId"]).endswith(f"already in the pool of group code {code.id}")
    joined = simulate_join(fake.corp, random.Random(2), now=1_800_000_001.0)  # the next customer goes into the listed room
    assert joined["ChatId"] == made["ChatId"] and joined["ChangeType"] == "update"
    linked.send(client, linked.xml("change_external_chat", joined.pop("ChangeType"), create_time=1_800_000_001, **joined))
    assert group_codes.joins(context.uow(), linked.admin, [code.id]) == {code.id: 1}


def test_without_a_state_a_room_is_adopted_by_name_and_owner_only(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 200})
    code = _create(context, linked, ["wrA"], room_base_id=5)
    owner = linked.staff.wecom_userid
    _room(fake, "wrLow", "会员福利群4", owner)  # under room_base_id
    _room(fake, "wrStranger", "会员福利群6", "somebody-else")  # an owner with no group in the pool
    _room(fake, "wrOther", "门店闲聊群", owner)
    for chat_id in ("wrLow", "wrStranger", "wrOther"):
        assert _fetch(context, linked, chat_id) == f"group {chat_id}: added"
    _room(fake, "wrSix", "会员福利群6", owner)
    assert _fetch(context, linked, "wrSix", created=False) == "group wrSix: added"  # an update callback adopts nothing
    _room(fake, "wrSeven", "会员福利群7", owner)
    assert _fetch(context, linked, "wrSeven") == f"group wrSeven: added; adopted by group code {code.id} (by name)"
    code = _get(context, linked, code)
    assert code.chat_ids == ("wrA", "wrSeven") and code.live_chat_ids == ("wrSeven",)
    assert fake.corp.join_ways[code.config_id]["chat_id_list"] == ["wrSeven"]


def test_a_room_two_codes_claim_is_left_alone(context, fake):
    linked = link(context, fake)
    _groups(context, linked, fake, {"wrA": 10, "wrB": 10})
    first, second = _create(context, linked, ["wrA"], room_base_id=1), _create(context, linked, ["wrB"], room_base_id=1)
    _room(fake, "wrBoth", "会员福利群2", linked.staff.wecom_userid)
    outcome = _fetch(context, linked, "wrBoth")
    assert outcome == f"group wrBoth: added; claimed by group codes {first.id}, {second.id} (by name): not adopted"
    assert _get(context, linked, first).chat_ids == ("wrA",) and _get(context, linked, second).chat_ids == ("wrB",)
    _room(fake, "wrMine", "会员福利群3", linked.staff.wecom_userid, state=second.state)  # a state settles it
    assert _fetch(context, linked, "wrMine").endswith(f"adopted by group code {second.id} (by state)")
    assert _get(context, linked, second).chat_ids == ("wrB", "wrMine")


def test_a_full_pool_does_not_adopt(context, fake):
    linked = link(context, fake)
    pool = [f"wrP{i:03d}" for i in range(POOL_MAX)]
    _groups(context, linked, fake, dict.fromkeys(pool, 200))
    code = _create(context, linked, pool, room_base_id=1)
    _room(fake, "wrExtra", "会员福利群1", linked.staff.wecom_userid, state=code.state)
    assert _fetch(context, linked, "wrExtra") == f"group wrExtra: added; group code {code.id}'s pool is full ({POOL_MAX} groups): not adopted"
    assert _get(context, linked, code).chat_ids == tuple(pool)
