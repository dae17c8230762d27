"""Tenants (the brands) and their first admin."""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.errors import Conflict, NotFound
from siyu.domain.organisation import Tenant, clean_name, clean_slug
from siyu.services.clock import utcnow


def create_tenant(uow: SqlUnitOfWork, *, slug: str, name: str) -> Tenant:
    """Operator-level set-up (CLI), not reachable from a tenant's API."""
    slug = clean_slug(slug)
    name = clean_name(name)
    with uow:
        if uow.tenants.find_by_slug(slug) is not None:
            raise Conflict("tenant.exists", "a tenant “%(slug)s” already exists", field="slug", slug=slug)
        tenant = uow.tenants.add(slug=slug, name=name, now=utcnow())
        uow.commit()
    return tenant


def find_tenant(uow: SqlUnitOfWork, slug: str) -> Tenant | None:
    with uow:
        return uow.tenants.find_by_slug(slug)


def get_tenant(uow: SqlUnitOfWork, tenant_id: int) -> Tenant:
    with uow:
        found = uow.tenants.get(tenant_id)
    if found is None:
        raise NotFound("tenant.not_found", "no such tenant")
    return found
