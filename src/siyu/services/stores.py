"""Stores (门店)."""

from __future__ import annotations

from dataclasses import asdict

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.organisation import Store, StoreDraft
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow


def list_stores(
    uow: SqlUnitOfWork,
    actor: Actor,
    request: PageRequest = PageRequest(),
    *,
    region_id: int | None = None,
    q: str | None = None,
) -> Page[Store]:
    actor.require(Permission.ORG_VIEW)
    with uow:
        return uow.stores.list(actor.scope, request, region_id=region_id, q=q)


def get_store(uow: SqlUnitOfWork, actor: Actor, store_id: int) -> Store:
    actor.require(Permission.ORG_VIEW)
    with uow:
        store = uow.stores.get(actor.scope, store_id)
    if store is None:
        raise NotFound("store.not_found", "no such store")
    return store


def _check(uow: SqlUnitOfWork, actor: Actor, draft: StoreDraft, store_id: int | None) -> None:
    if draft.region_id is not None and uow.regions.get(actor.scope, draft.region_id) is None:
        raise InvalidInput("region.not_found", "no such region", field="region_id")
    clash = uow.stores.find_by_name_or_code(actor.tenant_id, draft.name, draft.code)
    if clash and clash.id != store_id:
        if clash.name == draft.name:
            raise Conflict("store.name_taken", "another store already uses this name", field="name")
        raise Conflict("store.code_taken", "another store already uses this code", field="code")


def create_store(uow: SqlUnitOfWork, actor: Actor, draft: StoreDraft) -> Store:
    actor.require(Permission.ORG_MANAGE)
    with uow:
        _check(uow, actor, draft, None)
        store = uow.stores.add(actor.tenant_id, now=utcnow(), **asdict(draft))
        uow.commit()
        return store


def update_store(uow: SqlUnitOfWork, actor: Actor, store_id: int, draft: StoreDraft) -> Store:
    actor.require(Permission.ORG_MANAGE)
    with uow:
        if uow.stores.get(actor.scope, store_id) is None:
            raise NotFound("store.not_found", "no such store")
        _check(uow, actor, draft, store_id)
        uow.stores.update(actor.tenant_id, store_id, **asdict(draft))
        store = uow.stores.get(actor.scope, store_id)
        uow.commit()
    assert store is not None
    return store
