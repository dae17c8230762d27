"""Console tests: a migrated SQLite database per test, the real app, a browser-like client."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from siyu import bootstrap
from siyu.adapters.db import migrate
from siyu.app import create_app
from siyu.bootstrap import Context
from siyu.config import Settings
from siyu.domain.access import Actor, Role
from siyu.domain.accounts import User
from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.identities import IdentityKey
from siyu.domain.organisation import Region, Staff, StaffDraft, Store, StoreDraft, Tenant
from siyu.domain.tags import Stage, Tag
from siyu.services import auth, customers, oneid, regions, relations, stages, staff, stores, tags, tenants, users
from siyu.services.clock import utcnow

PASSWORD = "correct-horse-9"
_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class Browser:
    """A TestClient that behaves like a person's browser: it keeps cookies and sends the
    CSRF token the last page gave it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def get(self, path: str, **kwargs: object) -> Response:
        response = self.client.get(path, **kwargs)  # type: ignore[arg-type]
        self._remember(response)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kwargs: object) -> Response:
        if csrf and not self.csrf:
            self.get("/login")
        form = {"csrf_token": self.csrf, **(data or {})} if csrf else dict(data or {})
        response = self.client.post(path, data=form, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
        self._remember(response)
        return response

    def sign_in(self, login: str, password: str = PASSWORD) -> Response:
        self.get("/login")
        return self.post("/login", {"login": login, "password": password})

    def _remember(self, response: Response) -> None:
        found = _CSRF_INPUT.search(response.text)
        if found:
            self.csrf = found.group(1)


@dataclass
class Org:
    """A tenant with its system actor, and helpers to add what a test needs."""

    context: Context
    tenant: Tenant
    system: Actor

    def region(self, name: str | None = None) -> Region:
        return regions.create_region(self.context.uow(), self.system, name or unique("区域"))

    def store(self, name: str | None = None, *, region: Region | None = None, code: str | None = None) -> Store:
        draft = StoreDraft.parse(name=name or unique("门店"), code=code, region_id=region.id if region else None)
        return stores.create_store(self.context.uow(), self.system, draft)

    def member(self, name: str | None = None, *, store: Store | None = None, role: Role = Role.GUIDE) -> Staff:
        draft = StaffDraft.parse(
            wecom_userid=unique("wx"), name=name or unique("员工"), mobile=None,
            store_id=store.id if store else None, role=role,
        )
        return staff.create_staff(self.context.uow(), self.system, draft)

    def user(self, role: Role = Role.ADMIN, *, member: Staff | None = None, locale: str = "zh_CN") -> User:
        return users.create_user(
            self.context.uow(), self.system, login=unique("user"), name=member.name if member else unique("用户"),
            password=PASSWORD, role=role, staff_id=member.id if member else None, locale=locale,
        )

    def customer(self, name: str = "张三", phone: str | None = None, *, followed_by: Staff | None = None,
                 at: datetime | None = None, added_at: datetime | None = None, **keys: str) -> int:
        """A customer with a phone (a random one unless given) and any other identities by kind;
        ``added_at`` backdates when the brand got them (through OneID, as an import does)."""
        found = [IdentityKey.parse("phone", phone or f"139{uuid.uuid4().int % 10**8:08d}")]
        found += [IdentityKey.parse(kind, value) for kind, value in keys.items()]
        record = CustomerRecord(keys=tuple(found), profile=Profile.parse(name=name))
        if added_at is None:
            customer_id = customers.create_customer(self.context.uow(), self.system, record).customer_id
        else:
            with self.context.uow() as uow:
                customer_id = oneid.resolve(uow, self.tenant.id, record, source="import", actor="system",
                                            now=utcnow(), added_at=added_at).customer_id
                uow.commit()
        if followed_by is not None:
            self.follow(customer_id, followed_by, at=at)
        return customer_id

    def follow(self, customer_id: int, member: Staff, *, at: datetime | None = None, remark: str | None = None,
               channel_state: str | None = None) -> None:
        with self.context.uow() as uow:
            relations.follow_in(uow, self.tenant.id, customer_id, member.id, at=at or utcnow(), actor="system",
                                remark=remark, channel_state=channel_state)
            uow.commit()

    def tag(self, name: str | None = None, group: str = "兴趣") -> Tag:
        return tags.create_tag(self.context.uow(), self.system, group=group, name=name or unique("标签"))

    def stage(self, name: str | None = None) -> Stage:
        return stages.create_stage(self.context.uow(), self.system, name or unique("阶段")[:30])


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("template") / "siyu.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def context(tmp_path, migrated_template) -> Iterator[Context]:  # type: ignore[no-untyped-def]
    settings = Settings(
        env="dev", data_dir=tmp_path, log_json=False, queue_url="memory://", log_level="WARNING", password_hashing="fast"
    )
    shutil.copyfile(migrated_template, tmp_path / "siyu.db")  # the migrated schema, without re-running Alembic
    ctx = bootstrap.build(settings)
    yield ctx
    ctx.close()


@pytest.fixture
def org(context: Context) -> Org:
    tenant = tenants.create_tenant(context.uow(), slug=unique("t-"), name="测试品牌")
    return Org(context=context, tenant=tenant, system=auth.system_actor(tenant.id))


@pytest.fixture
def browser(context: Context) -> Iterator[Browser]:
    with TestClient(create_app(context)) as client:
        yield Browser(client)


@pytest.fixture
def admin(org: Org) -> User:
    return org.user(Role.ADMIN)


@pytest.fixture
def signed_in(browser: Browser, admin: User) -> Browser:
    response = browser.sign_in(admin.login)
    assert response.status_code == 303
    return browser
