"""Moments tasks (朋友圈任务): record one, hand it to WeCom, follow who posted it.

- :func:`create_moment` checks the draft against what the tenant has (materials, staff, stores,
  tags known to WeCom), expands stores into their active staff, and records the task ``queued``
  with one sender row per staff member. The caller enqueues ``run_moment`` (tasks.py).
- :func:`advance_moment` (the worker) moves a task one step as far as it can go: ``queued`` ->
  images, video and link cover uploaded with ``media/upload_attachment`` (or their cached ids,
  :mod:`siyu.services.wecom_media`; a 40007 uploads again and submits once more) ->
  ``add_moment_task`` -> ``submitted``; ``submitted`` -> the job's result (WeCom makes the moment
  asynchronously: status 1/2 wait, 3 done) -> ``publishing`` with the senders WeCom refused marked
  ``invalid``; ``publishing`` -> every page of ``get_moment_task`` -> senders marked ``published``;
  ``done`` when all accepted senders published or ``FOLLOW_DAYS`` after submission. The periodic
  ``poll_moments`` calls it for every unfinished task.
- :func:`cancel_moment` stops a task: before submission nothing reaches WeCom; once the moment
  exists ``cancel_moment_task`` stops the staff who have not published.

WeCom's ``add_moment_task`` takes no idempotency key: the job id is committed right after the
call, so only a crash in between those two steps can make a second task (the worker then
submits again). Every later step is a read, safe to repeat.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from siyu.adapters.channels.moments import MomentTask
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import ChannelError, Conflict, InvalidInput, NotFound
from siyu.domain.media import MediaPurpose
from siyu.domain.moments import (
    FOLLOW_DAYS,
    SENDERS_MAX,
    Moment,
    MomentDraft,
    MomentSender,
    MomentStatus,
    SenderStatus,
    moment_attachments,
)
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.wecom_media import MaterialMedia, with_fresh_media
from siyu.services.wecom_settings import ChannelFactory, open_channel


def _get(uow: SqlUnitOfWork, tenant_id: int, moment_id: int) -> Moment:
    found = uow.moments.get(tenant_id, moment_id)
    if found is None:
        raise NotFound("moment.not_found", "no moments task %(id)s", id=moment_id)
    return found


def create_moment(uow: SqlUnitOfWork, actor: Actor, draft: MomentDraft) -> Moment:
    actor.require(Permission.CUSTOMERS_MANAGE)
    now = utcnow()
    tenant_id = actor.tenant_id
    with uow:
        materials = uow.welcome.materials(tenant_id, list(draft.material_ids))
        missing = [i for i in draft.material_ids if i not in materials]
        if missing:
            raise NotFound("material.not_found", "no such material")
        attachments = moment_attachments([materials[i] for i in draft.material_ids])
        unknown_staff = set(draft.staff_ids) - uow.moments.known_staff(tenant_id, list(draft.staff_ids))
        if unknown_staff:
            raise InvalidInput("moment.unknown_staff", "no staff member %(id)s", field="staff_ids", id=min(unknown_staff))
        unknown_stores = set(draft.store_ids) - uow.moments.known_stores(tenant_id, list(draft.store_ids))
        if unknown_stores:
            raise InvalidInput("moment.unknown_store", "no store %(id)s", field="store_ids", id=min(unknown_stores))
        senders = uow.moments.active_staff(tenant_id, staff_ids=list(draft.staff_ids), store_ids=list(draft.store_ids))
        if not senders:
            raise InvalidInput("moment.no_active_senders", "none of the chosen staff or stores has an active staff member",
                               field="staff_ids")
        if len(senders) > SENDERS_MAX:
            raise InvalidInput("moment.too_many_senders", "at most %(max)s staff post one moment; got %(count)s", field="store_ids",
                               max=SENDERS_MAX, count=len(senders))
        wecom_tags = uow.moments.wecom_tag_ids(tenant_id, list(draft.tag_ids))
        for tag_id in draft.tag_ids:
            if tag_id not in wecom_tags:
                raise InvalidInput("moment.unknown_tag", "no tag %(id)s", field="tag_ids", id=tag_id)
            if wecom_tags[tag_id] is None:
                raise InvalidInput("moment.tag_not_in_wecom", "tag %(id)s is not in WeCom yet: sync the tags with WeCom first",
                                   field="tag_ids", id=tag_id)
        moment_id = uow.moments.add(
            tenant_id, now=now, text=draft.text, material_ids=list(draft.material_ids), attachments=attachments,
            staff_ids=list(draft.staff_ids), store_ids=list(draft.store_ids), tag_ids=list(draft.tag_ids),
            wecom_tag_ids=[wecom_tags[t] for t in draft.tag_ids], actor=actor.name or f"user:{actor.user_id}")
        uow.moments.add_senders(tenant_id, moment_id, sorted(senders.items()), now=now)
        _count(uow, tenant_id, moment_id, now)
        made = _get(uow, tenant_id, moment_id)
        uow.commit()
    return made


def get_moment(uow: SqlUnitOfWork, actor: Actor, moment_id: int) -> Moment:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return _get(uow, actor.tenant_id, moment_id)


def list_moments(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[Moment]:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return uow.moments.page(actor.tenant_id, request)


def moment_senders(uow: SqlUnitOfWork, actor: Actor, moment_id: int) -> list[MomentSender]:
    """Each sender's publish status (at most ``SENDERS_MAX``), by staff id."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        _get(uow, actor.tenant_id, moment_id)
        return uow.moments.senders(actor.tenant_id, moment_id)


