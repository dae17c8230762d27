"""The overview (概览): how big the organisation is, the guide-task leaderboards, and where to go next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import PageRequest
from siyu.services import guide_tasks, regions, staff, stores
from siyu.web.console import get_console
from siyu.web.render import page
from siyu.web.session import CurrentViewer

router = APIRouter()
COUNT_ONLY = PageRequest(page=1, page_size=1)


@router.get("/")
def overview(request: Request, viewer: CurrentViewer) -> Response:
    context, actor = get_console(request).context, viewer.actor
    counts = {
        "stores": stores.list_stores(context.uow(), actor, COUNT_ONLY).total,
        "regions": regions.list_regions(context.uow(), actor, COUNT_ONLY).total,
        "active_staff": staff.list_staff(context.uow(), actor, COUNT_ONLY, status=StaffStatus.ACTIVE).total,
        "resigned_staff": staff.list_staff(context.uow(), actor, COUNT_ONLY, status=StaffStatus.RESIGNED).total,
    }
    return page(request, "home.html", {"counts": counts, "boards": guide_tasks.boards(context.uow(), actor)})
