"""Contact ways (渠道活码) in the console: the list with today's adds, the create and edit
form (staff, rotation, hours, cap, fallback, tags, stage, remark, welcome text), the QR code
(WeCom's own image, fetched through the channel) and a printable poster (:mod:`siyu.web.posters`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.contact_ways import ContactWay, ContactWayDraft, StaffRule
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.paging import PageRequest
from siyu.domain.welcome import WelcomeDraft, WelcomeMessage
from siyu.services import channels, contact_ways, stages, tags, welcome
from siyu.web.console import get_console
from siyu.web.forms import FORM_WIDE, Paging, failure, optional_id
from siyu.web.i18n import N_
from siyu.web.lookups import all_staff
from siyu.web.posters import qr_poster, qr_response
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
ALL_CHANNELS = PageRequest(page=1, page_size=200)


class WayFields(BaseModel):
    """The form as typed, kept as text so a rejected form comes back unchanged."""

    channel_id: str = ""
    name: str = ""
    state: str = ""
    rotation: str = "round_robin"
    staff_ids: list[str] = []
    weights: str = ""  # "staff_id:weight, ..." for weighted rotation
    fallback_id: str = ""
    start_hour: str = "0"
    end_hour: str = "24"
    weekdays: list[str] = []
    daily_cap: str = ""
    skip_verify: str = "on"
    tag_ids: list[str] = []
    stage_id: str = ""
    remark_template: str = ""
    welcome_text: str = ""

    @classmethod
    def of(cls, way: ContactWay, welcome_text: str) -> WayFields:
        main = [r for r in way.staff if not r.fallback]
        first = main[0]
        return cls(channel_id=str(way.channel_id), name=way.name, state=way.state, rotation=way.rotation.value,
                   staff_ids=[str(r.staff_id) for r in main], weights=", ".join(f"{r.staff_id}:{r.weight}" for r in main if r.weight != 1),
                   fallback_id=next((str(r.staff_id) for r in way.staff if r.fallback), ""), start_hour=str(first.start_hour),
                   end_hour=str(first.end_hour), weekdays=[str(d) for d in first.weekdays],
                   daily_cap=str(first.daily_cap or ""), skip_verify="on" if way.skip_verify else "",
                   tag_ids=[str(t) for t in way.tag_ids], stage_id=str(way.stage_id or ""),
                   remark_template=way.remark_template or "", welcome_text=welcome_text)

    def _int(self, raw: str, field: str, default: int | None) -> int | None:
        value = raw.strip()
        if not value:
            return default
        if not value.isdigit():
            raise InvalidInput("form.whole_number", "enter a whole number", field=field)
        return int(value)

    def draft(self) -> ContactWayDraft:
        weights: dict[int, int] = {}
        for part in filter(None, (p.strip() for p in self.weights.split(","))):
            staff_id, _, weight = part.partition(":")
            if not (staff_id.strip().isdigit() and weight.strip().isdigit()):
                raise InvalidInput("contact_way.bad_weight", "a weight is 1 to 100", field="weights")
            weights[int(staff_id)] = int(weight)
        common = {"weekdays": [int(d) for d in self.weekdays if d.isdigit()] or None,
                  "start_hour": self._int(self.start_hour, "start_hour", 0), "end_hour": self._int(self.end_hour, "end_hour", 24),
                  "daily_cap": self._int(self.daily_cap, "daily_cap", None)}
        ids = [int(i) for i in self.staff_ids if i.isdigit()]
        rules = [StaffRule.parse(staff_id=i, weight=weights.get(i, 1), **common) for i in ids]  # type: ignore[arg-type]
        fallback = optional_id(self.fallback_id, "fallback_id")
        if fallback is not None and fallback not in ids:
            rules.append(StaffRule.parse(staff_id=fallback, fallback=True))
        channel_id = optional_id(self.channel_id, "channel_id")
        if channel_id is None:
            raise InvalidInput("form.choose_option", "choose one of the options", field="channel_id")
        return ContactWayDraft.parse(channel_id=channel_id, name=self.name, state=self.state,
                                     kind="single" if len(rules) == 1 else "multi", rotation=self.rotation, staff=rules,
                                     skip_verify=bool(self.skip_verify), tag_ids=[int(t) for t in self.tag_ids if t.isdigit()],
                                     remark_template=self.remark_template, stage_id=optional_id(self.stage_id, "stage_id"))


Fields = Annotated[WayFields, Form()]


def _choices(request: Request, viewer: Viewer) -> dict[str, object]:
    context, actor = get_console(request).context, viewer.actor
    staff = all_staff(context, actor)
    return {"channel_options": [(c.id, c.name) for c in channels.list_channels(context.uow(), actor, ALL_CHANNELS).items],
            "staff": staff, "staff_options": [(s.id, s.name) for s in staff], "tags": tags.list_tags(context.uow(), actor),
            "stage_options": [(s.id, s.name) for s in stages.list_stages(context.uow(), actor)]}


@router.get("/contact-ways")
def list_contact_ways(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    context, actor = get_console(request).context, viewer.actor
    found = contact_ways.list_contact_ways(context.uow(), actor, paging)
    counts = contact_ways.adds_today(context.uow(), actor, [w.id for w in found.items])
    known = {c.id: c.name for c in channels.list_channels(context.uow(), actor, ALL_CHANNELS).items}
    names = {s.id: s.name for s in all_staff(context, actor)}
    view = {"ways": found, "counts": counts, "channel_names": known, "staff_names": names,
            "can_manage": actor.can(Permission.CHANNELS_MANAGE)}
    return page(request, "contact_ways/list.html", view)


def _form(request: Request, viewer: Viewer, values: WayFields, *, way: ContactWay | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    view = {"values": values.model_dump(), "way": way, "errors": errors or {}, **_choices(request, viewer)}
    return page(request, "contact_ways/form.html", view, status_code=status_code)


def _way_welcome(request: Request, viewer: Viewer, way_id: int) -> WelcomeMessage | None:
    return welcome.welcome_for_way(get_console(request).context.uow(), viewer.actor, way_id).tried[0][1]  # the way's own


def _save_welcome(request: Request, viewer: Viewer, way_id: int, text: str) -> None:
    """The way's own welcome text; its attachments (chosen on the welcome message page) are kept."""
    existing = _way_welcome(request, viewer, way_id)
    kept = existing.material_ids if existing else ()
    context = get_console(request).context
    if text.strip() or kept:
        draft = WelcomeDraft.parse(scope="way", text=text, material_ids=kept, contact_way_id=way_id)
        welcome.save_welcome_message(context.uow(), viewer.actor, draft, existing.id if existing else None)
    elif existing is not None:
        welcome.delete_welcome_message(context.uow(), viewer.actor, existing.id)


