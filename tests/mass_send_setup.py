"""A brand linked to the fake WeCom with staff and customers for mass-send tests: each customer
has a WeCom external_userid, relations in the database and follows in the simulated corp."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from siyu.adapters.db.tables import customers as customers_table
from siyu.domain.customers import CustomerRecord, Profile, RelationState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.organisation import Staff
from siyu.services import customers
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import Linked, link

T0 = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


@dataclass
class Brand:
    linked: Linked
    staff: list[Staff]
    customer_ids: list[int] = field(default_factory=list)
    external: dict[int, str] = field(default_factory=dict)  # customer -> external_userid

    @property
    def admin(self):  # type: ignore[no-untyped-def]
        return self.linked.admin

    @property
    def tenant_id(self) -> int:
        return self.linked.tenant.id


def brand(context, fake: FakeWeCom, *, staff_count: int = 2) -> Brand:  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    store_id = linked.staff.store_id
    people = [linked.staff] + [f.member(context, linked.admin, store_id=store_id) for _ in range(staff_count - 1)]
    for person in people:
        fake.corp.add_user(person.wecom_userid)
    return Brand(linked, people)


def customer(context, fake: FakeWeCom, b: Brand, *, follows: list[tuple[Staff, datetime]], owner: Staff | None = None,  # type: ignore[no-untyped-def]
             wecom: bool = True, ended: list[Staff] | None = None, friend_in_wecom: bool = True) -> int:
    external = f"wm{f.uid(12)}"
    keys = (IdentityKey(IdentityKind.WECOM_EXTERNAL, external),) if wecom else (IdentityKey(IdentityKind.PHONE, f"139{f.uid(8)}"),)
    made = customers.create_customer(context.uow(), b.admin, CustomerRecord(keys=keys, profile=Profile(name=f"客户{f.uid(4)}")))
    customer_id = made.customer_id
    uow = context.uow()
    with uow:
        for person, added in follows:
            uow.relations.add(b.tenant_id, customer_id, person.id, added_at=added)
        for person in ended or []:
            uow.relations.add(b.tenant_id, customer_id, person.id, added_at=T0 - timedelta(days=1),
                              state=RelationState.DELETED_BY_CUSTOMER.value)
        if owner is not None:
            uow.session.execute(update(customers_table).where(customers_table.c.id == customer_id).values(owner_staff_id=owner.id))
        uow.commit()
    if wecom:
        fake.corp.add_contact(external, follows={p.wecom_userid: {} for p, _ in follows} if friend_in_wecom else {})
    b.customer_ids.append(customer_id)
    b.external[customer_id] = external
    return customer_id
