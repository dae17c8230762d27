import pytest

from siyu.domain.access import Role
from siyu.domain.customers import CustomerRecord, Gender, Profile
from siyu.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from siyu.domain.identities import IdentityKey
from siyu.domain.timeline import EventKind
from siyu.services import customers, fields, relations, stages, tags
from siyu.services.clock import utcnow
from siyu.services.customers import CustomerFilter
from tests import factories as f


def _follow(context, tenant_id, customer_id, staff_id):
    with context.uow() as uow:
        relations.follow_in(uow, tenant_id, customer_id, staff_id, at=utcnow(), actor="t", remark="老顾客")
        uow.commit()


def test_guides_and_store_managers_see_the_customers_their_staff_follow(context):
    _, admin = f.tenant(context)
    north, south = f.store(context, admin), f.store(context, admin)
    guide_n, guide_n2 = f.member(context, admin, store_id=north.id), f.member(context, admin, store_id=north.id)
    guide_s = f.member(context, admin, store_id=south.id)
    mine, colleagues, theirs = f.customers_of(context, admin, 3)
    _follow(context, admin.tenant_id, mine.id, guide_n.id)
    _follow(context, admin.tenant_id, colleagues.id, guide_n2.id)
    _follow(context, admin.tenant_id, theirs.id, guide_s.id)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=guide_n.id, store_id=north.id)
    manager_staff = f.member(context, admin, store_id=north.id, role=Role.STORE_MANAGER)
    manager = f.user_actor(context, admin, role=Role.STORE_MANAGER, staff_id=manager_staff.id, store_id=north.id)

    assert [r.customer.id for r in customers.list_customers(context.uow(), guide).items] == [mine.id]
    assert {r.customer.id for r in customers.list_customers(context.uow(), manager).items} == {mine.id, colleagues.id}
    with pytest.raises(NotFound):
        customers.get_customer(context.uow(), guide, colleagues.id)
    with pytest.raises(NotFound):
        tags.apply_tags(context.uow(), guide, [theirs.id], [tags.create_tag(context.uow(), admin, group="g", name="t").id])
    with pytest.raises(PermissionDenied):
        customers.create_customer(context.uow(), guide, CustomerRecord(keys=(IdentityKey.parse("phone", "13311112222"),)))


def test_phones_are_masked_for_roles_without_phones_view(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    member = f.member(context, admin, store_id=shop.id)
    made = customers.create_customer(context.uow(), admin, CustomerRecord(keys=(IdentityKey.parse("phone", "13812345678"),)))
    _follow(context, admin.tenant_id, made.customer_id, member.id)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=member.id, store_id=shop.id)
    assert customers.list_customers(context.uow(), guide).items[0].phone == "138****5678"
    assert customers.list_customers(context.uow(), admin).items[0].phone == "13812345678"
    assert customers.get_customer(context.uow(), guide, made.customer_id).identities[0].value == "138****5678"


