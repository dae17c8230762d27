"""Customers: find, read, create and edit them, within the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from siyu.adapters.db.repositories.customers import CustomerFilter
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import Customer, CustomerRecord, Identity, Profile, Relation
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.fields import CustomField, clean_values
from siyu.domain.identities import IdentityKey, IdentityKind, IdentitySource
from siyu.domain import paging
from siyu.domain.paging import Page, PageRequest
from siyu.domain.tags import AppliedTag, Stage
from siyu.domain.timeline import EventKind, TimelineEvent
from siyu.services import oneid
from siyu.services.clock import utcnow

__all__ = ["CustomerFilter"]


@dataclass(frozen=True, slots=True)
class ShownIdentity:
    kind: IdentityKind
    value: str  # masked for actors without phones.view
    source: str


@dataclass(frozen=True, slots=True)
class CustomerRow:
    customer: Customer
    identities: list[ShownIdentity]
    tag_ids: list[int]
    stage_name: str | None
    owner_name: str | None

    @property
    def phone(self) -> str | None:
        return next((i.value for i in self.identities if i.kind is IdentityKind.PHONE), None)


@dataclass(frozen=True, slots=True)
class ShownRelation:
    relation: Relation
    staff_name: str
    store_id: int | None


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    customer: Customer
    identities: list[ShownIdentity]
    relations: list[ShownRelation]
    tags: list[AppliedTag]
    stage: Stage | None
    stages: list[Stage]
    fields: list[tuple[CustomField, Any]]


def actor_label(actor: Actor) -> str:
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    if actor.token_id is not None:
        return f"token:{actor.token_id}"
    return actor.name or "system"


def shown(actor: Actor, identity: Identity) -> ShownIdentity:
    key = identity.key
    value = key.value if actor.can(Permission.PHONES_VIEW) or key.kind is not IdentityKind.PHONE else key.masked()
    return ShownIdentity(kind=key.kind, value=value, source=identity.source)


def _visible(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> Customer:
    found = uow.customers.get(actor.scope, customer_id)
    if found is None:
        raise NotFound("customer.not_found", "no such customer")
    return found


def list_customers(
    uow: SqlUnitOfWork, actor: Actor, flt: CustomerFilter = CustomerFilter(), request: PageRequest = PageRequest(),
    *, exact_total: bool = False,
) -> Page[CustomerRow]:
    """A page of customers. The total is counted up to ``paging.TOTAL_CAP`` ("10,000+",
    ``total_capped``) unless ``exact_total``; paging past it works all the same."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        page = uow.customers.list(actor.scope, searched_by(actor, flt), request, count_up_to=None if exact_total else paging.TOTAL_CAP)
        return Page(rows(uow, actor, page.items), total=page.total, page=page.page, page_size=page.page_size,
                    total_capped=page.total_capped, more=page.more)


def searched_by(actor: Actor, flt: CustomerFilter) -> CustomerFilter:
    """The filter as this actor may search: phones by part only with the right to see them."""
    return replace(flt, phone_parts=actor.can(Permission.PHONES_VIEW))


def rows(uow: SqlUnitOfWork, actor: Actor, found: list[Customer]) -> list[CustomerRow]:
    """List rows for a batch of customers, in a fixed number of queries (not one per row)."""
    ids = [c.id for c in found]
    identities = uow.identities.for_customers(actor.tenant_id, ids)
    tag_ids = uow.tags.tag_ids_of(actor.tenant_id, ids)
    stages = {s.id: s.name for s in uow.stages.all(actor.tenant_id)}
    owners = {m.id: m.name for m in uow.staff.many(actor.tenant_id, sorted({c.owner_staff_id for c in found if c.owner_staff_id}))}
    return [
        CustomerRow(
            customer=c,
            identities=[shown(actor, i) for i in identities[c.id]],
            tag_ids=sorted(tag_ids[c.id]),
            stage_name=stages.get(c.stage_id) if c.stage_id else None,
            owner_name=owners.get(c.owner_staff_id) if c.owner_staff_id else None,
        )
        for c in found
    ]


def rows_of(uow: SqlUnitOfWork, actor: Actor, customer_ids: list[int]) -> list[CustomerRow]:
    """List rows for the given customers that the actor sees now (in their scope, not merged
    away), in id order; ids of customers they do not see are left out."""
    actor.require(Permission.CUSTOMERS_VIEW)
    if not customer_ids:
        return []
    with uow:
        return rows(uow, actor, uow.customers.visible(actor.scope, customer_ids))


