"""Welcome messages (欢迎语) in the console: the list by scope (the default, a channel's, a contact
way's), which one an add through a given way gets (the order tried), and the form: the text
with placeholder buttons and a live preview filled with sample names (``siyu.domain.contact_ways.fill``,
the sender's own fill, run on the server), and up to nine attachments from the material library.
A save queues the upload of its files (``siyu.task_queueing.queue_welcome_media``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.contact_ways import fill
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.welcome import MAX_ATTACHMENTS, TEXT_MAX_BYTES, WelcomeDraft, WelcomeMessage, WelcomeScope
from siyu.services import channels, contact_ways, welcome
from siyu.task_queueing import queue_welcome_media
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, filter_id, filter_ids, optional_id
from siyu.web.i18n import N_, Language
from siyu.web.lookups import every
from siyu.web.render import flash, fragment, language_for, page, redirect
from siyu.web.routes.materials import KINDS
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
SCOPES = ((WelcomeScope.DEFAULT, N_("Default")), (WelcomeScope.CHANNEL, N_("Channel")), (WelcomeScope.WAY, N_("Contact way")))
TEXT_LIMIT = TEXT_MAX_BYTES - 200  # what WelcomeDraft takes: room is left for the names
SAMPLE_CUSTOMER, SAMPLE_STAFF = N_("Han Meimei"), N_("Li Lei")  # the preview's names when none is typed


class WelcomeFields(BaseModel):
    """The form as typed, kept as text so a rejected form comes back unchanged."""

    scope: str = WelcomeScope.DEFAULT.value
    channel_id: str = ""
    contact_way_id: str = ""
    text: str = ""
    material_ids: list[str] = []
    sample_customer: str = ""  # the preview's names: never saved
    sample_staff: str = ""

    @classmethod
    def of(cls, message: WelcomeMessage) -> WelcomeFields:
        return cls(scope=message.scope.value, channel_id=str(message.channel_id or ""), contact_way_id=str(message.contact_way_id or ""),
                   text=message.text, material_ids=[str(i) for i in message.material_ids])

    def draft(self) -> WelcomeDraft:
        ordered = [int(i) for i in dict.fromkeys(self.material_ids) if i.isdigit()]
        return WelcomeDraft.parse(
            scope=self.scope, text=self.text, material_ids=ordered,
            channel_id=optional_id(self.channel_id, "channel_id") if self.scope == WelcomeScope.CHANNEL.value else None,
            contact_way_id=optional_id(self.contact_way_id, "contact_way_id") if self.scope == WelcomeScope.WAY.value else None)


Fields = Annotated[WelcomeFields, Form()]


def _names(request: Request, viewer: Viewer) -> tuple[dict[int, str], dict[int, str]]:
    context, actor = get_console(request).context, viewer.actor
    known = {c.id: c.name for c in every(lambda r: channels.list_channels(context.uow(), actor, r))}
    ways = {w.id: w.name for w in every(lambda r: contact_ways.list_contact_ways(context.uow(), actor, r))}
    return known, ways


@router.get("/welcome-messages")
def list_welcome_messages(request: Request, viewer: CurrentViewer, paging: Paging, way_id: str = "") -> Response:
    context, actor = get_console(request).context, viewer.actor
    channel_names, way_names = _names(request, viewer)
    chosen_way = filter_id(way_id)
    view = {"messages": welcome.list_welcome_messages(context.uow(), actor, paging), "scopes": dict(SCOPES),
            "channel_names": channel_names, "way_names": way_names, "way_id": chosen_way,
            "resolution": welcome.welcome_for_way(context.uow(), actor, chosen_way) if chosen_way in way_names else None,
            "can_manage": actor.can(Permission.CHANNELS_MANAGE)}
    return page(request, "welcome_messages/list.html", view)


def _preview(language: Language, fields: WelcomeFields) -> dict[str, object]:
    customer = fields.sample_customer.strip() or language.gettext(SAMPLE_CUSTOMER)
    staff = fields.sample_staff.strip() or language.gettext(SAMPLE_STAFF)
    return {"filled": fill(fields.text.strip(), customer_name=customer, staff_name=staff), "used": len(fields.text.strip().encode()),
            "limit": TEXT_LIMIT}


def _form(request: Request, viewer: Viewer, values: WelcomeFields, *, message: WelcomeMessage | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    context = get_console(request).context
    channel_names, way_names = _names(request, viewer)
    language = language_for(request)
    view = {"values": values.model_dump(), "message": message, "errors": errors or {},
            "channel_options": sorted(channel_names.items(), key=lambda kv: kv[1]), "way_options": sorted(way_names.items(), key=lambda kv: kv[1]),
            "materials": every(lambda r: welcome.list_materials(context.uow(), viewer.actor, r)), "kind_names": dict(KINDS),
            "max_attachments": MAX_ATTACHMENTS, "preview": _preview(language, values)}
    return page(request, "welcome_messages/form.html", view, status_code=status_code)


def _save(request: Request, viewer: Viewer, fields: WelcomeFields, message_id: int | None) -> Response:
    context = get_console(request).context
    message = welcome.get_welcome_message(context.uow(), viewer.actor, message_id) if message_id is not None else None
    try:
        saved = welcome.save_welcome_message(context.uow(), viewer.actor, fields.draft(), message_id)
    except (InvalidInput, Conflict, NotFound) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, message=message, errors=errors, status_code=status)
    queue_welcome_media(context, viewer.actor, saved)
    response = redirect("/welcome-messages")
    flash(request, response, N_("Welcome message saved."))
    return response


@router.get("/welcome-messages/new")
def new_welcome_message(request: Request, viewer: CurrentViewer, scope: str = "", channel_id: str = "", way_id: str = "") -> Response:
    known = scope if scope in {s.value for s in WelcomeScope} else WelcomeScope.DEFAULT.value
    return _form(request, viewer, WelcomeFields(scope=known, channel_id=str(filter_id(channel_id) or ""),
                                                contact_way_id=str(filter_id(way_id) or "")))


@router.post("/welcome-messages/new")
def create_welcome_message(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    return _save(request, viewer, fields, None)


@router.post("/welcome-messages/preview")
def preview_welcome_message(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    viewer.actor.require(Permission.CHANNELS_VIEW)
    return fragment(request, "welcome_messages/_preview.html", {"preview": _preview(language_for(request), fields),
                                                                "chosen": len(filter_ids(fields.material_ids))})


@router.get("/welcome-messages/{message_id}/edit")
def edit_welcome_message(request: Request, viewer: CurrentViewer, message_id: int) -> Response:
    message = welcome.get_welcome_message(get_console(request).context.uow(), viewer.actor, message_id)
    return _form(request, viewer, WelcomeFields.of(message), message=message)


@router.post("/welcome-messages/{message_id}/edit")
def update_welcome_message(request: Request, viewer: CurrentViewer, message_id: int, fields: Fields) -> Response:
    return _save(request, viewer, fields, message_id)


@router.post("/welcome-messages/{message_id}/delete")
def delete_welcome_message(request: Request, viewer: CurrentViewer, message_id: int) -> Response:
    welcome.delete_welcome_message(get_console(request).context.uow(), viewer.actor, message_id)
    response = redirect("/welcome-messages")
    flash(request, response, N_("Welcome message deleted."))
    return response
