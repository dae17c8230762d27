"""The search index follows every write: after each kind of change, the search box finds
exactly what the documented rules (the Oracle of test_customer_list_queries) find on the
tables themselves. On SQLite the index is an FTS5 table kept by triggers, so a write path that
forgot it would show here; on PostgreSQL the pg_trgm indexes are ordinary indexes."""

from __future__ import annotations

import io

from sqlalchemy import select, text

from siyu.adapters.db.repositories import customer_search
from siyu.domain.access import Actor, Role, Scope
from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.identities import IdentityKey
from siyu.domain.paging import PageRequest
from siyu.services import customers, exports, imports, merging, relations
from siyu.services.customers import CustomerFilter
from siyu.services.clock import utcnow
from tests import factories as f
from tests.integration.test_customer_list_queries import Oracle


def found(context, tenant_id: int, q: str) -> list[int]:  # type: ignore[no-untyped-def]
    with context.uow() as uow:
        return [c.id for c in uow.customers.list(Scope(tenant_id), CustomerFilter(q=q), PageRequest(page_size=200)).items]


def assert_search_agrees(context, tenant_id: int, *texts: str) -> None:  # type: ignore[no-untyped-def]
    oracle = Oracle(context, tenant_id)
    for q in texts:
        assert found(context, tenant_id, q) == oracle.select(Scope(tenant_id), CustomerFilter(q=q)), q


def test_the_search_index_follows_every_write_path(context, tmp_path):
    _, admin = f.tenant(context)
    t = admin.tenant_id
    store = f.store(context, admin)
    guide = f.member(context, admin, store_id=store.id)
    first = customers.create_customer(context.uow(), admin, CustomerRecord(
        keys=(IdentityKey.parse("phone", "13912345678"), IdentityKey.parse("member_no", "VIP-20931")), profile=Profile(name="郝娜静")))
    second = customers.create_customer(context.uow(), admin, CustomerRecord(
        keys=(IdentityKey.parse("unionid", "oUnionAbcdef123"),), profile=Profile(name="快乐每一天")))
    texts = ("郝娜静", "娜静", "郝娜", "5678", "20931", "vip-2", "快乐每", "每一天", "oUnionAbcdef123", "Abcdef", "新名字", "张老板", "0931")
    assert_search_agrees(context, t, *texts)
    assert found(context, t, "5678") == [first.customer_id] and found(context, t, "每一天") == [second.customer_id]

    customers.update_profile(context.uow(), admin, first.customer_id, Profile(name="新名字"))  # renamed
    customers.add_identity(context.uow(), admin, second.customer_id, IdentityKey.parse("member_no", "VIP-40931"))  # identity added
    with context.uow() as uow:  # a relation with a remark, then the remark changed (as a WeCom sync writes it)
        uow.relations.add(t, second.customer_id, guide.id, added_at=utcnow(), remark="张老板 常客")
        uow.commit()
    assert_search_agrees(context, t, *texts)
    assert found(context, t, "郝娜静") == [] and found(context, t, "新名字") == [first.customer_id]
    assert found(context, t, "张老板") == [second.customer_id] and found(context, t, "0931") == [second.customer_id, first.customer_id]
    with context.uow() as uow:
        relation = uow.relations.find(t, second.customer_id, guide.id)
        assert relation is not None
        uow.relations.update(t, relation.id, remark="李总")
        uow.commit()
    assert found(context, t, "张老板") == [] and found(context, t, "李总") == [second.customer_id]

    record = merging.merge_customers(context.uow(), admin, first.customer_id, second.customer_id)  # identities and relations move
    survivor = record.survivor_id
    assert_search_agrees(context, t, *texts, "李总")
    assert found(context, t, "5678") == [survivor] and found(context, t, "李总") == [survivor]
    merging.undo_merge(context.uow(), admin, record.id)  # and move back
    assert_search_agrees(context, t, *texts, "李总")
    assert found(context, t, "5678") == [first.customer_id] and found(context, t, "李总") == [second.customer_id]

    path = tmp_path / "customers.csv"  # imports: a new customer, and a known one renamed by its phone
    path.write_text("姓名,手机,会员号\n钱多多,13700001111,M-7788\n郝娜静,13912345678,\n", encoding="utf-8")
    imports.import_customers(context.uow(), admin, path)
    assert_search_agrees(context, t, *texts, "钱多多", "7788", "1111")
    assert found(context, t, "郝娜静") == [first.customer_id]


