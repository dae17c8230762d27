"""The demo brand 山茶咖啡: a deterministic coffee chain to explore the product with, at any size.

Same seed, same size, same day: the same brand. Loading it again changes nothing: the
organisation is looked up by slug and customers are loaded only into a brand that has none
(they are written in one transaction, so a brand has all of them or none).

- :mod:`.organisation`: regions, stores, staff and logins, through the ordinary services;
- :mod:`.catalogue`: channels and their costs, tags, fields, the calendar, names;
- :mod:`.people`: the people and what each source knows of them;
- :mod:`.customers`: people -> customers by the OneID rule, then relations, tags, stages;
- :mod:`.orders`: channels, costs, orders and behaviour events;
- :mod:`.replies`: an experiment and guide tasks of the past days, and customers' replies to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Scope
from siyu.domain.errors import Conflict
from siyu.domain.paging import PageRequest
from siyu.services import tenants
from siyu.services.clock import utcnow
from siyu.services.customers import CustomerFilter
from siyu.adapters.secret_box import SecretBox
from siyu.services.demo.customers import CustomerSummary, load_customers
from siyu.services.demo.live import link_sandbox
from siyu.services.wecom_settings import ChannelFactory
from siyu.services.demo.orders import OrdersSummary, load_orders
from siyu.services.demo.replies import RepliesSummary, load_replies
from siyu.services.demo.organisation import (
    DEMO_PASSWORD,
    DemoLogin,
    create_organisation,
    logins,
    organisation_complete,
    read_organisation,
)

__all__ = ["DEMO_NAME", "DEMO_PASSWORD", "DEMO_SLUG", "DEFAULT_CUSTOMERS", "DemoLogin", "DemoSummary", "load_demo_brand"]

DEMO_SLUG = "demo"
DEMO_NAME = "山茶咖啡"
DEFAULT_CUSTOMERS = 2_000


@dataclass(frozen=True, slots=True)
class DemoSummary:
    tenant_id: int
    created: bool  # False: the brand was there already and nothing changed
    regions: int
    stores: int
    staff: int
    logins: list[DemoLogin]
    customers: CustomerSummary | None = None
    orders: OrdersSummary | None = None
    replies: RepliesSummary | None = None


def load_demo_brand(
    new_uow: Callable[[], SqlUnitOfWork],
    *,
    seed: int = 7,
    customers: int = DEFAULT_CUSTOMERS,
    slug: str = DEMO_SLUG,
    today: date | None = None,
    one_by_one: bool = False,
    progress: Callable[[int], None] | None = None,
    box: SecretBox | None = None,
    channels: ChannelFactory | None = None,
) -> DemoSummary:
    """Create the demo brand unless it exists. ``new_uow`` returns a fresh unit of work.

    ``customers`` people are generated over the two years before ``today`` (default: today,
    UTC); ``one_by_one`` resolves their records with ``oneid.resolve`` one at a time instead
    of in batches (the same result, much slower: for comparisons). ``progress`` is called
    with the number of people written after each batch. Given the secret box and the channel
    factory, the brand is linked to the sandbox WeCom with contact ways for its channels
    (:mod:`.live`).
    """
    if customers < 1:
        raise ValueError("the demo brand needs at least one customer")
    tenant = tenants.find_tenant(new_uow(), slug)
    if tenant is None:
        tenant = tenants.create_tenant(new_uow(), slug=slug, name=DEMO_NAME)
        create_organisation(new_uow, tenant.id, slug, seed=seed)
    elif not organisation_complete(new_uow(), slug):
        raise Conflict("demo.incomplete", "the demo brand “%(slug)s” is incomplete (an earlier load stopped half-way); start from an empty database",
                       slug=slug)
    organisation = read_organisation(new_uow(), tenant.id)
    summary = DemoSummary(
        tenant.id, created=False, regions=organisation.regions, stores=len(organisation.stores), staff=organisation.staff,
        logins=logins(slug),
    )
    if _has_customers(new_uow(), tenant.id):
        return summary
    loaded = load_customers(
        new_uow(), organisation, people=customers, seed=seed, today=today or utcnow().date(), one_by_one=one_by_one,
        progress=progress,
    )
    orders = load_orders(new_uow, organisation, seed=seed, today=today or utcnow().date())
    replies = load_replies(new_uow, organisation, seed=seed, today=today or utcnow().date())
    if box is not None and channels is not None:
        link_sandbox(new_uow, box, channels, tenant.id, seed=seed)
    return DemoSummary(
        tenant.id, created=True, regions=summary.regions, stores=summary.stores, staff=summary.staff, logins=summary.logins,
        customers=loaded, orders=orders, replies=replies,
    )


def _has_customers(uow: SqlUnitOfWork, tenant_id: int) -> bool:
    with uow:
        return bool(uow.customers.list(Scope(tenant_id), CustomerFilter(), PageRequest(page_size=1)).items)
