"""WeCom's tag and customer-group callbacks through the callback endpoint, against the fake WeCom
(SQLite and PostgreSQL): deletes and dismissals applied at once, creates and updates read back
from WeCom by the queued fetch, and every replay changing nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from siyu.adapters.db.tables import tag_groups, tags, wecom_group_chats
from siyu.services import tags as tag_service
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import link

TAG_EVENT, CHAT_EVENT = "change_external_tag", "change_external_chat"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _corp_tags(context, tenant_id):  # type: ignore[no-untyped-def]
    """{(group name, WeCom group id): {(tag name, WeCom tag id)}} in Siyu."""
    t, g = tags.c, tag_groups.c
    with context.uow() as uow:
        found: dict[tuple[str, str | None], set[tuple[str, str | None]]] = {}
        for group in uow.session.execute(select(g.id, g.name, g.wecom_group_id).where(g.tenant_id == tenant_id)):
            found[(group.name, group.wecom_group_id)] = {(r.name, r.wecom_tag_id) for r in uow.session.execute(
                select(t.name, t.wecom_tag_id).where(t.tenant_id == tenant_id, t.group_id == group.id))}
        return found


def _chat(context, tenant_id, chat_id):  # type: ignore[no-untyped-def]
    c = wecom_group_chats.c
    with context.uow() as uow:
        return uow.session.execute(select(c.name, c.owner_staff_id, c.members, c.external_members, c.dismissed_at)
                                   .where(c.tenant_id == tenant_id, c.chat_id == chat_id)).one_or_none()


def _group(fake, group_id, name, *tags_):  # type: ignore[no-untyped-def]
    fake.corp.tag_groups[group_id] = {"group_id": group_id, "group_name": name, "order": 0, "create_time": 1, "deleted": False,
                                      "tag": [{"id": i, "name": n, "order": 0, "create_time": 1, "deleted": False} for i, n in tags_]}


def test_a_tag_created_renamed_and_deleted_in_wecom_follows_in_siyu(context, client, fake):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    _group(fake, "etG1", "兴趣", ("etVIP", "VIP"))
    created = linked.xml(TAG_EVENT, "create", Id="etVIP", TagType="tag", create_time=1_800_000_000)
    for _ in range(2):  # WeCom's retry: fetched once
        assert linked.send(client, created).text == "success"
    assert _corp_tags(context, linked.tenant.id) == {("兴趣", "etG1"): {("VIP", "etVIP")}}
    assert fake.corp.count("/cgi-bin/externalcontact/get_corp_tag_list") == 1

    fake.corp.tag_groups["etG1"]["tag"][0]["name"] = "VIP会员"
    linked.send(client, linked.xml(TAG_EVENT, "update", Id="etVIP", TagType="tag", create_time=1_800_000_100))
    assert _corp_tags(context, linked.tenant.id) == {("兴趣", "etG1"): {("VIP会员", "etVIP")}}

    customer = f.customers_of(context, linked.admin, 1)[0]
    [tag_id] = [t.id for t in tag_service.list_tags(context.uow(), linked.admin) if t.name == "VIP会员"]
    tag_service.apply_tags(context.uow(), linked.admin, [customer.id], [tag_id])
    with context.uow() as uow:
        assert [a.tag.id for a in uow.tags.applied(linked.tenant.id, customer.id)] == [tag_id]
    fake.corp.tag_groups["etG1"]["tag"] = []
    deleted = linked.xml(TAG_EVENT, "delete", Id="etVIP", TagType="tag", create_time=1_800_000_200)
    for _ in range(2):
        assert linked.send(client, deleted).text == "success"
    assert _corp_tags(context, linked.tenant.id) == {("兴趣", "etG1"): set()}
    with context.uow() as uow:
        assert uow.tags.applied(linked.tenant.id, customer.id) == []


def test_a_tag_group_is_read_whole_and_deleted_with_its_tags(context, client, fake):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    _group(fake, "etG2", "肤质", ("etDry", "干皮"), ("etOily", "油皮"))
    linked.send(client, linked.xml(TAG_EVENT, "create", Id="etG2", TagType="tag_group", create_time=1_800_000_000))
    assert _corp_tags(context, linked.tenant.id) == {("肤质", "etG2"): {("干皮", "etDry"), ("油皮", "etOily")}}
    fake.corp.tag_groups["etG2"]["group_name"] = "肤质类型"
    fake.corp.tag_groups["etG2"]["tag"].pop()  # gone from WeCom: the group update no longer lists it
    linked.send(client, linked.xml(TAG_EVENT, "update", Id="etG2", TagType="tag_group", create_time=1_800_000_100))
    linked.send(client, linked.xml(TAG_EVENT, "shuffle", Id="etG2", TagType="tag_group", create_time=1_800_000_150))
    assert _corp_tags(context, linked.tenant.id) == {("肤质类型", "etG2"): {("干皮", "etDry")}}
    for _ in range(2):
        linked.send(client, linked.xml(TAG_EVENT, "delete", Id="etG2", TagType="tag_group", create_time=1_800_000_200))
    assert _corp_tags(context, linked.tenant.id) == {}


def test_a_group_chat_is_added_updated_and_marked_dismissed(context, client, fake):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    members = [{"userid": linked.staff.wecom_userid, "type": 1, "join_time": 1, "join_scene": 1},
               {"userid": "wmA", "type": 2, "join_time": 1, "join_scene": 3}]
    fake.corp.group_chats["wrG1"] = {"chat_id": "wrG1", "name": "会员群", "owner": linked.staff.wecom_userid, "status": 0,
                                     "create_time": 1_800_000_000, "notice": "", "admin_list": [], "member_list": members}
    for _ in range(2):
        linked.send(client, linked.xml(CHAT_EVENT, "create", ChatId="wrG1", create_time=1_800_000_000))
    assert tuple(_chat(context, linked.tenant.id, "wrG1")) == ("会员群", linked.staff.id, 2, 1, None)
    members.append({"userid": "wmB", "type": 2, "join_time": 2, "join_scene": 3})
    linked.send(client, linked.xml(CHAT_EVENT, "update", ChatId="wrG1", UpdateDetail="add_member", JoinScene="3",
                                   MemChangeCnt="1", create_time=1_800_000_100))
    fake.corp.group_chats["wrG1"]["name"] = "VIP会员群"
    linked.send(client, linked.xml(CHAT_EVENT, "update", ChatId="wrG1", UpdateDetail="change_name", create_time=1_800_000_200))
    assert tuple(_chat(context, linked.tenant.id, "wrG1"))[:4] == ("VIP会员群", linked.staff.id, 3, 2)
    dismissed = linked.xml(CHAT_EVENT, "dismiss", ChatId="wrG1", create_time=1_800_000_300)
    for _ in range(2):
        linked.send(client, dismissed)
    row = _chat(context, linked.tenant.id, "wrG1")
    assert row.dismissed_at is not None and int(row.dismissed_at.timestamp()) == 1_800_000_300
    fetched = fake.corp.count("/cgi-bin/externalcontact/groupchat/get")
    linked.send(client, linked.xml(CHAT_EVENT, "update", ChatId="wrG1", UpdateDetail="del_member", create_time=1_800_000_250))
    assert fake.corp.count("/cgi-bin/externalcontact/groupchat/get") == fetched  # a dismissed group is not read again
    assert tuple(_chat(context, linked.tenant.id, "wrG1"))[:4] == ("VIP会员群", linked.staff.id, 3, 2)
