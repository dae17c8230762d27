"""Tags: groups and tags (WeCom's corp tags), applied one by one or in bulk, with their source."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import TagSource
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.tags import MAX_TAGS, Tag, clean_label
from siyu.domain.timeline import EventKind
from siyu.services import journey_triggers
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label


def list_tags(uow: SqlUnitOfWork, actor: Actor) -> list[Tag]:
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        return uow.tags.all(actor.tenant_id)


def create_tag(uow: SqlUnitOfWork, actor: Actor, *, group: str, name: str) -> Tag:
    """Create a tag, and its group if the group is new."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    group, name = clean_label(group, field="group"), clean_label(name)
    with uow:
        if uow.tags.find(actor.tenant_id, group, name) is not None:
            raise Conflict("tag.exists", "the tag “%(tag)s” exists already", field="name", tag=f"{group}/{name}")
        tag = ensure_tag(uow, actor.tenant_id, group, name)
        uow.commit()
    return tag


def ensure_tag(uow: SqlUnitOfWork, tenant_id: int, group: str, name: str, *, create: bool = True) -> Tag:
    found = uow.tags.find(tenant_id, group, name)
    if found is not None:
        return found
    if not create:
        raise InvalidInput("tag.unknown", "no tag “%(tag)s”", field="tags", tag=f"{group}/{name}")
    if uow.tags.count(tenant_id) >= MAX_TAGS:
        raise Conflict("tag.limit", "a tenant has at most %(max)s tags (WeCom's limit)", max=MAX_TAGS)
    now = utcnow()
    tag_group = uow.tags.find_group(tenant_id, name=group) or uow.tags.add_group(tenant_id, group, now=now)
    tag_id = uow.tags.add_tag(tenant_id, tag_group.id, name, now=now)
    tag = uow.tags.get(tenant_id, tag_id)
    assert tag is not None
    return tag


def rename_tag(uow: SqlUnitOfWork, actor: Actor, tag_id: int, name: str) -> Tag:
    actor.require(Permission.CUSTOMERS_MANAGE)
    name = clean_label(name)
    with uow:
        tag = uow.tags.get(actor.tenant_id, tag_id)
        if tag is None:
            raise NotFound("tag.not_found", "no such tag")
        if uow.tags.find(actor.tenant_id, tag.group_name, name) not in (None, tag):
            raise Conflict("tag.exists", "the tag “%(tag)s” exists already", field="name", tag=f"{tag.group_name}/{name}")
        uow.tags.rename_tag(actor.tenant_id, tag_id, name)
        renamed = uow.tags.get(actor.tenant_id, tag_id)
        uow.commit()
    assert renamed is not None
    return renamed


def delete_tag(uow: SqlUnitOfWork, actor: Actor, tag_id: int) -> None:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        if uow.tags.get(actor.tenant_id, tag_id) is None:
            raise NotFound("tag.not_found", "no such tag")
        uow.tags.delete_tag(actor.tenant_id, tag_id)
        uow.commit()


@dataclass(frozen=True, slots=True)
class TagChange:
    customers: int  # customers the request named
    changed: int  # (customer, tag) pairs actually added or removed


def apply_tags(uow: SqlUnitOfWork, actor: Actor, customer_ids: list[int], tag_ids: list[int], *, source: TagSource = TagSource.MANUAL) -> TagChange:
    return _change(uow, actor, customer_ids, tag_ids, add=True, source=source)


def remove_tags(uow: SqlUnitOfWork, actor: Actor, customer_ids: list[int], tag_ids: list[int]) -> TagChange:
    return _change(uow, actor, customer_ids, tag_ids, add=False, source=TagSource.MANUAL)


def _change(uow: SqlUnitOfWork, actor: Actor, customer_ids: list[int], tag_ids: list[int], *, add: bool, source: TagSource) -> TagChange:
    actor.require(Permission.CUSTOMERS_EDIT)
    customer_ids, tag_ids = sorted(set(customer_ids)), sorted(set(tag_ids))
    if not customer_ids or not tag_ids:
        raise InvalidInput("tag.nothing_chosen", "choose at least one customer and one tag", field="tag_ids" if customer_ids else "customer_ids")
    if len(customer_ids) > 10_000:
        raise InvalidInput("tag.too_many_customers", "at most %(max)s customers at a time", field="customer_ids", max="10,000")
    with uow:
        for customer_id in customer_ids:  # scope first: another store's customer is simply not there
            if uow.customers.get(actor.scope, customer_id) is None:
                raise NotFound("customer.not_found", "no such customer", customer_id=customer_id)
        tags = uow.tags.by_ids(actor.tenant_id, tag_ids)
        if len(tags) != len(tag_ids):
            raise InvalidInput("tag.not_found", "no such tag", field="tag_ids")
        changed = apply_in(uow, actor.tenant_id, {c: tag_ids for c in customer_ids}, add=add, source=source, actor=actor_label(actor))
        uow.commit()
    return TagChange(customers=len(customer_ids), changed=changed)


def apply_in(uow: SqlUnitOfWork, tenant_id: int, wanted: dict[int, list[int]], *, add: bool, source: str, actor: str,
             timeline: bool = True) -> int:
    """Inside an open unit of work: add (or remove) tags per customer, with timeline events
    (``timeline=False``: without; the caller records the change in an event of its own)."""
    now = utcnow()
    current = uow.tags.tag_ids_of(tenant_id, list(wanted))
    pairs = [(c, t) for c, ids in wanted.items() for t in ids if (t in current[c]) != add]
    if add:
        uow.tags.apply(tenant_id, pairs, source=source, applied_by=actor, now=now)
        journey_triggers.tags_applied(uow, tenant_id, pairs)
    else:
        uow.tags.remove_pairs(tenant_id, pairs)
    if not timeline:
        return len(pairs)
    labels = {t.id: t.label for t in uow.tags.by_ids(tenant_id, sorted({t for _, t in pairs})).values()}
    kind = EventKind.TAGGED if add else EventKind.UNTAGGED
    uow.timeline.add_many(
        [{"tenant_id": tenant_id, "customer_id": c, "kind": kind.value, "occurred_at": now, "actor": actor,
          "data": {"tag_id": t, "tag": labels[t], "source": source}} for c, t in pairs]
    )
    return len(pairs)