def _count(uow: SqlUnitOfWork, tenant_id: int, moment_id: int, now: datetime, **values: object) -> None:
    counts = uow.moments.sender_counts(tenant_id, moment_id)
    uow.moments.save(tenant_id, moment_id, counts={
        "senders": sum(counts.values()), "published": counts.get(SenderStatus.PUBLISHED.value, 0),
        "invalid": counts.get(SenderStatus.INVALID.value, 0)}, updated_at=now, **values)


def _fail(uow: SqlUnitOfWork, tenant_id: int, moment_id: int, error: ChannelError | InvalidInput) -> Moment:
    now = utcnow()
    with uow:
        uow.moments.save(tenant_id, moment_id, status=MomentStatus.FAILED.value, error=f"{error.code}: {error.message}"[:300],
                         updated_at=now, finished_at=now)
        uow.commit()
        return _get(uow, tenant_id, moment_id)


def advance_moment(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, moment_id: int, *,
                   now: datetime | None = None) -> Moment:
    """One pass of the worker over one task (module docstring). WeCom's retryable errors (busy,
    limits, 5xx) propagate so the queue retries; a refusal fails the task with its reason."""
    with uow:
        moment = _get(uow, tenant_id, moment_id)
    if moment.status.final:
        return moment
    channel = open_channel(uow, box, channels, tenant_id)
    if moment.status is MomentStatus.QUEUED:
        with uow:
            senders = [s.userid for s in uow.moments.senders(tenant_id, moment_id)]
            found = uow.welcome.materials(tenant_id, list(moment.material_ids))
        materials = [found[i] for i in moment.material_ids if i in found]
        media = MaterialMedia(uow, channel, tenant_id, materials, MediaPurpose.MOMENT)
        sent: list[dict[str, object]] = []

        def submit() -> str:
            sent[:] = moment_attachments(materials, media.ids()) if materials else list(moment.attachments)
            return channel.add_moment_task(MomentTask(text=moment.text, attachments=sent, sender_userids=senders,
                                                      tag_ids=list(moment.wecom_tag_ids)))

        try:
            jobid = with_fresh_media(media, submit)
        except (ChannelError, InvalidInput) as exc:
            if isinstance(exc, ChannelError) and exc.retryable:
                raise
            return _fail(uow, tenant_id, moment_id, exc)
        at = utcnow()
        with uow:  # the attachments as WeCom got them (media ids), in place of the URLs chosen
            uow.moments.save(tenant_id, moment_id, status=MomentStatus.SUBMITTED.value, jobid=jobid, submitted_at=at, updated_at=at,
                             attachments=sent)
            uow.commit()
            moment = _get(uow, tenant_id, moment_id)
    if moment.status is MomentStatus.SUBMITTED:
        assert moment.jobid is not None
        job = channel.get_moment_task_result(moment.jobid)
        if not job.done:
            return moment
        outcome = job.result
        if outcome is None or outcome.errcode != 0 or not outcome.moment_id:
            code, text = (outcome.errcode, outcome.errmsg) if outcome else (-1, "no result")
            return _fail(uow, tenant_id, moment_id, InvalidInput("moment.refused", "WeCom refused the moment (%(errcode)s %(errmsg)s)",
                                                                 errcode=code, errmsg=text))
        at = utcnow()
        with uow:
            uow.moments.mark(tenant_id, moment_id, list(outcome.invalid_sender_list.user_list), SenderStatus.INVALID, now=at)
            _count(uow, tenant_id, moment_id, at, status=MomentStatus.PUBLISHING.value, wecom_moment_id=outcome.moment_id)
            uow.commit()
            moment = _get(uow, tenant_id, moment_id)
    return _follow(uow, channel, tenant_id, moment, now=now or utcnow())


