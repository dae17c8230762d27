"""Group live codes (群活码) in the console: the list with joins and each code's listed groups,
the create and edit form (channel, pool of synced groups in order, fill threshold, WeCom's own
room creation), the detail page (each group's members against the threshold, which are live),
WeCom's QR image and a printable poster (:mod:`siyu.web.posters`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.group_codes import DEFAULT_THRESHOLD, GroupCode, GroupCodeDraft
from siyu.domain.paging import PageRequest
from siyu.services import channels, group_codes
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, optional_id
from siyu.web.i18n import N_
from siyu.web.posters import qr_poster, qr_response
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
ALL_CHANNELS = PageRequest(page=1, page_size=200)


class CodeFields(BaseModel):
    """The form as typed, kept as text so a rejected form comes back unchanged. The pool is the
    ticked groups, ordered by the number typed beside each (``positions``, one per listed group)."""

    channel_id: str = ""
    name: str = ""
    state: str = ""
    chat_ids: list[str] = []
    listed_chat_ids: list[str] = []
    positions: list[str] = []
    threshold: str = str(DEFAULT_THRESHOLD)
    auto_create_room: str = ""
    room_base_name: str = ""
    room_base_id: str = ""

    @classmethod
    def of(cls, code: GroupCode) -> CodeFields:
        return cls(channel_id=str(code.channel_id), name=code.name, state=code.state, chat_ids=list(code.chat_ids),
                   listed_chat_ids=list(code.chat_ids), positions=[str(i + 1) for i in range(len(code.chat_ids))],
                   threshold=str(code.threshold), auto_create_room="on" if code.auto_create_room else "",
                   room_base_name=code.room_base_name, room_base_id="" if code.room_base_id is None else str(code.room_base_id))

    def position_of(self) -> dict[str, str]:
        return dict(zip(self.listed_chat_ids, self.positions, strict=False))

    def pool(self) -> list[str]:
        typed = self.position_of()
        listed = {c: i for i, c in enumerate(self.listed_chat_ids)}

        def order(chat_id: str) -> tuple[int, int]:
            raw = typed.get(chat_id, "").strip()
            return (int(raw) if raw.isdigit() else 10**6, listed.get(chat_id, 10**6))

        return sorted(dict.fromkeys(self.chat_ids), key=order)

    def draft(self, members_max: int) -> GroupCodeDraft:
        channel_id = optional_id(self.channel_id, "channel_id")
        if channel_id is None:
            raise InvalidInput("form.choose_option", "choose one of the options", field="channel_id")
        for raw, field in ((self.threshold, "threshold"), (self.room_base_id, "room_base_id")):
            if raw.strip() and not raw.strip().isdigit():
                raise InvalidInput("form.whole_number", "enter a whole number", field=field)
        return GroupCodeDraft.parse(channel_id=channel_id, name=self.name, state=self.state, chat_ids=self.pool(),
                                    threshold=int(self.threshold.strip() or DEFAULT_THRESHOLD),
                                    auto_create_room=bool(self.auto_create_room), room_base_name=self.room_base_name,
                                    room_base_id=int(self.room_base_id) if self.room_base_id.strip() else None,
                                    members_max=members_max)


Fields = Annotated[CodeFields, Form()]


def _channel_names(request: Request, viewer: Viewer) -> dict[int, str]:
    context = get_console(request).context
    return {c.id: c.name for c in channels.list_channels(context.uow(), viewer.actor, ALL_CHANNELS).items}


@router.get("/group-codes")
def list_group_codes(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    context, actor = get_console(request).context, viewer.actor
    found = group_codes.list_group_codes(context.uow(), actor, paging)
    view = {"codes": found, "joins": group_codes.joins(context.uow(), actor, [c.id for c in found.items]),
            "channel_names": _channel_names(request, viewer), "can_manage": actor.can(Permission.CHANNELS_MANAGE)}
    return page(request, "group_codes/list.html", view)


def _form(request: Request, viewer: Viewer, values: CodeFields, *, code: GroupCode | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    context = get_console(request).context
    picked = values.pool()
    chats = sorted(group_codes.pickable_chats(context.uow(), viewer.actor),
                   key=lambda c: (picked.index(c.chat_id) if c.chat_id in picked else len(picked), c.name))
    view = {"values": values.model_dump(), "positions": values.position_of(), "picked": picked, "code": code, "chats": chats,
            "errors": errors or {}, "channel_options": sorted(_channel_names(request, viewer).items()),
            "members_max": context.settings.group_members_max}
    return page(request, "group_codes/form.html", view, status_code=status_code)


@router.get("/group-codes/new")
def new_group_code(request: Request, viewer: CurrentViewer) -> Response:
    return _form(request, viewer, CodeFields())


@router.post("/group-codes/new")
def create_group_code(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    context = get_console(request).context
    members_max = context.settings.group_members_max
    try:
        code = group_codes.create_group_code(context.uow(), context.secret_box, context.wecom_channel, viewer.actor,
                                             fields.draft(members_max), members_max=members_max)
    except (InvalidInput, Conflict, NotFound) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, errors=errors, status_code=status)
    response = redirect(f"/group-codes/{code.id}")
    flash(request, response, N_("Group code “%(name)s” created."), name=code.name)
    return response


@router.get("/group-codes/{code_id}")
def group_code_detail(request: Request, viewer: CurrentViewer, code_id: int) -> Response:
    context, actor = get_console(request).context, viewer.actor
    code = group_codes.get_group_code(context.uow(), actor, code_id)
    view = {"code": code, "pool": group_codes.pool_of(context.uow(), actor, code),
            "joins": group_codes.joins(context.uow(), actor, [code.id]).get(code.id, 0),
            "channel": channels.get_channel(context.uow(), actor, code.channel_id), "can_manage": actor.can(Permission.CHANNELS_MANAGE)}
    return page(request, "group_codes/detail.html", view)


@router.get("/group-codes/{code_id}/edit")
def edit_group_code(request: Request, viewer: CurrentViewer, code_id: int) -> Response:
    code = group_codes.get_group_code(get_console(request).context.uow(), viewer.actor, code_id)
    return _form(request, viewer, CodeFields.of(code), code=code)


@router.post("/group-codes/{code_id}/edit")
def update_group_code(request: Request, viewer: CurrentViewer, code_id: int, fields: Fields) -> Response:
    context = get_console(request).context
    code = group_codes.get_group_code(context.uow(), viewer.actor, code_id)
    members_max = context.settings.group_members_max
    try:
        code = group_codes.update_group_code(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, code_id,
                                             fields.draft(members_max), members_max=members_max)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, code=code, errors=errors, status_code=status)
    response = redirect(f"/group-codes/{code.id}")
    flash(request, response, N_("Group code “%(name)s” saved."), name=code.name)
    return response


@router.post("/group-codes/{code_id}/archive")
def archive_group_code(request: Request, viewer: CurrentViewer, code_id: int) -> Response:
    context = get_console(request).context
    code = group_codes.archive_group_code(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, code_id)
    response = redirect("/group-codes")
    flash(request, response, N_("Group code “%(name)s” archived: its code no longer works."), name=code.name)
    return response


def _qr(request: Request, viewer: Viewer, code_id: int) -> tuple[bytes, str]:
    context = get_console(request).context
    return group_codes.qr_code_image(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, code_id)


@router.get("/group-codes/{code_id}/qr.png")
def group_code_qr(request: Request, viewer: CurrentViewer, code_id: int) -> Response:
    return qr_response(_qr(request, viewer, code_id))


@router.get("/group-codes/{code_id}/poster")
def group_code_poster(request: Request, viewer: CurrentViewer, code_id: int) -> Response:
    context = get_console(request).context
    code = group_codes.get_group_code(context.uow(), viewer.actor, code_id)
    channel = channels.get_channel(context.uow(), viewer.actor, code.channel_id)
    return qr_poster(request, kind="group_code", title=channel.name, label=code.name, image=_qr(request, viewer, code_id))
