import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from siyu.adapters.db.tables import stores as stores_table
from siyu.domain.access import Role
from siyu.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from siyu.domain.organisation import StaffDraft, StaffStatus, StoreDraft
from siyu.services import regions, staff, stores
from siyu.services.clock import utcnow
from tests import factories as f


def test_store_lists_are_paged_and_searchable(context):
    _, admin = f.tenant(context)
    region = f.region(context, admin)
    made = [f.store(context, admin, region_id=region.id) for _ in range(7)]
    page = stores.list_stores(context.uow(), admin, f.PageRequest(page=2, page_size=3))
    assert (page.total, page.pages, len(page.items)) == (7, 3, 3)
    found = stores.list_stores(context.uow(), admin, q=made[4].name[-6:])
    assert [s.id for s in found.items] == [made[4].id]


def test_duplicate_store_name_or_code_is_a_conflict(context):
    _, admin = f.tenant(context)
    first = f.store(context, admin)
    with pytest.raises(Conflict) as caught:
        stores.create_store(context.uow(), admin, StoreDraft.parse(name="别的名字", code=first.code))
    assert caught.value.field == "code"
    with pytest.raises(Conflict):
        stores.create_store(context.uow(), admin, StoreDraft.parse(name=first.name))


def test_a_store_cannot_point_at_another_tenants_region(context):
    _, admin = f.tenant(context)
    _, other = f.tenant(context)
    foreign = f.region(context, other)
    with pytest.raises(InvalidInput) as caught:
        stores.create_store(context.uow(), admin, StoreDraft.parse(name="店", region_id=foreign.id))
    assert caught.value.field == "region_id"


def test_the_database_itself_refuses_cross_tenant_references(context):
    _, admin = f.tenant(context)
    _, other = f.tenant(context)
    foreign = f.region(context, other)
    with context.session_factory() as session, pytest.raises(IntegrityError):
        session.execute(
            insert(stores_table).values(
                tenant_id=admin.tenant_id, name="x", region_id=foreign.id, is_open=True, created_at=utcnow()
            )
        )
        session.flush()


def test_store_manager_sees_only_their_store_and_its_staff(context):
    _, admin = f.tenant(context)
    mine, theirs = f.store(context, admin), f.store(context, admin)
    manager_staff = f.member(context, admin, store_id=mine.id, role=Role.STORE_MANAGER)
    guide_here = f.member(context, admin, store_id=mine.id)
    guide_there = f.member(context, admin, store_id=theirs.id)
    manager = f.user_actor(context, admin, role=Role.STORE_MANAGER, staff_id=manager_staff.id, store_id=mine.id)

    assert [s.id for s in stores.list_stores(context.uow(), manager).items] == [mine.id]
    assert {m.id for m in staff.list_staff(context.uow(), manager).items} == {manager_staff.id, guide_here.id}
    with pytest.raises(NotFound):
        stores.get_store(context.uow(), manager, theirs.id)
    with pytest.raises(NotFound):
        staff.get_staff(context.uow(), manager, guide_there.id)


def test_store_manager_adds_guides_to_their_own_store_only(context):
    _, admin = f.tenant(context)
    mine, theirs = f.store(context, admin), f.store(context, admin)
    me = f.member(context, admin, store_id=mine.id, role=Role.STORE_MANAGER)
    manager = f.user_actor(context, admin, role=Role.STORE_MANAGER, staff_id=me.id, store_id=mine.id)
    added = staff.create_staff(
        context.uow(), manager, StaffDraft.parse(wecom_userid="newguide", name="新导购", mobile=None, store_id=mine.id, role="guide")
    )
    assert added.store_id == mine.id
    with pytest.raises(InvalidInput):
        staff.create_staff(
            context.uow(), manager, StaffDraft.parse(wecom_userid="g2", name="x", mobile=None, store_id=theirs.id, role="guide")
        )
    with pytest.raises(PermissionDenied):
        staff.create_staff(
            context.uow(), manager, StaffDraft.parse(wecom_userid="a2", name="x", mobile=None, store_id=mine.id, role="admin")
        )
    with pytest.raises(PermissionDenied):  # and may not edit their own role up
        staff.update_staff(
            context.uow(), manager, me.id, StaffDraft.parse(wecom_userid=me.wecom_userid, name="x", mobile=None, store_id=mine.id, role="guide")
        )


def test_guide_sees_only_themselves_and_may_not_manage_staff(context):
    _, admin = f.tenant(context)
    shop = f.store(context, admin)
    me = f.member(context, admin, store_id=shop.id)
    colleague = f.member(context, admin, store_id=shop.id)
    guide = f.user_actor(context, admin, role=Role.GUIDE, staff_id=me.id, store_id=shop.id)
    assert [m.id for m in staff.list_staff(context.uow(), guide).items] == [me.id]
    with pytest.raises(NotFound):
        staff.get_staff(context.uow(), guide, colleague.id)
    with pytest.raises(PermissionDenied):
        staff.resign_staff(context.uow(), guide, me.id)
    with pytest.raises(PermissionDenied):
        regions.create_region(context.uow(), guide, "x")


def test_wecom_userids_are_unique_per_tenant_ignoring_case(context):
    _, admin = f.tenant(context)
    _, other = f.tenant(context)
    shop = f.store(context, admin)
    staff.create_staff(context.uow(), admin, StaffDraft.parse(wecom_userid="ZhangSan", name="张三", mobile=None, store_id=shop.id, role="guide"))
    with pytest.raises(Conflict) as caught:
        staff.create_staff(context.uow(), admin, StaffDraft.parse(wecom_userid="zhangsan", name="张三2", mobile=None, store_id=shop.id, role="guide"))
    assert caught.value.field == "wecom_userid"
    other_shop = f.store(context, other)
    staff.create_staff(context.uow(), other, StaffDraft.parse(wecom_userid="zhangsan", name="张三", mobile=None, store_id=other_shop.id, role="guide"))


def test_resign_and_reinstate_staff(context):
    _, admin = f.tenant(context)
    member = f.member(context, admin, store_id=f.store(context, admin).id)
    resigned = staff.resign_staff(context.uow(), admin, member.id)
    assert resigned.status is StaffStatus.RESIGNED and resigned.resigned_at is not None
    assert staff.resign_staff(context.uow(), admin, member.id).resigned_at == resigned.resigned_at  # idempotent
    counts = staff.list_staff(context.uow(), admin, status=StaffStatus.RESIGNED)
    assert [m.id for m in counts.items] == [member.id]
    back = staff.reinstate_staff(context.uow(), admin, member.id)
    assert (back.status, back.resigned_at) == (StaffStatus.ACTIVE, None)


def test_a_failed_service_call_leaves_nothing_behind(context):
    _, admin = f.tenant(context)
    with pytest.raises(InvalidInput):
        stores.create_store(context.uow(), admin, StoreDraft.parse(name="孤儿店", region_id=999_999))
    assert stores.list_stores(context.uow(), admin).total == 0


def test_region_rename_checks_for_clashes(context):
    _, admin = f.tenant(context)
    a, b = f.region(context, admin), f.region(context, admin)
    with pytest.raises(Conflict):
        regions.rename_region(context.uow(), admin, a.id, b.name)
    assert regions.rename_region(context.uow(), admin, a.id, "华西").name == "华西"
