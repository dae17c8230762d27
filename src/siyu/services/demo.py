"""The demo brand: a small, deterministic coffee chain to explore the product with.

Same seed, same brand. Loading it twice changes nothing (the tenant is looked up by slug).
The customer issue grows this into customers, channels and history at any size.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Role
from siyu.domain.organisation import StaffDraft, StoreDraft
from siyu.services import regions, staff, stores, tenants, users
from siyu.services.auth import system_actor

DEMO_SLUG = "demo"
DEMO_NAME = "山茶咖啡"
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
class DemoSummary:
    tenant_id: int
    created: bool
    regions: int
    stores: int
    staff: int
    logins: list[DemoLogin]


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _logins() -> list[DemoLogin]:
    return [
        DemoLogin("admin@demo.siyu", DEMO_PASSWORD, Role.ADMIN, "品牌管理员 / brand admin"),
        DemoLogin("manager@demo.siyu", DEMO_PASSWORD, Role.STORE_MANAGER, "南京西路店店长 / store manager"),
        DemoLogin("guide@demo.siyu", DEMO_PASSWORD, Role.GUIDE, "南京西路店导购 / guide"),
    ]


def load_demo_brand(new_uow: Callable[[], SqlUnitOfWork], *, seed: int = 7) -> DemoSummary:
    """Create the demo brand unless it exists. ``new_uow`` returns a fresh unit of work."""
    existing = tenants.find_tenant(new_uow(), DEMO_SLUG)
    if existing is not None:
        return DemoSummary(existing.id, created=False, regions=0, stores=0, staff=0, logins=_logins())

    rng = random.Random(seed)
    tenant = tenants.create_tenant(new_uow(), slug=DEMO_SLUG, name=DEMO_NAME)
    actor = system_actor(tenant.id)
    n_stores = n_staff = 0
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
                n_staff += 1
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
        n_staff += 1
        staff.create_staff(
            new_uow(),
            actor,
            StaffDraft.parse(wecom_userid=extra, name=_name(rng), mobile=None, store_id=None, role=role),
        )

    for demo_login in _logins():
        users.create_user(
            new_uow(),
            actor,
            login=demo_login.login,
            name=demo_login.description.split(" / ")[0],
            password=demo_login.password,
            role=demo_login.role,
            staff_id=first_store_staff.get(demo_login.role),
        )
    return DemoSummary(tenant.id, created=True, regions=len(REGIONS), stores=n_stores, staff=n_staff, logins=_logins())
