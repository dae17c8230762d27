"""Channels (渠道) and their costs: the list with search, group and archive filters, the channel
form, archive and restore, and the costs per period of one channel (enter, edit, delete).

Costs are for ``channels.manage`` (the service says so); ``channels.view`` sees the list.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.channels import Channel, ChannelCost, ChannelDraft, CostDraft
from siyu.domain.customers import parse_date
from siyu.domain.errors import Conflict, InvalidInput
from siyu.services import channels
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, optional_id, query_string
from siyu.web.i18n import N_
from siyu.web.lookups import all_staff
from siyu.web.render import flash, flash_error, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()


class ChannelFields(BaseModel):
    """The channel form as typed, kept as text so a rejected form comes back unchanged."""

    name: str = ""
    state: str = ""
    group_name: str = ""
    owner_staff_id: str = ""

    @classmethod
    def of(cls, channel: Channel) -> ChannelFields:
        return cls(name=channel.name, state=channel.state, group_name=channel.group_name or "",
                   owner_staff_id=str(channel.owner_staff_id or ""))

    def draft(self) -> ChannelDraft:
        return ChannelDraft.parse(name=self.name, state=self.state, group_name=self.group_name,
                                  owner_staff_id=optional_id(self.owner_staff_id, "owner_staff_id"))


class CostFields(BaseModel):
    period_start: str = ""
    period_end: str = ""
    amount: str = ""
    note: str = ""

    @classmethod
    def of(cls, cost: ChannelCost) -> CostFields:
        return cls(period_start=cost.period_start.isoformat(), period_end=cost.period_end.isoformat(),
                   amount=str(cost.amount), note=cost.note or "")

    def draft(self) -> CostDraft:
        return CostDraft.parse(period_start=parse_date(self.period_start, field="period_start"),
                               period_end=parse_date(self.period_end, field="period_end"), amount=self.amount, note=self.note)


ChannelForm = Annotated[ChannelFields, Form()]
CostForm = Annotated[CostFields, Form()]


@router.get("/channels")
def list_channels(request: Request, viewer: CurrentViewer, paging: Paging, q: str = "", group: str = "",
                  archived: str = "") -> Response:
    context = get_console(request).context
    text, group_name, show_archived = q.strip()[:64], group.strip()[:64], archived == "1"
    found = channels.list_channels(context.uow(), viewer.actor, paging, q=text or None, group=group_name or None,
                                   archived=show_archived)
    view = {
        "channels": found,
        "filters": {"q": q, "group": group, "archived": show_archived},
        "query": query_string({"q": text, "group": group_name, "archived": "1" if show_archived else ""}),
    }
    if is_htmx(request):
        return fragment(request, "channels/_table.html", view)
    return page(request, "channels/list.html", view)


def _form(request: Request, viewer: Viewer, channel: Channel | None, fields: ChannelFields,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    view = {"channel": channel, "values": fields.model_dump(), "errors": errors or {},
            "staff": all_staff(get_console(request).context, viewer.actor)}
    return page(request, "channels/form.html", view, status_code=status_code)


def _save(request: Request, viewer: Viewer, fields: ChannelFields, channel: Channel | None) -> Response:
    uow = get_console(request).context.uow()
    try:
        draft = fields.draft()
        if channel is None:
            saved, message = channels.create_channel(uow, viewer.actor, draft), N_("Channel “%(name)s” created.")
        else:
            saved, message = channels.update_channel(uow, viewer.actor, channel.id, draft), N_("Channel “%(name)s” saved.")
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, channel, fields, errors, status)
    response = redirect("/channels")
    flash(request, response, message, name=saved.name)
    return response


@router.get("/channels/new")
def new_channel(request: Request, viewer: CurrentViewer) -> Response:
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    return _form(request, viewer, None, ChannelFields())


@router.post("/channels/new")
def create_channel(request: Request, viewer: CurrentViewer, fields: ChannelForm) -> Response:
    return _save(request, viewer, fields, None)


@router.get("/channels/{channel_id:int}/edit")
def edit_channel(request: Request, viewer: CurrentViewer, channel_id: int) -> Response:
    channel = channels.get_channel(get_console(request).context.uow(), viewer.actor, channel_id)
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    return _form(request, viewer, channel, ChannelFields.of(channel))


@router.post("/channels/{channel_id:int}/edit")
def update_channel(request: Request, viewer: CurrentViewer, channel_id: int, fields: ChannelForm) -> Response:
    channel = channels.get_channel(get_console(request).context.uow(), viewer.actor, channel_id)
    return _save(request, viewer, fields, channel)


def _archive(request: Request, viewer: Viewer, channel_id: int, *, archived: bool) -> Response:
    channel = channels.archive_channel(get_console(request).context.uow(), viewer.actor, channel_id, archived=archived)
    response = redirect("/channels?archived=1" if not archived else "/channels")
    message = N_("Channel “%(name)s” archived.") if archived else N_("Channel “%(name)s” restored.")
    flash(request, response, message, name=channel.name)
    return response


@router.post("/channels/{channel_id:int}/archive")
def archive_channel(request: Request, viewer: CurrentViewer, channel_id: int) -> Response:
    return _archive(request, viewer, channel_id, archived=True)


@router.post("/channels/{channel_id:int}/restore")
def restore_channel(request: Request, viewer: CurrentViewer, channel_id: int) -> Response:
    return _archive(request, viewer, channel_id, archived=False)


# costs


def _costs(request: Request, viewer: Viewer, channel_id: int, paging: Paging, fields: CostFields | None = None,
           errors: dict[str, str] | None = None, status_code: int = 200, editing: ChannelCost | None = None) -> Response:
    uow = get_console(request).context.uow()
    channel = channels.get_channel(uow, viewer.actor, channel_id)
    costs = channels.list_costs(uow, viewer.actor, channel_id, paging)  # requires channels.manage
    view = {"channel": channel, "costs": costs, "editing": editing, "values": (fields or CostFields()).model_dump(),
            "errors": errors or {}}
    return page(request, "channels/costs.html", view, status_code=status_code)


@router.get("/channels/{channel_id:int}/costs")
def list_costs(request: Request, viewer: CurrentViewer, channel_id: int, paging: Paging) -> Response:
    return _costs(request, viewer, channel_id, paging)


@router.post("/channels/{channel_id:int}/costs")
def add_cost(request: Request, viewer: CurrentViewer, channel_id: int, paging: Paging, fields: CostForm) -> Response:
    try:
        channels.add_cost(get_console(request).context.uow(), viewer.actor, channel_id, fields.draft())
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _costs(request, viewer, channel_id, paging, fields, errors, status)
    response = redirect(f"/channels/{channel_id}/costs")
    flash(request, response, N_("Cost for %(start)s to %(end)s saved."), start=fields.period_start, end=fields.period_end)
    return response


@router.get("/channels/{channel_id:int}/costs/{cost_id:int}/edit")
def edit_cost(request: Request, viewer: CurrentViewer, channel_id: int, cost_id: int, paging: Paging) -> Response:
    cost = channels.get_cost(get_console(request).context.uow(), viewer.actor, channel_id, cost_id)
    return _costs(request, viewer, channel_id, paging, CostFields.of(cost), editing=cost)


@router.post("/channels/{channel_id:int}/costs/{cost_id:int}/edit")
def update_cost(request: Request, viewer: CurrentViewer, channel_id: int, cost_id: int, paging: Paging,
                fields: CostForm) -> Response:
    uow = get_console(request).context.uow()
    cost = channels.get_cost(uow, viewer.actor, channel_id, cost_id)
    try:
        channels.update_cost(uow, viewer.actor, channel_id, cost_id, fields.draft())
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _costs(request, viewer, channel_id, paging, fields, errors, status, editing=cost)
    response = redirect(f"/channels/{channel_id}/costs")
    flash(request, response, N_("Cost for %(start)s to %(end)s saved."), start=fields.period_start, end=fields.period_end)
    return response


@router.post("/channels/{channel_id:int}/costs/{cost_id:int}/delete")
def delete_cost(request: Request, viewer: CurrentViewer, channel_id: int, cost_id: int) -> Response:
    response = redirect(f"/channels/{channel_id}/costs")
    try:
        channels.delete_cost(get_console(request).context.uow(), viewer.actor, channel_id, cost_id)
    except Conflict as exc:
        flash_error(request, response, exc)
        return response
    flash(request, response, N_("Cost deleted."))
    return response