def get_customer(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> CustomerDetail:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        customer = _visible(uow, actor, customer_id)
        relations = uow.relations.for_customer(actor.tenant_id, customer_id)
        staff = {m.id: m for m in uow.staff.many(actor.tenant_id, [r.staff_id for r in relations])}
        stages = uow.stages.all(actor.tenant_id)
        definitions = uow.fields.all(actor.tenant_id)
        return CustomerDetail(
            customer=customer,
            identities=[shown(actor, i) for i in uow.identities.for_customer(actor.tenant_id, customer_id)],
            relations=[ShownRelation(r, staff[r.staff_id].name, staff[r.staff_id].store_id) for r in relations],
            tags=uow.tags.applied(actor.tenant_id, customer_id),
            stage=next((s for s in stages if s.id == customer.stage_id), None),
            stages=stages,
            fields=[(d, customer.fields.get(key)) for key, d in definitions.items()],
        )


def create_customer(uow: SqlUnitOfWork, actor: Actor, record: CustomerRecord, *, source: str = IdentitySource.API) -> oneid.Resolution:
    """Create, or attach to and merge, by the record's identities (the OneID rule)."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        resolution = oneid.resolve(uow, actor.tenant_id, record, source=source, actor=actor_label(actor), now=utcnow())
        uow.commit()
    return resolution


def update_profile(uow: SqlUnitOfWork, actor: Actor, customer_id: int, profile: Profile, *, listed_level: bool = False) -> Customer:
    """``listed_level``: the level is picked from the tenant's member levels (the console), so one
    not listed is refused unless it is the customer's current level; the mall (API, imports) may
    set any name."""
    actor.require(Permission.CUSTOMERS_EDIT)
    with uow:
        current = _visible(uow, actor, customer_id)
        if listed_level:
            uow.member_levels.get(actor.tenant_id).check_choice(profile.member_level, current=current.member_level)
        oneid.apply_changes(uow, actor.tenant_id, customer_id, profile.values(), {}, actor=actor_label(actor), now=utcnow())
        customer = _visible(uow, actor, customer_id)
        uow.commit()
    return customer


def set_fields(uow: SqlUnitOfWork, actor: Actor, customer_id: int, values: dict[str, Any]) -> Customer:
    """Write the given extended fields (an empty value clears one)."""
    actor.require(Permission.CUSTOMERS_EDIT)
    with uow:
        current = _visible(uow, actor, customer_id)
        cleaned = clean_values(uow.fields.all(actor.tenant_id), values, partial=True)
        merged = {k: v for k, v in {**current.fields, **cleaned}.items() if v is not None}
        if merged != current.fields:
            now = utcnow()
            uow.customers.update(actor.tenant_id, customer_id, now=now, fields=merged)
            uow.timeline.add(
                actor.tenant_id, customer_id, EventKind.FIELDS_CHANGED, actor=actor_label(actor), at=now,
                changes={k: [current.fields.get(k), merged.get(k)] for k in cleaned if current.fields.get(k) != merged.get(k)},
            )
        customer = _visible(uow, actor, customer_id)
        uow.commit()
    return customer


def add_identity(uow: SqlUnitOfWork, actor: Actor, customer_id: int, key: IdentityKey) -> None:
    """Add a key by hand. A key another customer holds is refused: merge the two instead."""
    actor.require(Permission.CUSTOMERS_EDIT)
    with uow:
        _visible(uow, actor, customer_id)
        oneid.check_keys_free(uow, actor.tenant_id, customer_id, [key])
        if uow.identities.owners(actor.tenant_id, [key]):
            return
        now = utcnow()
        uow.identities.add(actor.tenant_id, customer_id, [key], source=IdentitySource.MANUAL, now=now)
        uow.timeline.add(actor.tenant_id, customer_id, EventKind.IDENTITY_ADDED, actor=actor_label(actor), at=now,
                         kind=key.kind.value, value=key.masked(), source=IdentitySource.MANUAL.value)
        uow.commit()


def set_owner(uow: SqlUnitOfWork, actor: Actor, customer_id: int, staff_id: int | None) -> Customer:
    """The staff member who owns the customer for tasks and sends; must follow the customer."""
    actor.require(Permission.CUSTOMERS_EDIT)
    with uow:
        current = _visible(uow, actor, customer_id)
        if staff_id is not None and uow.relations.find(actor.tenant_id, customer_id, staff_id) is None:
            raise InvalidInput("customer.owner_not_following", "the owner must be a staff member who follows the customer",
                               field="owner_staff_id")
        if current.owner_staff_id != staff_id:
            now = utcnow()
            uow.customers.update(actor.tenant_id, customer_id, now=now, owner_staff_id=staff_id)
            uow.timeline.add(actor.tenant_id, customer_id, EventKind.PROFILE_CHANGED, actor=actor_label(actor), at=now,
                             changes={"owner_staff_id": [current.owner_staff_id, staff_id]})
        customer = _visible(uow, actor, customer_id)
        uow.commit()
    return customer


def timeline(uow: SqlUnitOfWork, actor: Actor, customer_id: int, request: PageRequest = PageRequest()) -> Page[TimelineEvent]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        _visible(uow, actor, customer_id)
        return uow.timeline.for_customer(actor.tenant_id, customer_id, request)