def _follow(uow: SqlUnitOfWork, channel, tenant_id: int, moment: Moment, *, now: datetime,  # type: ignore[no-untyped-def]
            final: MomentStatus | None = None) -> Moment:
    """Read every sender's publish status; finish when all published, time is up, or ``final`` says so."""
    assert moment.wecom_moment_id is not None
    published: list[str] = []
    cursor = ""
    while True:
        page = channel.get_moment_task(moment.wecom_moment_id, cursor=cursor)
        published += [s.userid for s in page.task_list if s.publish_status == 1]
        cursor = page.next_cursor
        if not cursor:
            break
    at = utcnow()
    with uow:
        uow.moments.mark(tenant_id, moment.id, published, SenderStatus.PUBLISHED, now=at)
        waiting = uow.moments.sender_counts(tenant_id, moment.id).get(SenderStatus.WAITING.value, 0)
        started = moment.submitted_at or moment.created_at
        if final is None and (not waiting or now - started >= timedelta(days=FOLLOW_DAYS)):
            final = MomentStatus.DONE
        extra: dict[str, object] = {"status": final.value, "finished_at": at} if final else {}
        _count(uow, tenant_id, moment.id, at, **extra)
        uow.commit()
        return _get(uow, tenant_id, moment.id)


def cancel_moment(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, actor: Actor, moment_id: int) -> Moment:
    actor.require(Permission.CUSTOMERS_MANAGE)
    tenant_id = actor.tenant_id
    with uow:
        moment = _get(uow, tenant_id, moment_id)
    if moment.status.final:
        raise Conflict("moment.finished", "this moments task is over already")
    if moment.status is MomentStatus.SUBMITTED:
        raise Conflict("moment.being_made", "WeCom is still making this moment: cancel it in a minute")
    if moment.status is MomentStatus.QUEUED:
        now = utcnow()
        with uow:
            uow.moments.save(tenant_id, moment_id, status=MomentStatus.CANCELLED.value, updated_at=now, finished_at=now)
            uow.commit()
            return _get(uow, tenant_id, moment_id)
    assert moment.wecom_moment_id is not None
    channel = open_channel(uow, box, channels, tenant_id)
    channel.cancel_moment_task(moment.wecom_moment_id)
    return _follow(uow, channel, tenant_id, moment, now=utcnow(), final=MomentStatus.CANCELLED)


def unfinished(uow: SqlUnitOfWork) -> list[tuple[int, int]]:
    with uow:
        return uow.moments.unfinished()
