"""Small factories over the services, with random unique values: no shared mutable fixtures."""

from __future__ import annotations

import uuid

from siyu.bootstrap import Context
from siyu.domain.access import Actor, Role
from siyu.domain.organisation import Region, Staff, StaffDraft, Store, StoreDraft, Tenant
from siyu.domain.customers import Customer, CustomerRecord, Profile
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services import customers, regions, staff, stores, tenants, users
from siyu.domain.paging import PageRequest  # noqa: F401  (re-exported for tests)
from siyu.services.auth import system_actor

PASSWORD = "correct-horse-9"


def uid(n: int = 8) -> str:
    return uuid.uuid4().hex[:n]


def tenant(ctx: Context) -> tuple[Tenant, Actor]:
    made = tenants.create_tenant(ctx.uow(), slug=f"t-{uid()}", name=f"品牌{uid(4)}")
    return made, system_actor(made.id)


def region(ctx: Context, actor: Actor) -> Region:
    return regions.create_region(ctx.uow(), actor, f"区域{uid()}")


def store(ctx: Context, actor: Actor, *, region_id: int | None = None) -> Store:
    draft = StoreDraft.parse(name=f"门店{uid()}", code=f"S{uid(6)}", region_id=region_id, city="上海")
    return stores.create_store(ctx.uow(), actor, draft)


def member(ctx: Context, actor: Actor, *, store_id: int | None, role: Role = Role.GUIDE) -> Staff:
    draft = StaffDraft.parse(wecom_userid=f"u{uid()}", name=f"员工{uid(4)}", mobile=None, store_id=store_id, role=role)
    return staff.create_staff(ctx.uow(), actor, draft)


def customers_of(ctx: Context, actor: Actor, n: int, *, names: list[str] | None = None) -> list[Customer]:
    """``n`` customers, each with a unique phone and a unique name."""
    made = []
    for i in range(n):
        phone = f"139{uuid.uuid4().int % 10**8:08d}"
        record = CustomerRecord(
            keys=(IdentityKey(IdentityKind.PHONE, phone),), profile=Profile(name=names[i] if names else f"客户{uid(6)}")
        )
        resolution = customers.create_customer(ctx.uow(), actor, record)
        made.append(customers.get_customer(ctx.uow(), actor, resolution.customer_id).customer)
    return made


def user_actor(ctx: Context, admin: Actor, *, role: Role, staff_id: int | None = None, store_id: int | None = None) -> Actor:
    """A console user's actor, as the session would resolve it."""
    made = users.create_user(
        ctx.uow(), admin, login=f"{uid()}@example.com", name="someone", password=PASSWORD, role=role, staff_id=staff_id
    )
    return Actor(tenant_id=admin.tenant_id, role=role, user_id=made.id, staff_id=staff_id, store_id=store_id)
