"""Names for the ids a table shows (a store's region, a staff member's store, a customer's staff).

The services list at most ``MAX_PAGE_SIZE`` rows a call, so these walk every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.organisation import Region, Staff, Store
from siyu.domain.paging import MAX_PAGE_SIZE, Page, PageRequest
from siyu.domain.tags import Tag
from siyu.services import regions, staff, stores

T = TypeVar("T")


def _every(fetch: Callable[[PageRequest], Page[T]]) -> list[T]:
    items: list[T] = []
    number = 1
    while True:
        batch = fetch(PageRequest(page=number, page_size=MAX_PAGE_SIZE))
        items.extend(batch.items)
        if not batch.has_next:
            return items
        number += 1


def all_regions(context: Context, actor: Actor) -> list[Region]:
    return _every(lambda request: regions.list_regions(context.uow(), actor, request))


def all_stores(context: Context, actor: Actor) -> list[Store]:
    return _every(lambda request: stores.list_stores(context.uow(), actor, request))


def all_staff(context: Context, actor: Actor) -> list[Staff]:
    return _every(lambda request: staff.list_staff(context.uow(), actor, request))


def grouped_tags(tags: list[Tag]) -> list[tuple[str, list[Tag]]]:
    """Tags under their group names, in the order the service lists them (group, then tag)."""
    groups: dict[str, list[Tag]] = {}
    for tag in tags:
        groups.setdefault(tag.group_name, []).append(tag)
    return list(groups.items())
