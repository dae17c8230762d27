"""OneID: hand-built cases of identity resolution, merging and undo."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from siyu.adapters.db.tables import customers as customers_table
from siyu.domain.customers import CustomerRecord, Profile, RelationState
from siyu.domain.errors import Conflict
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.timeline import EventKind
from siyu.services import customers, merging, oneid, relations, stages, tags
from siyu.services.clock import utcnow
from tests import factories as f

PHONE_A, PHONE_B = "13800000001", "13800000002"


def key(kind: str, value: str) -> IdentityKey:
    return IdentityKey.parse(kind, value)


def record(*keys: IdentityKey, **profile) -> CustomerRecord:
    return CustomerRecord(keys=tuple(keys), profile=Profile.parse(**profile))


def create(context, admin, *keys, **profile):
    return customers.create_customer(context.uow(), admin, record(*keys, **profile))


def identities_of(context, admin, customer_id):
    return {(i.kind.value, i.value) for i in customers.get_customer(context.uow(), admin, customer_id).identities}


def live_ids(context, admin):
    return {row.customer.id for row in customers.list_customers(context.uow(), admin).items}


def test_a_new_key_creates_and_a_known_key_attaches(context):
    _, admin = f.tenant(context)
    first = create(context, admin, key("phone", "+86 138-0000-0001"), name="王芳")
    again = create(context, admin, key("phone", PHONE_A), key("unionid", "oUNION1"), name="王芳")
    assert first.created and not again.created
    assert again.customer_id == first.customer_id and again.merged_ids == ()
    assert identities_of(context, admin, first.customer_id) == {("phone", PHONE_A), ("unionid", "oUNION1")}


def test_a_chain_of_keys_becomes_one_customer(context):
    """A~B by phone, B~C by unionid: a record holding A's phone and C's unionid joins all three."""
    _, admin = f.tenant(context)
    a = create(context, admin, key("phone", PHONE_A), name="甲")
    b = create(context, admin, key("phone", PHONE_A), key("member_no", "M1"))  # attaches to A
    c = create(context, admin, key("unionid", "oUNION9"), name="丙")
    assert b.customer_id == a.customer_id and c.customer_id != a.customer_id
    bridge = create(context, admin, key("member_no", "m1"), key("unionid", "oUNION9"))
    assert bridge.customer_id == a.customer_id
    assert bridge.merged_ids == (c.customer_id,)
    assert live_ids(context, admin) == {a.customer_id}
    assert identities_of(context, admin, a.customer_id) == {("phone", PHONE_A), ("member_no", "M1"), ("unionid", "oUNION9")}


def test_the_survivor_is_the_customer_known_longest_whatever_the_order(context):
    _, admin = f.tenant(context)
    older = create(context, admin, key("phone", PHONE_B), name="老客")
    newer = create(context, admin, key("openid", "oOPEN1"), name="新客")
    with context.session_factory() as session:  # make the newer id the older customer
        session.execute(
            customers_table.update().where(customers_table.c.id == newer.customer_id).values(created_at=utcnow() - timedelta(days=400))
        )
        session.commit()
    merged = create(context, admin, key("phone", PHONE_B), key("openid", "oOPEN1"))
    assert merged.customer_id == newer.customer_id and merged.merged_ids == (older.customer_id,)


def test_a_merge_moves_identities_relations_tags_and_history(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    guide_a, guide_b = f.member(context, admin, store_id=shop.id), f.member(context, admin, store_id=shop.id)
    a = create(context, admin, key("phone", PHONE_A), name="甲")
    b = create(context, admin, key("unionid", "oU2"), name="乙", region="上海")
    with context.uow() as uow:
        relations.follow_in(uow, admin.tenant_id, a.customer_id, guide_a.id, at=utcnow(), actor="test")
        relations.follow_in(uow, admin.tenant_id, b.customer_id, guide_a.id, at=utcnow(), actor="test")  # both follow: stays
        relations.follow_in(uow, admin.tenant_id, b.customer_id, guide_b.id, at=utcnow(), actor="test")
        uow.commit()
    vip = tags.create_tag(context.uow(), admin, group="会员等级", name="金卡")
    both = tags.create_tag(context.uow(), admin, group="兴趣", name="手冲")
    tags.apply_tags(context.uow(), admin, [b.customer_id], [vip.id, both.id])
    tags.apply_tags(context.uow(), admin, [a.customer_id], [both.id])

    merge = merging.merge_customers(context.uow(), admin, a.customer_id, b.customer_id)
    assert (merge.survivor_id, merge.merged_id) == (a.customer_id, b.customer_id)
    detail = customers.get_customer(context.uow(), admin, a.customer_id)
    assert {(i.kind.value, i.value) for i in detail.identities} == {("phone", PHONE_A), ("unionid", "oU2")}
    assert sorted(r.relation.staff_id for r in detail.relations) == sorted([guide_a.id, guide_b.id])
    assert {t.tag.id for t in detail.tags} == {vip.id, both.id}
    assert detail.customer.name == "甲" and detail.customer.region == "上海"  # survivor's name kept, empty region filled
    kinds = [e.kind for e in customers.timeline(context.uow(), admin, a.customer_id).items]
    assert EventKind.MERGED in kinds and kinds.count(EventKind.CREATED) == 2  # b's history came along
    assert live_ids(context, admin) == {a.customer_id}


def test_undo_puts_back_exactly_what_moved(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    guide = f.member(context, admin, store_id=shop.id)
    a = create(context, admin, key("phone", PHONE_A), name="甲")
    b = create(context, admin, key("unionid", "oU2"), name="乙", region="上海")
    with context.uow() as uow:
        relations.follow_in(uow, admin.tenant_id, b.customer_id, guide.id, at=utcnow(), actor="test")
        uow.commit()
    vip = tags.create_tag(context.uow(), admin, group="会员等级", name="金卡")
    tags.apply_tags(context.uow(), admin, [b.customer_id], [vip.id])
    before_a = identities_of(context, admin, a.customer_id)
    before_b = identities_of(context, admin, b.customer_id)

    merge = merging.merge_customers(context.uow(), admin, a.customer_id, b.customer_id)
    restored = merging.undo_merge(context.uow(), admin, merge.id)

    assert restored.id == b.customer_id and restored.merged_into_id is None
    assert identities_of(context, admin, a.customer_id) == before_a
    assert identities_of(context, admin, b.customer_id) == before_b
    a_detail = customers.get_customer(context.uow(), admin, a.customer_id)
    b_detail = customers.get_customer(context.uow(), admin, b.customer_id)
    assert a_detail.customer.region is None and a_detail.relations == [] and a_detail.tags == []
    assert [r.relation.staff_id for r in b_detail.relations] == [guide.id] and [t.tag.id for t in b_detail.tags] == [vip.id]
    assert live_ids(context, admin) == {a.customer_id, b.customer_id}
    with pytest.raises(Conflict):
        merging.undo_merge(context.uow(), admin, merge.id)


def test_undo_is_refused_while_the_survivor_is_merged_again(context):
    _, admin = f.tenant(context)
    a, b, c = (create(context, admin, key("phone", f"1380000000{i}")) for i in (1, 2, 3))
    first = merging.merge_customers(context.uow(), admin, b.customer_id, c.customer_id)  # b survives c
    merging.merge_customers(context.uow(), admin, a.customer_id, b.customer_id)  # a survives b
    with pytest.raises(Conflict, match="undo that merge first"):
        merging.undo_merge(context.uow(), admin, first.id)


def test_reimporting_after_a_merge_creates_nothing_new(context):
    _, admin = f.tenant(context)
    create(context, admin, key("phone", PHONE_A), name="甲")
    create(context, admin, key("unionid", "oU3"), name="乙")
    bridge = create(context, admin, key("phone", PHONE_A), key("unionid", "oU3"))
    again = [create(context, admin, key("phone", PHONE_A), name="甲"), create(context, admin, key("unionid", "oU3"), name="乙")]
    assert {r.customer_id for r in again} == {bridge.customer_id}
    assert not any(r.created or r.merged_ids for r in again)
    assert live_ids(context, admin) == {bridge.customer_id}


def test_resolving_the_same_record_twice_changes_nothing_the_second_time(context):
    _, admin = f.tenant(context)
    rec = record(key("phone", PHONE_A), key("email", "Wang@Example.com"), name="王", gender="女", birthday="1990-05-01")
    with context.uow() as uow:
        first = oneid.resolve(uow, admin.tenant_id, rec, source="api", actor="t", now=utcnow())
        second = oneid.resolve(uow, admin.tenant_id, rec, source="api", actor="t", now=utcnow())
        uow.commit()
    assert first.created and not second.changed and second.customer_id == first.customer_id


def test_identities_are_scoped_to_the_tenant(context):
    _, one = f.tenant(context)
    _, two = f.tenant(context)
    a = create(context, one, key("phone", PHONE_A))
    b = create(context, two, key("phone", PHONE_A))
    assert a.created and b.created and a.customer_id != b.customer_id


def test_a_stage_and_owner_survive_a_merge_when_the_survivor_has_none(context):
    _, admin = f.tenant(context)
    with context.uow() as uow:
        stage_list = stages.ensure_default_stages(uow, admin.tenant_id)
        uow.commit()
    a = create(context, admin, key("phone", PHONE_A))
    b = create(context, admin, key("phone", PHONE_B))
    stages.move_stage(context.uow(), admin, b.customer_id, stage_list[2].id)
    merging.merge_customers(context.uow(), admin, a.customer_id, b.customer_id)
    assert customers.get_customer(context.uow(), admin, a.customer_id).stage == stage_list[2]


def test_possible_duplicates_find_weak_evidence_and_dismissals_stick(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    guide = f.member(context, admin, store_id=shop.id)
    same_a = create(context, admin, key("phone", "13700000001"), name="李娜")
    same_b = create(context, admin, key("unionid", "oLINA"), name="李娜")
    typo_a = create(context, admin, key("phone", "13612345678"), name="赵一")
    typo_b = create(context, admin, key("phone", "13612345679"), name="钱二")
    create(context, admin, key("phone", "13599999999"), name="孙三")
    with context.uow() as uow:
        for c in (same_a, same_b):
            relations.follow_in(uow, admin.tenant_id, c.customer_id, guide.id, at=utcnow(), actor="t")
        uow.commit()
    pairs = {(p.first_id, p.second_id): p.reasons for p in merging.possible_duplicates(context.uow(), admin)}
    assert pairs == {
        (same_a.customer_id, same_b.customer_id): [f"same_name_same_store:{shop.id}"],
        (typo_a.customer_id, typo_b.customer_id): ["similar_phone"],
    }
    merging.dismiss_duplicate(context.uow(), admin, typo_b.customer_id, typo_a.customer_id)
    assert [(p.first_id, p.second_id) for p in merging.possible_duplicates(context.uow(), admin)] == [
        (same_a.customer_id, same_b.customer_id)
    ]


def test_relations_end_and_return(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    guide = f.member(context, admin, store_id=shop.id)
    c = create(context, admin, key("phone", PHONE_A))
    with context.uow() as uow:
        assert relations.follow_in(uow, admin.tenant_id, c.customer_id, guide.id, at=utcnow(), actor="t", channel_state="ch-1")
        assert not relations.follow_in(uow, admin.tenant_id, c.customer_id, guide.id, at=utcnow(), actor="t")
        assert relations.end_in(uow, admin.tenant_id, c.customer_id, guide.id, RelationState.DELETED_BY_CUSTOMER, at=utcnow(), actor="t")
        assert not relations.end_in(uow, admin.tenant_id, c.customer_id, guide.id, RelationState.DELETED_BY_CUSTOMER, at=utcnow(), actor="t")
        uow.commit()
    detail = customers.get_customer(context.uow(), admin, c.customer_id)
    assert detail.relations[0].relation.state is RelationState.DELETED_BY_CUSTOMER
    assert detail.customer.owner_staff_id == guide.id
    with context.session_factory() as session:
        assert session.execute(select(customers_table.c.id).where(customers_table.c.id == c.customer_id)).scalar_one()