@router.get("/contact-ways/new")
def new_contact_way(request: Request, viewer: CurrentViewer) -> Response:
    return _form(request, viewer, WayFields())


@router.post("/contact-ways/new")
def create_contact_way(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    context = get_console(request).context
    try:
        if fields.welcome_text.strip():  # checked before the way is made in WeCom
            WelcomeDraft.parse(scope="way", text=fields.welcome_text, contact_way_id=0)
        way = contact_ways.create_contact_way(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, fields.draft())
        _save_welcome(request, viewer, way.id, fields.welcome_text)
    except (InvalidInput, Conflict, NotFound) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, errors=errors, status_code=status)
    response = redirect("/contact-ways")
    flash(request, response, N_("Contact way “%(name)s” created."), name=way.name)
    return response


@router.get("/contact-ways/{way_id}/edit")
def edit_contact_way(request: Request, viewer: CurrentViewer, way_id: int) -> Response:
    way = contact_ways.get_contact_way(get_console(request).context.uow(), viewer.actor, way_id)
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    own = _way_welcome(request, viewer, way_id)
    return _form(request, viewer, WayFields.of(way, own.text if own else ""), way=way)


@router.post("/contact-ways/{way_id}/edit")
def update_contact_way(request: Request, viewer: CurrentViewer, way_id: int, fields: Fields) -> Response:
    context = get_console(request).context
    way = contact_ways.get_contact_way(context.uow(), viewer.actor, way_id)
    try:
        way = contact_ways.update_contact_way(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, way_id,
                                              fields.draft())
        _save_welcome(request, viewer, way.id, fields.welcome_text)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, way=way, errors=errors, status_code=status)
    response = redirect("/contact-ways")
    flash(request, response, N_("Contact way “%(name)s” saved."), name=way.name)
    return response


@router.post("/contact-ways/{way_id}/archive")
def archive_contact_way(request: Request, viewer: CurrentViewer, way_id: int) -> Response:
    context = get_console(request).context
    way = contact_ways.archive_contact_way(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, way_id)
    response = redirect("/contact-ways")
    flash(request, response, N_("Contact way “%(name)s” archived: its code no longer works."), name=way.name)
    return response


def _qr(request: Request, viewer: Viewer, way_id: int) -> tuple[bytes, str]:
    context = get_console(request).context
    return contact_ways.qr_code_image(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, way_id)


@router.get("/contact-ways/{way_id}/qr.png")
def contact_way_qr(request: Request, viewer: CurrentViewer, way_id: int) -> Response:
    return qr_response(_qr(request, viewer, way_id))


@router.get("/contact-ways/{way_id}/poster")
def contact_way_poster(request: Request, viewer: CurrentViewer, way_id: int) -> Response:
    context = get_console(request).context
    way = contact_ways.get_contact_way(context.uow(), viewer.actor, way_id)
    channel = channels.get_channel(context.uow(), viewer.actor, way.channel_id)
    return qr_poster(request, kind="contact_way", title=channel.name, label=way.name, image=_qr(request, viewer, way_id))


__all__ = ["FORM_WIDE", "router"]
