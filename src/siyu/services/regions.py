"""Regions (区域): groups of stores."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, NotFound
from siyu.domain.organisation import Region, clean_name
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow


def list_regions(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[Region]:
    actor.require(Permission.ORG_VIEW)
    with uow:
        return uow.regions.list(actor.scope, request)


def get_region(uow: SqlUnitOfWork, actor: Actor, region_id: int) -> Region:
    actor.require(Permission.ORG_VIEW)
    with uow:
        region = uow.regions.get(actor.scope, region_id)
    if region is None:
        raise NotFound("region.not_found", "no such region")
    return region


def create_region(uow: SqlUnitOfWork, actor: Actor, name: str) -> Region:
    actor.require(Permission.ORG_MANAGE)
    name = clean_name(name)
    with uow:
        if uow.regions.find_by_name(actor.tenant_id, name):
            raise Conflict("region.name_taken", "a region named “%(name)s” already exists", field="name", name=name)
        region = uow.regions.add(actor.tenant_id, name=name, now=utcnow())
        uow.commit()
        return region


def rename_region(uow: SqlUnitOfWork, actor: Actor, region_id: int, name: str) -> Region:
    actor.require(Permission.ORG_MANAGE)
    name = clean_name(name)
    with uow:
        if uow.regions.get(actor.scope, region_id) is None:
            raise NotFound("region.not_found", "no such region")
        clash = uow.regions.find_by_name(actor.tenant_id, name)
        if clash and clash.id != region_id:
            raise Conflict("region.name_taken", "a region named “%(name)s” already exists", field="name", name=name)
        uow.regions.rename(actor.tenant_id, region_id, name)
        region = uow.regions.get(actor.scope, region_id)
        uow.commit()
    assert region is not None
    return region
