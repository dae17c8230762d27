"""Orders (订单): the list in the viewer's scope, and the orders that match no customer yet."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.domain.access import Permission
from siyu.services import channels, orders
from siyu.web.console import get_console
from siyu.web.forms import Paging
from siyu.web.lookups import all_staff, all_stores
from siyu.web.render import language_for, page
from siyu.web.session import CurrentViewer
from siyu.web.timeline import order_source, order_status

router = APIRouter()


@router.get("/orders")
def list_orders(request: Request, viewer: CurrentViewer, paging: Paging, unmatched: bool = False) -> Response:
    context, actor = get_console(request).context, viewer.actor
    found = (orders.list_unmatched_orders(context.uow(), actor, paging) if unmatched
             else orders.list_orders(context.uow(), actor, paging))
    language = language_for(request)
    known_channels = channels.list_channels(context.uow(), actor).items if actor.can(Permission.CHANNELS_VIEW) else []
    view = {
        "orders": found,
        "unmatched": unmatched,
        "store_names": {s.id: s.name for s in all_stores(context, actor)},
        "staff_names": {m.id: m.name for m in all_staff(context, actor)},
        "channel_names": {c.id: c.name for c in known_channels},
        "order_source": lambda source: order_source(language, source),
        "order_status": lambda status: order_status(language, status),
        "query": "unmatched=1" if unmatched else "",
        "here": "/orders",
    }
    return page(request, "orders/list.html", view)