def test_search_and_filters(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    member = f.member(context, admin, store_id=shop.id)
    a, b, c = f.customers_of(context, admin, 3, names=["张伟", "李娜", "王芳"])
    _follow(context, admin.tenant_id, b.id, member.id)
    vip = tags.create_tag(context.uow(), admin, group="会员", name="金卡")
    tags.apply_tags(context.uow(), admin, [a.id, c.id], [vip.id])
    phone_of_c = [i.value for i in customers.get_customer(context.uow(), admin, c.id).identities][0]

    def ids(**kw):
        return {r.customer.id for r in customers.list_customers(context.uow(), admin, CustomerFilter(**kw)).items}

    assert ids(q="李") == {b.id}
    assert ids(q=f"+86 {phone_of_c}") == {c.id}
    assert ids(q="老顾客") == {b.id}  # the relation's remark
    assert ids(tag_ids=(vip.id,)) == {a.id, c.id}
    assert ids(store_id=shop.id) == {b.id} == ids(staff_id=member.id)
    assert ids(added_from=utcnow()) == set()


def test_bulk_tagging_counts_only_real_changes_and_records_the_source(context):
    _, admin = f.tenant(context)
    a, b = f.customers_of(context, admin, 2)
    tag = tags.create_tag(context.uow(), admin, group="兴趣", name="手冲")
    assert tags.apply_tags(context.uow(), admin, [a.id], [tag.id]).changed == 1
    assert tags.apply_tags(context.uow(), admin, [a.id, b.id], [tag.id]).changed == 1
    applied = customers.get_customer(context.uow(), admin, b.id).tags[0]
    assert (applied.tag.label, applied.source) == ("兴趣/手冲", "manual")
    assert tags.remove_tags(context.uow(), admin, [a.id, b.id], [tag.id]).changed == 2
    kinds = [e.kind for e in customers.timeline(context.uow(), admin, a.id).items]
    assert kinds[:2] == [EventKind.UNTAGGED, EventKind.TAGGED]


def test_stages_are_ordered_and_moves_are_recorded(context):
    _, admin = f.tenant(context)
    new, intent = stages.create_stage(context.uow(), admin, "新客"), stages.create_stage(context.uow(), admin, "意向")
    with pytest.raises(Conflict):
        stages.create_stage(context.uow(), admin, "新客")
    assert [s.name for s in stages.reorder_stages(context.uow(), admin, [intent.id, new.id])] == ["意向", "新客"]
    (c,) = f.customers_of(context, admin, 1)
    stages.move_stage(context.uow(), admin, c.id, new.id)
    stages.move_stage(context.uow(), admin, c.id, intent.id)
    event = customers.timeline(context.uow(), admin, c.id).items[0]
    assert (event.kind, event.data["before"], event.data["after"]) == (EventKind.STAGE_CHANGED, "新客", "意向")
    with pytest.raises(Conflict):
        stages.delete_stage(context.uow(), admin, intent.id)
    stages.delete_stage(context.uow(), admin, new.id)


def test_extended_fields_are_validated_on_every_write(context):
    _, admin = f.tenant(context)
    fields.define_field(context.uow(), admin, key="taste", label="口味偏好", kind="single", options=["美式", "拿铁"])
    fields.define_field(context.uow(), admin, key="allergens", label="过敏原", kind="multi", options=["乳糖", "坚果"])
    fields.define_field(context.uow(), admin, key="cups", label="月均杯数", kind="number")
    (c,) = f.customers_of(context, admin, 1)
    updated = customers.set_fields(context.uow(), admin, c.id, {"taste": "拿铁", "allergens": "坚果；乳糖", "cups": "12"})
    assert updated.fields == {"taste": "拿铁", "allergens": ["乳糖", "坚果"], "cups": 12}
    with pytest.raises(InvalidInput) as caught:
        customers.set_fields(context.uow(), admin, c.id, {"taste": "抹茶"})
    assert caught.value.field == "taste"
    with pytest.raises(InvalidInput) as unknown:
        customers.set_fields(context.uow(), admin, c.id, {"shoe_size": "42"})
    assert unknown.value.field == "shoe_size"
    assert customers.set_fields(context.uow(), admin, c.id, {"cups": ""}).fields == {"taste": "拿铁", "allergens": ["乳糖", "坚果"]}
    with pytest.raises(InvalidInput):
        fields.update_field(context.uow(), admin, "taste", label="口味", options=["美式"])  # dropping an option


def test_profile_edits_go_on_the_timeline(context):
    _, admin = f.tenant(context)
    (c,) = f.customers_of(context, admin, 1)
    customers.update_profile(context.uow(), admin, c.id, Profile.parse(name="新名字", birthday="1992/3/4", gender="女"))
    event = customers.timeline(context.uow(), admin, c.id).items[0]
    assert event.kind is EventKind.PROFILE_CHANGED
    assert event.data["changes"]["birthday"] == [None, "1992-03-04"]
    assert event.data["changes"]["name"][1] == "新名字"


def test_emptied_profile_values_are_cleared_and_recorded_when_asked(context):
    _, admin = f.tenant(context)
    (c,) = f.customers_of(context, admin, 1)
    customers.update_profile(context.uow(), admin, c.id, Profile.parse(
        gender="女", birthday="1992-03-04", region="杭州", avatar="https://img.example/a.png"))
    kept = customers.update_profile(context.uow(), admin, c.id, Profile.parse(gender="", birthday="", region="", avatar=""))
    assert (kept.gender, kept.birthday.isoformat(), kept.region) == (Gender.FEMALE, "1992-03-04", "杭州")  # type: ignore[union-attr]

    emptied = Profile.parse(name="", gender="", birthday="", region=" ", avatar="", clear_empty=True)
    cleared = customers.update_profile(context.uow(), admin, c.id, emptied)
    assert (cleared.name, cleared.gender, cleared.birthday, cleared.region, cleared.avatar) == (
        kept.name, Gender.UNKNOWN, None, None, None)
    event = customers.timeline(context.uow(), admin, c.id).items[0]
    assert event.kind is EventKind.PROFILE_CHANGED and event.actor == "system"
    assert event.data["changes"] == {"gender": [2, 0], "birthday": ["1992-03-04", None], "region": ["杭州", None],
                                     "avatar": ["https://img.example/a.png", None]}
    customers.update_profile(context.uow(), admin, c.id, emptied)  # already empty: nothing new on the timeline
    assert customers.timeline(context.uow(), admin, c.id).items[0].id == event.id


def test_a_key_held_by_another_customer_is_refused_by_hand(context):
    _, admin = f.tenant(context)
    a, b = f.customers_of(context, admin, 2)
    phone_b = customers.get_customer(context.uow(), admin, b.id).identities[0].value
    with pytest.raises(InvalidInput, match="merge them instead"):
        customers.add_identity(context.uow(), admin, a.id, IdentityKey.parse("phone", phone_b))


def test_the_owner_must_follow_the_customer(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    member = f.member(context, admin, store_id=shop.id)
    (c,) = f.customers_of(context, admin, 1)
    with pytest.raises(InvalidInput):
        customers.set_owner(context.uow(), admin, c.id, member.id)
    _follow(context, admin.tenant_id, c.id, member.id)
    assert customers.set_owner(context.uow(), admin, c.id, member.id).owner_staff_id == member.id


def test_creating_an_existing_tag_is_a_conflict(context):
    _, admin = f.tenant(context)
    tags.create_tag(context.uow(), admin, group="兴趣", name="手冲")
    with pytest.raises(Conflict):
        tags.create_tag(context.uow(), admin, group="兴趣", name="手冲")
