"""The demo brand's organisation: 3 regions, 8 stores, their managers and guides, HQ staff,
and the three console logins. Built through the ordinary services, one call at a time."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Role, Scope
from siyu.domain.organisation import StaffDraft, StoreDraft
from siyu.domain.paging import MAX_PAGE_SIZE, PageRequest
from siyu.services import regions, staff, stores, users
from siyu.services.auth import system_actor

DEMO_PASSWORD = "siyu-demo-2026"

REGIONS: dict[str, list[tuple[str, str]]] = {
    "华东": [("上海", "南京西路店"), ("上海", "徐家汇店"), ("杭州", "西湖银泰店"), ("南京", "新街口店")],
    "华南": [("广州", "天河城店"), ("深圳", "万象城店")],
    "华北": [("北京", "三里屯店"), ("天津", "滨江道店")],
}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红婷雪琳晨宇欣怡浩然子涵梓萱"


@dataclass(frozen=True, slots=True)
class DemoLogin:
    login: str
    password: str
    role: Role
    description: str


@dataclass(frozen=True, slots=True)
class DemoGuide:
    staff_id: int
    wecom_userid: str
    store_id: int


@dataclass(frozen=True, slots=True)
class DemoStore:
    id: int
    code: str
    city: str
    guides: tuple[DemoGuide, ...]


@dataclass(frozen=True, slots=True)
class DemoOrganisation:
    tenant_id: int
    regions: int
    stores: tuple[DemoStore, ...]  # by code
    staff: int


def logins(slug: str) -> list[DemoLogin]:
    return [
        DemoLogin(f"admin@{slug}.siyu", DEMO_PASSWORD, Role.ADMIN, "品牌管理员 / brand admin"),
        DemoLogin(f"manager@{slug}.siyu", DEMO_PASSWORD, Role.STORE_MANAGER, "南京西路店店长 / store manager"),
        DemoLogin(f"guide@{slug}.siyu", DEMO_PASSWORD, Role.GUIDE, "南京西路店导购 / guide"),
    ]


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def create_organisation(new_uow: Callable[[], SqlUnitOfWork], tenant_id: int, slug: str, *, seed: int) -> None:
    """Regions, stores, staff, then the logins (last: their presence marks a finished organisation)."""
    rng = random.Random(seed)
    actor = system_actor(tenant_id)
    n_stores = 0
    first_store_staff: dict[Role, int] = {}
    for region_name, cities in REGIONS.items():
        region = regions.create_region(new_uow(), actor, region_name)
        for city, store_name in cities:
            n_stores += 1
            code = f"S{n_stores:03d}"
            store = stores.create_store(
                new_uow(),
                actor,
                StoreDraft.parse(name=f"{city}{store_name}", code=code, region_id=region.id, city=city, address=None),
            )
            team = [Role.STORE_MANAGER] + [Role.GUIDE] * rng.randint(3, 5)
            for position, role in enumerate(team):
                member = staff.create_staff(
                    new_uow(),
                    actor,
                    StaffDraft.parse(
                        wecom_userid=f"{code.lower()}-{position:02d}",
                        name=_name(rng),
                        mobile=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                        store_id=store.id,
                        role=role,
                    ),
                )
                if n_stores == 1:
                    first_store_staff.setdefault(role, member.id)
    for extra, role in (("hq-ops-01", Role.OPERATOR), ("hq-admin-01", Role.ADMIN)):
        staff.create_staff(
            new_uow(),
            actor,
            StaffDraft.parse(wecom_userid=extra, name=_name(rng), mobile=None, store_id=None, role=role),
        )
    for demo_login in logins(slug):
        users.create_user(
            new_uow(),
            actor,
            login=demo_login.login,
            name=demo_login.description.split(" / ")[0],
            password=demo_login.password,
            role=demo_login.role,
            staff_id=first_store_staff.get(demo_login.role),
        )


def organisation_complete(uow: SqlUnitOfWork, slug: str) -> bool:
    with uow:
        return uow.users.find_by_login(logins(slug)[-1].login) is not None


def read_organisation(uow: SqlUnitOfWork, tenant_id: int) -> DemoOrganisation:
    """The stores and guides as they are in the database, in a fixed order."""
    scope = Scope(tenant_id)
    with uow:
        found_stores = sorted(uow.stores.all(scope), key=lambda s: (s.code or "", s.id))
        members = []
        page = 1
        while True:
            batch = uow.staff.list(scope, PageRequest(page=page, page_size=MAX_PAGE_SIZE))
            members += batch.items
            if not batch.has_next:
                break
            page += 1
        region_count = len({s.region_id for s in found_stores if s.region_id is not None})
    guides = sorted((m for m in members if m.role is Role.GUIDE and m.store_id is not None), key=lambda m: m.wecom_userid)
    return DemoOrganisation(
        tenant_id=tenant_id,
        regions=region_count,
        stores=tuple(
            DemoStore(
                s.id, s.code or str(s.id), s.city or "",
                tuple(DemoGuide(g.id, g.wecom_userid, s.id) for g in guides if g.store_id == s.id),
            )
            for s in found_stores
        ),
        staff=len(members),
    )
