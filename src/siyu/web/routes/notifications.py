"""Notifications (提醒): deletion alerts for the store manager — the bell's count in the layout,
the list with read/unread, and the deletions counted per staff member and channel per day."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.services import alerts
from siyu.web.console import get_console
from siyu.web.forms import Paging
from siyu.web.render import fragment, page, redirect
from siyu.web.session import CurrentViewer

router = APIRouter()


@router.get("/notifications")
def list_notifications(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    uow = get_console(request).context.uow
    found = alerts.list_alerts(uow(), viewer.actor, paging)
    by_staff, by_channel = alerts.counts(uow(), viewer.actor)
    view = {"alerts": found, "unread": alerts.unread_count(uow(), viewer.actor), "by_staff": by_staff, "by_channel": by_channel,
            "query": ""}
    return page(request, "notifications/list.html", view)


@router.get("/notifications/unread")
def unread_notifications(request: Request, viewer: CurrentViewer) -> Response:
    """The bell's badge (HTMX loads it into the layout)."""
    count = alerts.unread_count(get_console(request).context.uow(), viewer.actor)
    return fragment(request, "notifications/_bell.html", {"unread": count})


@router.post("/notifications/read")
def read_all_notifications(request: Request, viewer: CurrentViewer) -> Response:
    alerts.mark_read(get_console(request).context.uow(), viewer.actor)
    return redirect("/notifications")


@router.post("/notifications/{alert_id:int}/read")
def read_notification(request: Request, viewer: CurrentViewer, alert_id: int) -> Response:
    alerts.mark_read(get_console(request).context.uow(), viewer.actor, [alert_id])
    return redirect("/notifications")
