"""The WeCom sync over real HTTP against the fake WeCom: a full run, a resume after a fault
mid-way, an incremental run after changes in WeCom, corp tags both ways, and the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from siyu.domain.access import Role
from siyu.domain.customers import CustomerRecord, RelationState
from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKey, IdentityKind, IdentitySource
from siyu.domain.paging import PageRequest
from siyu.domain.timeline import EventKind
from siyu.domain.wecom_sync import SyncStatus
from siyu.services import customers, oneid, tags, tokens, wecom_sync
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import link

BATCH = "/cgi-bin/externalcontact/batch/get_by_user"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _seed_tags(fake: FakeWeCom) -> None:
    fake.corp.tag_groups["etG1"] = {"group_id": "etG1", "group_name": "兴趣", "order": 0, "create_time": 0, "deleted": False,
                                    "tag": [{"id": "etT1", "name": "咖啡", "order": 0, "create_time": 0, "deleted": False},
                                            {"id": "etT2", "name": "茶", "order": 0, "create_time": 0, "deleted": False}]}


def _seed_contacts(fake: FakeWeCom, userid: str, n: int, *, start: int = 0) -> None:
    for i in range(start, start + n):
        fake.corp.add_contact(f"wm{i:05d}", name=f"客户{i}", unionid=f"o-union-{i}" if i % 2 == 0 else "", gender=1 + i % 2,
                              follows={userid: {"state": "tmall" if i % 3 == 0 else "", "add_way": 1 + i % 3, "remark": f"备注{i}",
                                                "description": "老客", "createtime": 1_700_000_000 + i,
                                                "tag_ids": ["etT1"] if i % 5 == 0 else []}})


def _customer_of(context, tenant_id, external):
    key = IdentityKey(IdentityKind.WECOM_EXTERNAL, external)
    with context.uow() as uow:
        return uow.identities.owners(tenant_id, [key]).get(key)


def _sync(context, linked, *, full: bool):
    run = wecom_sync.start_sync(context.uow(), linked.admin, full=full)
    return wecom_sync.run_sync(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, run.id)


@contextmanager
def _statements(context) -> Iterator[list[tuple[str, bool]]]:
    """Every statement the engine runs meanwhile, with whether it ran as an executemany."""
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, ctx, executemany):  # noqa: ANN001
        seen.append((" ".join(statement.split()), executemany))

    event.listen(context.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(context.engine, "before_cursor_execute", record)


def _tags_of(context, linked, customer_id):
    return {(a.tag.group_name, a.tag.name): a.source for a in customers.get_customer(context.uow(), linked.admin, customer_id).tags}


def test_a_full_sync_brings_staff_customers_relations_tags_and_groups(context, fake):
    linked = link(context, fake)
    other = f.member(context, linked.admin, store_id=linked.staff.store_id)
    fake.corp.add_user(other.wecom_userid)
    fake.corp.add_user("uStranger")
    _seed_tags(fake)
    _seed_contacts(fake, linked.staff.wecom_userid, 150)
    fake.corp.follow("wm00001", other.wecom_userid, remark="同事的客户", add_way=2)
    fake.corp.add_contact("wmOnlyStranger", follows={"uStranger": {}})
    fake.corp.group_chats["wrC1"] = {"chat_id": "wrC1", "name": "咖啡群", "owner": linked.staff.wecom_userid, "create_time": 1_700_000_000,
                                     "notice": "", "status": 0, "admin_list": [],
                                     "member_list": [{"userid": linked.staff.wecom_userid, "type": 1},
                                                     {"userid": "wm00000", "type": 2}, {"userid": "wm00002", "type": 2}]}
    with context.uow() as uow:  # a customer Siyu knew already (from the API), by unionid
        known = oneid.resolve(uow, linked.tenant.id, CustomerRecord(keys=(IdentityKey.parse(IdentityKind.UNIONID, "o-union-4"),)),
                              source=IdentitySource.API, actor="test", now=utcnow())
        uow.commit()

    run = _sync(context, linked, full=True)

    assert run.status is SyncStatus.DONE and run.error is None
    assert run.unknown_userids == ["uStranger"] and run.count("staff_synced") == 2
    assert run.count("customers_created") == 149 and run.count("relations_created") == 151
    assert run.count("corp_tags_imported") == 2 and run.count("tags_added") == 30 and run.count("groups_created") == 1
    assert fake.corp.count(BATCH) == 2  # 151 relations of 2 staff: one chunk, two pages of 100
    assert _customer_of(context, linked.tenant.id, "wmOnlyStranger") is None
    assert _customer_of(context, linked.tenant.id, "wm00004") == known.customer_id  # joined through OneID's unionid

    detail = customers.get_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wm00000"))
    assert detail.customer.name == "客户0"
    assert {(i.kind, i.value) for i in detail.identities} == {(IdentityKind.WECOM_EXTERNAL, "wm00000"), (IdentityKind.UNIONID, "o-union-0")}
    [relation] = [r.relation for r in detail.relations]
    assert (relation.state, relation.remark, relation.description, relation.channel_state, relation.add_way) == (
        RelationState.ACTIVE, "备注0", "老客", "tmall", 1)
    assert int(relation.added_at.timestamp()) == 1_700_000_000
    assert _tags_of(context, linked, detail.customer.id) == {("兴趣", "咖啡"): "wecom_sync"}
    shared = customers.get_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wm00001"))
    assert {(r.relation.staff_id, r.relation.remark) for r in shared.relations} == {(linked.staff.id, "备注1"), (other.id, "同事的客户")}
    with context.uow() as uow:
        [group] = uow.wecom_sync.group_chats(linked.tenant.id, PageRequest()).items
    assert (group["name"], group["owner_staff_id"], group["members"], group["external_members"]) == ("咖啡群", linked.staff.id, 3, 2)


def test_a_run_interrupted_mid_way_resumes_where_it_stopped(context, fake):
    linked = link(context, fake)
    _seed_contacts(fake, linked.staff.wecom_userid, 250)
    # follow_user_list, get_corp_tag_list, the first page go through; then WeCom answers 502 past the client's retries
    fake.corp.faults.server_errors(times=2, after=3)

    first = _sync(context, linked, full=True)
    assert first.status is SyncStatus.INTERRUPTED and first.error
    assert first.position == {"step": "customers", "chunk": 0, "cursor": "100"} and first.count("customers_created") == 100

    again = wecom_sync.start_sync(context.uow(), linked.admin, full=True)
    assert again.id == first.id  # the unfinished run is resumed, not doubled
    done = wecom_sync.run_sync(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, again.id)
    assert done.status is SyncStatus.DONE and done.error is None
    assert done.count("customers_created") == 250 and done.count("relations_created") == 250
    cursors = [body.get("cursor") for path, body in fake.corp.calls if path == BATCH]
    assert cursors == ["", "100", "100", "100", "200"]  # page 1 once, page 2 failed twice then read, page 3
    keys = [IdentityKey(IdentityKind.WECOM_EXTERNAL, f"wm{i:05d}") for i in range(250)]
    with context.uow() as uow:
        assert len(set(uow.identities.owners(linked.tenant.id, keys).values())) == 250  # each customer once
    assert all(_customer_of(context, linked.tenant.id, f"wm{i:05d}") for i in (0, 99, 100, 249))


def test_an_incremental_run_writes_only_what_changed_in_wecom(context, fake):
    linked = link(context, fake)
    _seed_tags(fake)
    _seed_contacts(fake, linked.staff.wecom_userid, 20)
    first = _sync(context, linked, full=True)
    assert first.count("customers_created") == 20

    me = linked.staff.wecom_userid
    fake.corp.follows["wm00003"][me]["remark"] = "改过的备注"
    fake.corp.follows["wm00007"][me]["tag_ids"] = ["etT2"]
    del fake.corp.follows["wm00009"][me]  # the staff member deleted the customer while no callback came through
    _seed_contacts(fake, me, 1, start=20)

    run = _sync(context, linked, full=False)
    assert run.status is SyncStatus.DONE
    assert run.count("customers_created") == 1 and run.count("relations_created") == 1
    assert run.count("relations_updated") == 1 and run.count("relations_ended") == 1
    assert run.count("relations_unchanged") == 17  # 20 - remark - tag - deleted: skipped, nothing written
    assert run.count("customers_updated") == 2 and run.count("customers_unchanged") == 0  # re-read: their relation changed
    assert run.count("tags_added") == 2 and run.count("tags_removed") == 0  # 茶 on wm00007, 咖啡 on the new wm00020

    changed = customers.get_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wm00003"))
    assert changed.relations[0].relation.remark == "改过的备注"
    assert ("兴趣", "茶") in _tags_of(context, linked, _customer_of(context, linked.tenant.id, "wm00007"))
    gone_id = _customer_of(context, linked.tenant.id, "wm00009")
    gone = customers.get_customer(context.uow(), linked.admin, gone_id)
    assert gone.relations[0].relation.state is RelationState.ENDED and gone.relations[0].relation.ended_at is not None
    assert EventKind.RELATION_CHANGED in [e.kind for e in customers.timeline(context.uow(), linked.admin, gone_id).items]

    quiet = _sync(context, linked, full=False)  # nothing changed since: nothing written
    assert quiet.count("relations_unchanged") == 20
    assert sum(quiet.count(k) for k in ("customers_created", "customers_updated", "relations_updated", "relations_ended",
                                         "tags_added", "tags_removed", "tags_pushed")) == 0


def test_corp_tags_go_both_ways(context, fake):
    linked = link(context, fake)
    _seed_tags(fake)
    _seed_contacts(fake, linked.staff.wecom_userid, 3)
    _sync(context, linked, full=True)
    customer_id = _customer_of(context, linked.tenant.id, "wm00001")
    with context.uow() as uow:  # tagged in Siyu, in a group WeCom does not have
        gold = tags.ensure_tag(uow, linked.tenant.id, "会员等级", "金卡")
        uow.commit()
    tags.apply_tags(context.uow(), linked.admin, [customer_id], [gold.id])
    fake.corp.follows["wm00000"][linked.staff.wecom_userid]["tag_ids"] = []  # removed in WeCom

    run = _sync(context, linked, full=False)

    assert run.count("corp_tags_exported") == 1 and run.count("tags_pushed") == 1 and run.count("tags_removed") == 1
    [group] = [g for g in fake.corp.tag_groups.values() if g["group_name"] == "会员等级"]
    [wecom_gold] = [t["id"] for t in group["tag"] if t["name"] == "金卡"]
    assert fake.corp.follows["wm00001"][linked.staff.wecom_userid]["tag_ids"] == [wecom_gold]  # mark_tag
    assert _tags_of(context, linked, customer_id) == {("会员等级", "金卡"): "manual"}
    assert _tags_of(context, linked, _customer_of(context, linked.tenant.id, "wm00000")) == {}
    assert _sync(context, linked, full=False).count("tags_pushed") == 0  # once is enough


def test_the_api_starts_a_run_and_shows_it(context, client, fake):
    linked = link(context, fake)
    _seed_contacts(fake, linked.staff.wecom_userid, 5)
    admin = tokens.create_api_token(context.uow(), linked.admin, name=f"t{f.uid()}", role=Role.ADMIN)
    operator = tokens.create_api_token(context.uow(), linked.admin, name=f"t{f.uid()}", role=Role.OPERATOR)  # no wecom.manage

    assert client.post("/api/v1/wecom/syncs", json={}, headers={"Authorization": f"Bearer {operator.secret}"}).status_code == 403
    response = client.post("/api/v1/wecom/syncs", json={"full": True}, headers={"Authorization": f"Bearer {admin.secret}"})
    assert response.status_code == 202
    location = response.headers["Location"]
    shown = client.get(location, headers={"Authorization": f"Bearer {admin.secret}"}).json()
    assert shown["status"] == "done" and shown["counts"]["customers_created"] == 5 and shown["step"] == "done"
    listed = client.get("/api/v1/wecom/syncs", headers={"Authorization": f"Bearer {admin.secret}"}).json()
    assert [r["id"] for r in listed["items"]] == [shown["id"]]
    assert client.get("/api/v1/wecom/syncs/999999", headers={"Authorization": f"Bearer {admin.secret}"}).status_code == 404


def test_a_sync_needs_wecom_settings(context):
    _, admin = f.tenant(context)
    with pytest.raises(InvalidInput) as error:
        wecom_sync.start_sync(context.uow(), admin, full=False)
    assert error.value.code == "wecom_sync.not_linked"


def test_a_full_sync_writes_by_the_page_not_by_the_customer(context, fake):
    linked = link(context, fake)
    other = f.member(context, linked.admin, store_id=linked.staff.store_id)
    fake.corp.add_user(other.wecom_userid)
    _seed_contacts(fake, linked.staff.wecom_userid, 450)  # 451 relations, 100 a page: 5 pages
    fake.corp.follow("wm00449", other.wecom_userid, remark="同事的客户", createtime=1_600_000_000)  # on the same page, earlier

    with _statements(context) as first:
        run = _sync(context, linked, full=True)
    assert run.status is SyncStatus.DONE and run.count("relations_created") == 451
    assert run.count("customers_created") == 450  # wm00449, followed twice on one page, is one new customer
    # each new customer is known since its relation's createtime (the earliest of two on its page)
    # and owned by its first follower: both in the insert, no UPDATE of customers at all
    assert not [s for s, _ in first if s.startswith("UPDATE customers")]
    with context.uow() as uow:
        for external, at in (("wm00000", 1_700_000_000), ("wm00399", 1_700_000_399), ("wm00449", 1_600_000_000)):
            customer = uow.customers.get_any(linked.tenant.id, _customer_of(context, linked.tenant.id, external))
            assert int(customer.added_at.timestamp()) == at and customer.owner_staff_id == linked.staff.id
    # PostgreSQL's statistics of what a page writes, refreshed after pages 1, 2 and 4 of 5 (SQLite needs none)
    analyzed = [s for s, _ in first if s.startswith("ANALYZE")]
    postgresql = context.engine.dialect.name == "postgresql"
    assert len(analyzed) == (3 * 5 if postgresql else 0) and analyzed.count('ANALYZE "customers"') == (3 if postgresql else 0)

    fake.corp.follows["wm00003"][linked.staff.wecom_userid]["remark"] = "改过的备注"
    with _statements(context) as again:
        rerun = _sync(context, linked, full=True)
    assert rerun.count("relations_updated") == 1 and rerun.count("customers_created") == 0
    # 451 relations stamped, one changed: a statement per page and set of columns (executemany), not one per relation
    stamped = [s for s, _ in again if s.startswith("UPDATE staff_relations SET")]
    assert 5 <= len(stamped) <= 2 * 5
    detail = customers.get_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wm00003"))
    assert detail.relations[0].relation.remark == "改过的备注"
    with context.uow() as uow:
        assert not uow.wecom_sync.unseen_active(linked.tenant.id, rerun.id, [linked.staff.id, other.id], limit=10)

    with _statements(context) as quiet:  # an incremental run that writes nothing but the marks: no ANALYZE
        assert _sync(context, linked, full=False).count("relations_unchanged") == 451
    assert not [s for s, _ in quiet if s.startswith("ANALYZE")]
