"""Welcome messages (欢迎语), the materials they carry, and what happens on an add.

On an add callback (:func:`on_add`, inside the callback's unit of work, so it costs no call to
WeCom): the way's channel tags and lifecycle stage are applied, and a welcome send is
recorded as ``queued`` with the moment the callback arrived. The worker's high-priority
``send_welcome`` task then (:func:`send_welcome`) chooses the most specific message, fills in
the names, sends it with the add's ``WelcomeCode`` (valid 20 s, once), records ``sent`` /
``expired`` (41050) / ``used`` (41051) / ``failed`` with the time from callback to WeCom's
answer, sets the remark from the way's template, and re-binds the way for the next add.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import structlog

from siyu.adapters.channels.models import RemarkUpdate
from siyu.adapters.channels.models import WelcomeMessage as WireWelcome
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.customers import TagSource
from siyu.domain.errors import ChannelError, Conflict, InvalidInput, NotFound
from siyu.domain.media import MediaPurpose
from siyu.domain.paging import Page, PageRequest
from siyu.domain.welcome import Material, MaterialDraft, SendStatus, WelcomeDraft, WelcomeMessage, WelcomeScope, choose_welcome
from siyu.services import contact_ways, stages, tags
from siyu.services.clock import utcnow
from siyu.services.wecom_media import MaterialMedia, with_fresh_media
from siyu.services.wecom_settings import ChannelFactory, open_channel

log = structlog.get_logger("siyu.welcome")
ACTOR = "wecom"
NEEDS_DETAILS = ("{customer_name}",)


# ---- materials ------------------------------------------------------------------------------


def list_materials(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *, kind: str | None = None) -> Page[Material]:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return uow.welcome.list_materials(actor.tenant_id, request, kind=kind)


def get_material(uow: SqlUnitOfWork, actor: Actor, material_id: int) -> Material:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return _material(uow, actor.tenant_id, material_id)


def _material(uow: SqlUnitOfWork, tenant_id: int, material_id: int) -> Material:
    found = uow.welcome.get_material(tenant_id, material_id)
    if found is None:
        raise NotFound("material.not_found", "no such material")
    return found


def create_material(uow: SqlUnitOfWork, actor: Actor, draft: MaterialDraft) -> Material:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        material_id = uow.welcome.add_material(actor.tenant_id, now=utcnow(), **{**asdict(draft), "kind": draft.kind.value})
        made = _material(uow, actor.tenant_id, material_id)
        uow.commit()
    return made


def update_material(uow: SqlUnitOfWork, actor: Actor, material_id: int, draft: MaterialDraft) -> Material:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _material(uow, actor.tenant_id, material_id)
        uow.welcome.update_material(actor.tenant_id, material_id, now=utcnow(), **{**asdict(draft), "kind": draft.kind.value})
        changed = _material(uow, actor.tenant_id, material_id)
        uow.commit()
    return changed


def delete_material(uow: SqlUnitOfWork, actor: Actor, material_id: int) -> None:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _material(uow, actor.tenant_id, material_id)
        if uow.welcome.material_in_use(actor.tenant_id, material_id):
            raise Conflict("material.in_use", "a welcome message uses this material; take it out of the message first")
        if uow.mass_sends.material_in_open_send(actor.tenant_id, material_id) or uow.moments.material_in_open_moment(
                actor.tenant_id, material_id):
            raise Conflict("material.in_use_by_send", "a mass send or moments task not yet finished carries this material; "
                           "delete it when that is done")
        uow.welcome.delete_material(actor.tenant_id, material_id)
        uow.commit()


# ---- welcome messages ---------------------------------------------------------------------------


def list_welcome_messages(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[WelcomeMessage]:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return uow.welcome.list_messages(actor.tenant_id, request)


def get_welcome_message(uow: SqlUnitOfWork, actor: Actor, message_id: int) -> WelcomeMessage:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        return _message(uow, actor.tenant_id, message_id)


def _message(uow: SqlUnitOfWork, tenant_id: int, message_id: int) -> WelcomeMessage:
    found = uow.welcome.get_message(tenant_id, message_id)
    if found is None:
        raise NotFound("welcome.not_found", "no such welcome message")
    return found


def _check(uow: SqlUnitOfWork, actor: Actor, draft: WelcomeDraft, message_id: int | None) -> None:
    if draft.channel_id is not None and uow.channels.get(actor.tenant_id, draft.channel_id) is None:
        raise NotFound("channel.not_found", "no such channel")
    if draft.contact_way_id is not None and uow.contact_ways.get(actor.tenant_id, draft.contact_way_id) is None:
        raise NotFound("contact_way.not_found", "no such contact way")
    if len(uow.welcome.materials(actor.tenant_id, list(draft.material_ids))) != len(draft.material_ids):
        raise NotFound("material.not_found", "no such material")
    same = uow.welcome.find_message(actor.tenant_id, draft.scope, draft.channel_id, draft.contact_way_id)
    if same is not None and same.id != message_id:
        raise Conflict("welcome.exists", "there is a welcome message for this already; edit that one")


def _values(draft: WelcomeDraft) -> dict[str, object]:
    return {"scope": draft.scope.value, "text": draft.text, "material_ids": list(draft.material_ids), "channel_id": draft.channel_id,
            "contact_way_id": draft.contact_way_id}


def save_welcome_message(uow: SqlUnitOfWork, actor: Actor, draft: WelcomeDraft, message_id: int | None = None) -> WelcomeMessage:
    """Create (``message_id`` None) or change a welcome message."""
    actor.require(Permission.CHANNELS_MANAGE)
    now = utcnow()
    with uow:
        if message_id is not None:
            _message(uow, actor.tenant_id, message_id)
        _check(uow, actor, draft, message_id)
        if message_id is None:
            message_id = uow.welcome.add_message(actor.tenant_id, now=now, **_values(draft))
        else:
            uow.welcome.update_message(actor.tenant_id, message_id, now=now, **_values(draft))
        saved = _message(uow, actor.tenant_id, message_id)
        uow.commit()
    return saved


def delete_welcome_message(uow: SqlUnitOfWork, actor: Actor, message_id: int) -> None:
    actor.require(Permission.CHANNELS_MANAGE)
    with uow:
        _message(uow, actor.tenant_id, message_id)
        uow.welcome.delete_message(actor.tenant_id, message_id)
        uow.commit()


RESOLUTION_ORDER = (WelcomeScope.WAY, WelcomeScope.CHANNEL, WelcomeScope.DEFAULT)


@dataclass(frozen=True, slots=True)
class WelcomeResolution:
    """Which welcome message an add through a contact way gets: each scope in the order tried
    (the way's, its channel's, the default) with the message there (or None), and the one chosen."""

    contact_way_id: int
    channel_id: int
    tried: tuple[tuple[WelcomeScope, WelcomeMessage | None], ...]
    chosen: WelcomeMessage | None


def welcome_for_way(uow: SqlUnitOfWork, actor: Actor, way_id: int) -> WelcomeResolution:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        way = uow.contact_ways.get(actor.tenant_id, way_id)
        if way is None:
            raise NotFound("contact_way.not_found", "no such contact way")
        found = uow.welcome.candidates(actor.tenant_id, channel_id=way.channel_id, way_id=way.id)
    by_scope = {m.scope: m for m in found}  # one each: the candidates are this way's, its channel's and the default
    return WelcomeResolution(way.id, way.channel_id, tuple((s, by_scope.get(s)) for s in RESOLUTION_ORDER),
                             choose_welcome(found, contact_way_id=way.id, channel_id=way.channel_id))


# ---- on an add ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WelcomeSend:
    id: int
    status: SendStatus
    errcode: int | None
    received_at: datetime
    sent_at: datetime | None
    latency_ms: int | None
    contact_way_id: int | None
    welcome_message_id: int | None


def _send(row: object) -> WelcomeSend:
    r = row
    return WelcomeSend(r.id, SendStatus(r.status), r.errcode, r.received_at, r.sent_at, r.latency_ms,  # type: ignore[attr-defined]
                       r.contact_way_id, r.welcome_message_id)  # type: ignore[attr-defined]


def on_add(uow: SqlUnitOfWork, tenant_id: int, *, event_key: str, customer_id: int, staff_id: int, state: str | None,
           welcome_code: str | None, received_at: datetime | None = None) -> int | None:
    """Inside the callback's unit of work: the way's tags and stage, and a queued welcome send
    (its id, for the ``send_welcome`` task; None when the add carried no welcome code)."""
    way = uow.contact_ways.find_by_state(tenant_id, state) if state else None
    if way is not None:
        if way.tag_ids:
            tags.apply_in(uow, tenant_id, {customer_id: list(way.tag_ids)}, add=True, source=TagSource.CHANNEL.value, actor=ACTOR)
        customer = uow.customers.get_any(tenant_id, customer_id)
        if way.stage_id is not None and customer is not None and customer.stage_id is None:
            stages.move_in(uow, tenant_id, customer, way.stage_id, {s.id: s for s in uow.stages.all(tenant_id)}, actor=ACTOR)
    if not welcome_code:  # WeCom sends none when its console has a welcome message, or they chatted before
        return None
    return uow.welcome.record_send(tenant_id, customer_id=customer_id, staff_id=staff_id, event_key=event_key,
                                   contact_way_id=way.id if way else None, status=SendStatus.QUEUED.value,
                                   received_at=received_at or utcnow())


def send_welcome(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, send_id: int, welcome_code: str, *,
                 external_userid: str) -> tuple[WelcomeSend, str]:
    """The worker's part: choose, fill and send the welcome with the code, and record how it
    went. Returns the send and the customer's name (for :func:`after_welcome`)."""
    channel = open_channel(uow, box, channels, tenant_id)
    with uow:
        row = uow.welcome.get_send(tenant_id, send_id)
        if row is None:
            raise NotFound("welcome.send_not_found", "no such welcome send")
        if row.status != SendStatus.QUEUED.value:
            return _send(row), ""  # a retried task: it ran already
        way = uow.contact_ways.get(tenant_id, row.contact_way_id) if row.contact_way_id else None
        staff = uow.staff.many(tenant_id, [row.staff_id])[0]
        chosen = choose_welcome(uow.welcome.candidates(tenant_id, channel_id=way.channel_id if way else None,
                                                       way_id=way.id if way else None),
                                contact_way_id=way.id if way else None, channel_id=way.channel_id if way else None)
        found = uow.welcome.materials(tenant_id, list(chosen.material_ids)) if chosen else {}
        materials = [found[i] for i in chosen.material_ids if i in found] if chosen else []
        customer = uow.customers.get_any(tenant_id, row.customer_id)
    customer_name = customer.name if customer else ""
    wants_name = (chosen is not None and any(p in chosen.text for p in NEEDS_DETAILS)) or bool(way and way.remark_template)
    if wants_name and not customer_name:  # the details refresh may not have run yet: ask WeCom for the name
        try:
            customer_name = channel.get_contact(external_userid).external_contact.name
        except ChannelError as exc:
            log.warning("welcome: contact name unavailable", tenant_id=tenant_id, error=exc.code)
    status, errcode, sent_at = SendStatus.NO_MESSAGE, None, None
    if chosen is not None:
        text = chosen.render(customer_name=customer_name or "", staff_name=staff.name) or None
        media = MaterialMedia(uow, channel, tenant_id, materials, MediaPurpose.MESSAGE)
        try:
            with_fresh_media(media, lambda: channel.send_welcome_message(
                welcome_code, WireWelcome(text=text, attachments=media.message_attachments())))
            status = SendStatus.SENT
        except ChannelError as exc:  # by the channel's errcode, the port's contract
            errcode = exc.errcode
            status = {41050: SendStatus.EXPIRED, 41051: SendStatus.USED}.get(errcode or 0, SendStatus.FAILED)
        except InvalidInput as exc:  # a material's file WeCom would not take (too large, wrong format)
            log.warning("welcome: attachment refused before sending", tenant_id=tenant_id, error=exc.code)
            status = SendStatus.FAILED
        sent_at = utcnow()
    latency = int((sent_at - row.received_at).total_seconds() * 1000) if sent_at else None
    with uow:
        uow.welcome.finish_send(tenant_id, send_id, status=status.value, errcode=errcode, sent_at=sent_at, latency_ms=latency,
                                welcome_message_id=chosen.id if chosen else None)
        done = _send(uow.welcome.get_send(tenant_id, send_id))
        uow.commit()
    return done, customer_name or ""


