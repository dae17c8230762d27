"""Names for the ids a table shows (a store's region, a staff member's store, a customer's staff).

The services list at most ``MAX_PAGE_SIZE`` rows a call, so these walk every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.channels import Channel
from siyu.domain.organisation import Region, Staff, Store
from siyu.domain.paging import MAX_PAGE_SIZE, Page, PageRequest
from siyu.domain.tags import Tag
from siyu.services import channels, fields, regions, segments, stages, staff, stores, tags
from siyu.web.segment_editor import Choices

T = TypeVar("T")


def every(fetch: Callable[[PageRequest], Page[T]]) -> list[T]:
    items: list[T] = []
    number = 1
    while True:
        batch = fetch(PageRequest(page=number, page_size=MAX_PAGE_SIZE))
        items.extend(batch.items)
        if not batch.has_next:
            return items
        number += 1


def all_regions(context: Context, actor: Actor) -> list[Region]:
    return every(lambda request: regions.list_regions(context.uow(), actor, request))


def all_stores(context: Context, actor: Actor) -> list[Store]:
    return every(lambda request: stores.list_stores(context.uow(), actor, request))


def all_staff(context: Context, actor: Actor) -> list[Staff]:
    return every(lambda request: staff.list_staff(context.uow(), actor, request))


def all_channels(context: Context, actor: Actor) -> list[Channel]:
    return every(lambda request: channels.list_channels(context.uow(), actor, request))


def editor_choices(context: Context, actor: Actor, *, except_segment: int | None = None) -> Choices:
    """The tenant's tags, stages, channels, staff, stores, regions, segments and fields, for the
    pickers of the segment editor and the journey editor (a segment is not offered to itself)."""
    return Choices(
        tags=[(str(t.id), t.label) for t in tags.list_tags(context.uow(), actor)],
        stages=[(str(s.id), s.name) for s in stages.list_stages(context.uow(), actor)],
        channels=[(str(c.id), c.name) for c in all_channels(context, actor)],
        staff=[(str(m.id), m.name) for m in all_staff(context, actor)],
        stores=[(str(s.id), s.name) for s in all_stores(context, actor)],
        regions=[(str(r.id), r.name) for r in all_regions(context, actor)],
        segments=[(str(s.id), s.name) for s in every(lambda r: segments.list_segments(context.uow(), actor, r))
                  if s.id != except_segment],
        fields={f.key: f for f in fields.list_fields(context.uow(), actor)},
    )


def grouped_tags(tags: list[Tag]) -> list[tuple[str, list[Tag]]]:
    """Tags under their group names, in the order the service lists them (group, then tag)."""
    groups: dict[str, list[Tag]] = {}
    for tag in tags:
        groups.setdefault(tag.group_name, []).append(tag)
    return list(groups.items())
