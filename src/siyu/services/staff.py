"""Staff (员工 / 导购): the brand's WeCom members, their store, role and employment status."""

from __future__ import annotations

from dataclasses import asdict

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission, Role
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.organisation import Staff, StaffDraft, StaffStatus
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow


def list_staff(
    uow: SqlUnitOfWork,
    actor: Actor,
    request: PageRequest = PageRequest(),
    *,
    store_id: int | None = None,
    status: StaffStatus | None = None,
    role: Role | None = None,
    q: str | None = None,
) -> Page[Staff]:
    actor.require(Permission.ORG_VIEW)
    with uow:
        return uow.staff.list(actor.scope, request, store_id=store_id, status=status, role=role, q=q)


def get_staff(uow: SqlUnitOfWork, actor: Actor, staff_id: int) -> Staff:
    actor.require(Permission.ORG_VIEW)
    with uow:
        member = uow.staff.get(actor.scope, staff_id)
    if member is None:
        raise NotFound("staff.not_found", "no such staff member")
    return member


def _check(uow: SqlUnitOfWork, actor: Actor, draft: StaffDraft, staff_id: int | None) -> None:
    actor.require_assignable(draft.role)
    if draft.store_id is not None and uow.stores.get(actor.scope, draft.store_id) is None:
        raise InvalidInput("store.not_found", "no such store", field="store_id")
    clash = uow.staff.find_by_userid(actor.tenant_id, draft.wecom_userid)
    if clash and clash.id != staff_id:
        raise Conflict("staff.userid_taken", "WeCom userid “%(userid)s” already belongs to %(name)s", field="wecom_userid",
                       userid=draft.wecom_userid, name=clash.name)


def _columns(draft: StaffDraft) -> dict[str, object]:
    return {**asdict(draft), "role": draft.role.value}


def _editable(uow: SqlUnitOfWork, actor: Actor, staff_id: int) -> Staff:
    actor.require(Permission.STAFF_MANAGE)
    member = uow.staff.get(actor.scope, staff_id)
    if member is None:
        raise NotFound("staff.not_found", "no such staff member")
    actor.require_assignable(member.role)
    return member


def create_staff(uow: SqlUnitOfWork, actor: Actor, draft: StaffDraft) -> Staff:
    actor.require(Permission.STAFF_MANAGE)
    with uow:
        _check(uow, actor, draft, None)
        member = uow.staff.add(actor.tenant_id, now=utcnow(), **_columns(draft))
        uow.commit()
        return member


def update_staff(uow: SqlUnitOfWork, actor: Actor, staff_id: int, draft: StaffDraft) -> Staff:
    with uow:
        _editable(uow, actor, staff_id)
        _check(uow, actor, draft, staff_id)
        uow.staff.update(actor.tenant_id, staff_id, **_columns(draft))
        member = uow.staff.get(actor.scope, staff_id)
        uow.commit()
    assert member is not None
    return member


def resign_staff(uow: SqlUnitOfWork, actor: Actor, staff_id: int) -> Staff:
    """Mark a staff member as resigned: their console accounts stop working at once."""
    with uow:
        member = _editable(uow, actor, staff_id)
        if member.status is StaffStatus.RESIGNED:
            return member
        uow.staff.update(actor.tenant_id, staff_id, status=StaffStatus.RESIGNED.value, resigned_at=utcnow())
        for user_id in uow.users.ids_for_staff(actor.tenant_id, staff_id):
            uow.users.update(actor.tenant_id, user_id, is_active=False)
            uow.sessions.remove_for_user(actor.tenant_id, user_id)
        member = uow.staff.get(actor.scope, staff_id)
        uow.commit()
    assert member is not None
    return member


def reinstate_staff(uow: SqlUnitOfWork, actor: Actor, staff_id: int) -> Staff:
    """Undo a resignation. Console accounts stay disabled until an admin re-enables them."""
    with uow:
        _editable(uow, actor, staff_id)
        uow.staff.update(actor.tenant_id, staff_id, status=StaffStatus.ACTIVE.value, resigned_at=None)
        member = uow.staff.get(actor.scope, staff_id)
        uow.commit()
    assert member is not None
    return member