def after_welcome(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, send_id: int, *,
                  external_userid: str, customer_name: str) -> None:
    """After the welcome, which has the deadline (a task of its own, behind the welcomes): the
    remark from the way's template in WeCom, and the way re-bound for the next add."""
    with uow:
        row = uow.welcome.get_send(tenant_id, send_id)
        way = uow.contact_ways.get(tenant_id, row.contact_way_id) if row is not None and row.contact_way_id else None
        if way is None:
            return
        channel_row = uow.channels.get(tenant_id, way.channel_id)
        staff = uow.staff.many(tenant_id, [row.staff_id])[0]
    remark = way.fill_remark(customer_name=customer_name, staff_name=staff.name, channel_name=channel_row.name if channel_row else "")
    channel = open_channel(uow, box, channels, tenant_id)
    try:
        if remark:
            channel.remark(staff.wecom_userid, external_userid, RemarkUpdate(remark=remark))
        with uow:
            contact_ways.rebind_in(uow, channel, tenant_id, way.id)
            uow.commit()
    except ChannelError as exc:  # the periodic re-bind round repairs it; a remark is not worth failing the add
        log.warning("after-welcome step failed", tenant_id=tenant_id, way_id=way.id, error=exc.code)


def sends_for_customer(uow: SqlUnitOfWork, actor: Actor, customer_id: int) -> list[WelcomeSend]:
    actor.require(Permission.CHANNELS_VIEW)
    with uow:
        if uow.customers.get(actor.scope, customer_id) is None:
            raise NotFound("customer.not_found", "no such customer")
        return [_send(r) for r in uow.welcome.sends_for(actor.tenant_id, customer_id)]


__all__ = ["WelcomeScope", "on_add", "send_welcome"]