def test_roles_shown_masked_phones_find_a_phone_by_its_whole_number_only(context):
    _, admin = f.tenant(context)
    store = f.store(context, admin)
    guide = f.member(context, admin, store_id=store.id)
    made = customers.create_customer(context.uow(), admin, CustomerRecord(
        keys=(IdentityKey.parse("phone", "13912345678"),), profile=Profile(name="郝娜静"))).customer_id
    with context.uow() as uow:
        relations.follow_in(uow, admin.tenant_id, made, guide.id, at=utcnow(), actor="test")
        uow.commit()
    guide_actor = Actor(tenant_id=admin.tenant_id, role=Role.GUIDE, staff_id=guide.id, store_id=store.id)

    def ids(actor: Actor, q: str) -> list[int]:
        return [row.customer.id for row in customers.list_customers(context.uow(), actor, CustomerFilter(q=q)).items]

    assert ids(admin, "1234") == [made] and ids(guide_actor, "1234") == []  # the masked middle digits stay hidden
    assert ids(guide_actor, "13912345678") == [made] and ids(guide_actor, "+86 139-1234-5678") == [made]
    assert ids(guide_actor, "娜静") == [] and ids(guide_actor, "郝娜") == [made]  # short texts: from the start
    out = io.BytesIO()
    assert exports.export_customers(context.uow(), guide_actor, CustomerFilter(q="1234"), out, fmt=exports.SheetFormat.CSV) == 0
    assert exports.export_customers(context.uow(), admin, CustomerFilter(q="1234"), out, fmt=exports.SheetFormat.CSV) == 1


def test_the_search_is_exact_before_the_commit_brings_the_index_up_to_date(context):
    """Inside a unit of work, the rows written since the last commit are read from their tables."""
    _, admin = f.tenant(context)
    made = customers.create_customer(context.uow(), admin, CustomerRecord(
        keys=(IdentityKey.parse("phone", "13912345678"),), profile=Profile(name="郝娜静"))).customer_id
    with context.uow() as uow:
        uow.customers.update(admin.tenant_id, made, now=utcnow(), name="钱多多")
        uow.identities.add(admin.tenant_id, made, [IdentityKey.parse("member_no", "VIP-777")], source="manual", now=utcnow())

        def ids(q: str) -> list[int]:
            return [c.id for c in uow.customers.list(Scope(admin.tenant_id), CustomerFilter(q=q), PageRequest()).items]

        assert ids("郝娜静") == [] and ids("钱多多") == [made] and ids("P-77") == [made] and ids("5678") == [made]
        uow.commit()
    assert found(context, admin.tenant_id, "郝娜静") == [] and found(context, admin.tenant_id, "P-77") == [made]
    with context.session_factory() as session:  # the commit emptied the notes (SQLite; PostgreSQL keeps none)
        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(select(customer_search.pending.c.id)).first() is None


def test_the_search_triggers_are_there_at_the_head_migration(context):
    """A later SQLite batch migration that recreates customers, customer_identities or
    staff_relations (copy, drop, rename) drops their triggers with them: it must make them
    again (migration 0009's _sqlite_triggers), or the index would silently fall behind."""
    with context.session_factory() as session:
        if session.get_bind().dialect.name != "sqlite":
            return  # PostgreSQL: the pg_trgm indexes are ordinary indexes, kept by alembic's table operations
        counts = session.execute(text("SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'trigger' "
                                      "AND name LIKE 'customer_search_%' GROUP BY tbl_name")).all()
    assert dict(counts) == {"customers": 3, "customer_identities": 3, "staff_relations": 3}  # insert, update, delete
