"""Mass sends (群发), the worker's side: plan, submit, reconcile, poll, remind — each step
idempotent, so a worker killed at any moment and started again sends nothing twice and
loses nothing.

The plan (:func:`siyu.services.mass_send_plan.plan_mass_send`) is written in ONE transaction;
a crash while planning leaves nothing, and planning again starts over.

A task moves ``planned -> submitting -> submitted -> final``, each move a compare-and-set on
the row's state committed *before* the next WeCom call:

- ``planned -> submitting`` is committed before ``add_msg_template`` is called, with the time.
- WeCom answers a msgid: ``submitting -> submitted`` with the msgid and fail_list, committed.
- WeCom answers an errcode: it made nothing. A retryable one (busy, rate limit) puts the task
  back to ``planned``; any other ends it (``final``, its customers ``refused``).
- No answer (timeout, 5xx, the worker died mid-call, or died between the answer and the
  commit): the task stays ``submitting`` and WeCom may or may not hold it. It is never simply
  resubmitted. Once ``reconcile_after`` has passed since the attempt (longer than any call can
  stay in flight), :func:`_reconcile` looks for it: ``get_groupmsg_list_v2`` over the window
  from a few minutes before the attempt, with the task's text, whose msgid no other task has
  claimed, and whose recipients for the task's staff member (``get_groupmsg_send_result``
  with that userid) are non-empty and all customers of this task. Chunks of one staff member
  are disjoint, so at most one candidate fits; two sends with the same text to the same
  customers through the same staff member within minutes are the one case it cannot tell
  apart (it then takes the unclaimed one, still sending nothing twice). Found: the task is
  ``submitted`` with that msgid (recipients WeCom left out count as its fail_list). Not found:
  WeCom never made it, and only then it goes back to ``planned`` and is submitted again.

Results (:func:`_poll`): a submitted task's sender status (``get_groupmsg_task``) and each
customer's (``get_groupmsg_send_result``) are read on every advance until the staff member
has confirmed; then each customer is final — sent, not a friend, capped, or unsent — and the
task is ``final``. A staff member who has not confirmed is reminded (``remind_groupmsg_send``)
every ``remind_every``, at most 3 times in 24 hours as WeCom allows; a task still unconfirmed
after ``expire_after`` is cancelled in WeCom and final (its customers unsent). Deliveries
become contact-pressure records once, on the move to ``sent``.

Attachments (:mod:`siyu.services.wecom_media`): the materials' images, videos, files and
mini-program covers go by media id; they are uploaded (or found cached) once per pass, before a
task is claimed. A brand server that is down leaves the task ``planned`` for the next round; a
file WeCom would never take (too large, wrong format) refuses the task with the reason. A
definite 40007 from ``add_msg_template`` (WeCom dropped the id) made nothing, so the files are
uploaded again and the task submitted once more in the same attempt.

The huey tasks (:mod:`siyu.tasks`) call :func:`advance` for one send and a periodic sweep
calls it for every unfinished send, so a task lost with a killed worker is picked up again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.errors import ChannelError, InvalidInput
from siyu.domain.media import MediaPurpose
from siyu.domain.mass_sends import (
    OPEN_TARGETS, WECOM_RESULT, MassSend, MassSendTask, SendStatus, TargetStatus, TaskState, reminders_left, render,
)
from siyu.services import contact_pressure
from siyu.services.mass_send_plan import plan_mass_send
from siyu.services.clock import utcnow
from siyu.services.wecom_media import MaterialMedia, with_fresh_media
from siyu.services.wecom_settings import ChannelFactory, open_channel


log = structlog.get_logger("siyu.mass_sends")
SOURCE_KIND = "mass_send"
LOOK_BACK = timedelta(minutes=5)  # the reconciliation window starts this long before the attempt (clock skew)


@dataclass(frozen=True, slots=True)
class Timing:
    reconcile_after: timedelta = timedelta(seconds=90)  # > the HTTP timeout: no add_msg_template is still in flight
    remind_every: timedelta = timedelta(hours=2)
    expire_after: timedelta = timedelta(days=3)


# ---- submitting and reconciling -------------------------------------------------------------------


@dataclass
class _Send:
    """What one advance needs about a send, read once."""

    send: MassSend
    senders: dict[int, tuple[str, str]]  # staff -> (WeCom userid, name)
    media: MaterialMedia  # the materials' media ids, uploaded on first use in this pass

    def text(self, task: MassSendTask) -> str:
        template = self.send.variant_texts.get(task.arm, self.send.text) if task.arm else self.send.text
        return render(template, staff_name=self.senders[task.staff_id][1])


def _ambiguous(exc: ChannelError) -> bool:
    """No errcode: WeCom did not answer (timeout, 5xx, unreadable body), so it may hold the task."""
    return getattr(exc, "errcode", None) is None


def _submit(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, ctx: _Send, task: MassSendTask, timing: Timing,
            now: datetime) -> None:
    if task.state is TaskState.SUBMITTING:
        started = task.submit_started_at or now
        if now - started < timing.reconcile_after:
            return  # the attempt may still be in flight: look for it later
        if _reconcile(uow, channel, tenant_id, ctx, task, now):
            return
        with uow:
            uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.SUBMITTING.value, state=TaskState.PLANNED.value)
            uow.commit()
    if not _media_ready(uow, tenant_id, ctx, task):
        return
    with uow:
        if not uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.PLANNED.value, state=TaskState.SUBMITTING.value,
                                        submit_started_at=now):
            return  # another worker has it
        targets = uow.mass_sends.task_targets(tenant_id, task.id)
        uow.commit()
    by_external = {ext: cid for cid, (status, ext) in targets.items() if ext and status == TargetStatus.PLANNED.value}
    sender = ctx.senders[task.staff_id][0]
    try:  # 40007 (a media id WeCom no longer knows) is a definite refusal: nothing was made, so upload again and resend
        created = with_fresh_media(ctx.media, lambda: channel.add_msg_template(
            sender, sorted(by_external), text=ctx.text(task) or None, attachments=ctx.media.message_attachments()))
    except ChannelError as exc:
        if _ambiguous(exc):
            log.warning("mass send: add_msg_template unanswered, to reconcile", tenant_id=tenant_id, task_id=task.id, code=exc.code)
            return
        with uow:
            if exc.retryable:
                uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.SUBMITTING.value, state=TaskState.PLANNED.value,
                                         errcode=exc.errcode, error=exc.message[:300])
            else:
                _refuse(uow, tenant_id, task, exc.errcode, exc.message)
            uow.commit()
        return
    except (InvalidInput, ValueError) as exc:  # refused before any call
        with uow:
            _refuse(uow, tenant_id, task, None, str(exc))
            uow.commit()
        return
    _record_submitted(uow, tenant_id, task, created.msgid, set(created.fail_list), by_external)


def _media_ready(uow: SqlUnitOfWork, tenant_id: int, ctx: _Send, task: MassSendTask) -> bool:
    """Upload the attachments' files (or find their ids) before the task is claimed: a brand
    server that is down waits for the next round; a file WeCom would never take refuses the task."""
    try:
        ctx.media.ids()
        return True
    except ChannelError as exc:
        if exc.retryable:
            log.warning("mass send: attachment upload failed, next round", tenant_id=tenant_id, task_id=task.id, code=exc.code)
            return False
        error: ChannelError | InvalidInput = exc
    except InvalidInput as exc:
        error = exc
    with uow:
        if uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.PLANNED.value, state=TaskState.SUBMITTING.value):
            _refuse(uow, tenant_id, task, getattr(error, "errcode", None), f"{error.code}: {error.message}")
        uow.commit()
    return False


def _refuse(uow: SqlUnitOfWork, tenant_id: int, task: MassSendTask, errcode: int | None, message: str) -> None:
    uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.SUBMITTING.value, state=TaskState.FINAL.value,
                             errcode=errcode, error=message[:300])
    uow.mass_sends.close_targets(tenant_id, task.mass_send_id, open_statuses=OPEN_TARGETS, status=TargetStatus.REFUSED.value,
                                 task_id=task.id)


def _record_submitted(uow: SqlUnitOfWork, tenant_id: int, task: MassSendTask, msgid: str, failed: set[str],
                      by_external: dict[str, int]) -> None:
    with uow:
        if not uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.SUBMITTING.value,
                                        state=TaskState.SUBMITTED.value, msgid=msgid, errcode=None, error=None):
            return
        uow.mass_sends.set_targets(tenant_id, task.id, [c for e, c in by_external.items() if e not in failed],
                                   status=TargetStatus.WAITING.value)
        uow.mass_sends.set_targets(tenant_id, task.id, [c for e, c in by_external.items() if e in failed],
                                   status=TargetStatus.REFUSED.value)
        uow.mass_sends.close_targets(tenant_id, task.mass_send_id, open_statuses=[TargetStatus.PLANNED.value],
                                     status=TargetStatus.REFUSED.value, task_id=task.id)  # no WeCom id: never submitted
        uow.commit()


def _all_results(channel: Channel, msgid: str, userid: str) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    cursor = ""
    while True:
        page = channel.get_groupmsg_send_result(msgid, userid, cursor=cursor)
        found.update({r.external_userid: (r.status, r.send_time) for r in page.items if r.external_userid})
        cursor = page.next_cursor
        if not cursor:
            return found


def _reconcile(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, ctx: _Send, task: MassSendTask, now: datetime) -> bool:
    """Find the WeCom task an unanswered add_msg_template may have made; True when found (and recorded)."""
    with uow:
        targets = uow.mass_sends.task_targets(tenant_id, task.id)
        claimed = uow.mass_sends.msgids(tenant_id)
    by_external = {ext: cid for cid, (status, ext) in targets.items() if ext and status == TargetStatus.PLANNED.value}
    sender, text = ctx.senders[task.staff_id][0], ctx.text(task)
    started = task.submit_started_at or now
    start = int((started - LOOK_BACK).timestamp())
    end = max(start + 1, min(int(now.timestamp()) + 60, start + 30 * 86400))
    cursor = ""
    while True:
        # No creator filter: WeCom leaves ``creator`` out for tasks made through the API. The sender
        # shows in the recipients instead (send results are asked for per sender).
        page = channel.get_groupmsg_list(start_time=start, end_time=end, cursor=cursor)
        for message in page.items:
            if message.msgid in claimed or (message.text or {}).get("content", "") != text:
                continue
            recipients = set(_all_results(channel, message.msgid, sender))
            if recipients and recipients <= by_external.keys():
                log.info("mass send: unanswered task found in WeCom", tenant_id=tenant_id, task_id=task.id, msgid=message.msgid)
                _record_submitted(uow, tenant_id, task, message.msgid, set(by_external) - recipients, by_external)
                return True
        cursor = page.next_cursor
        if not cursor:
            return False


# ---- results -----------------------------------------------------------------------------------


def _poll(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, ctx: _Send, task: MassSendTask, timing: Timing,
          now: datetime, *, cancel: bool = False) -> None:
    assert task.msgid is not None
    sender = ctx.senders[task.staff_id][0]
    confirmed = False
    cursor = ""
    while True:
        page = channel.get_groupmsg_task(task.msgid, cursor=cursor)
        confirmed = confirmed or any(t.userid == sender and t.status == 2 for t in page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    results = _all_results(channel, task.msgid, sender)
    started = task.submit_started_at or now
    expired = not confirmed and now - started >= timing.expire_after
    reminded = list(task.reminded)
    if cancel or expired:
        if not confirmed:
            channel.cancel_groupmsg_send(task.msgid)
    elif not confirmed:
        last = max(reminded, default=started.timestamp())
        stamp = now.timestamp()
        if stamp - last >= timing.remind_every.total_seconds() and reminders_left(reminded, stamp) > 0:
            channel.remind_groupmsg_send(task.msgid)
            reminded.append(stamp)
    final = confirmed or cancel or expired
    with uow:
        targets = uow.mass_sends.task_targets(tenant_id, task.id)
        changes: dict[str, list[int]] = defaultdict(list)
        sent_times: dict[int, datetime] = {}
        for customer_id, (status, external) in targets.items():
            if status not in OPEN_TARGETS:
                continue
            code, send_time = results.get(external, (0, 0))
            new = WECOM_RESULT.get(code, TargetStatus.WAITING)
            if new is TargetStatus.WAITING and final:
                new = TargetStatus.UNSENT
            if new.value != status:
                changes[new.value].append(customer_id)
                if new is TargetStatus.SENT:
                    sent_times[customer_id] = datetime.fromtimestamp(send_time, UTC) if send_time else now
        for status, customer_ids in changes.items():
            if status == TargetStatus.SENT.value:
                for when in sorted(set(sent_times.values())):
                    uow.mass_sends.set_targets(tenant_id, task.id, [c for c, t in sent_times.items() if t == when],
                                               status=status, sent_at=when)
            else:
                uow.mass_sends.set_targets(tenant_id, task.id, customer_ids, status=status)
        newly_sent = changes.get(TargetStatus.SENT.value, [])
        if newly_sent:  # what the next screening counts; (mass_send, id) once per customer
            contact_pressure.record_in(uow, tenant_id, [(c, task.staff_id) for c in newly_sent], source_kind=SOURCE_KIND,
                                       source_id=task.mass_send_id, sent_at=now, wecom_mass=True)
        values: dict[str, object] = {"polled_at": now, "reminded": reminded}
        if confirmed and task.confirmed_at is None:
            values["confirmed_at"] = now
        if final:
            values["state"] = TaskState.FINAL.value
        uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.SUBMITTED.value, **values)
        uow.commit()


# ---- one step of a send --------------------------------------------------------------------------


def _context(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, send: MassSend, tasks: list[MassSendTask]) -> _Send:
    with uow:
        staff = uow.staff.many(tenant_id, sorted({t.staff_id for t in tasks}))
        materials = uow.welcome.materials(tenant_id, list(send.material_ids))
    media = MaterialMedia(uow, channel, tenant_id, [materials[m] for m in send.material_ids if m in materials], MediaPurpose.MESSAGE)
    return _Send(send, {s.id: (s.wecom_userid, s.name) for s in staff}, media)


def advance(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, send_id: int, *,
            timing: Timing = Timing(), now: datetime | None = None) -> SendStatus | None:
    """Everything a send needs now: plan it when due, submit its tasks, read its results. Safe to
    run again at any time, from any worker, after any crash."""
    now = now or utcnow()
    plan_mass_send(uow, tenant_id, send_id, now=now)
    with uow:
        send = uow.mass_sends.get(tenant_id, send_id)
        tasks = uow.mass_sends.tasks(tenant_id, send_id) if send else []
    if send is None or send.status in (SendStatus.SCHEDULED, SendStatus.DONE, SendStatus.FAILED):
        return send.status if send else None
    if send.status is SendStatus.CANCELLED and send.finished_at is not None:
        return send.status
    cancelling = send.status is SendStatus.CANCELLED
    open_tasks = [t for t in tasks if t.state is not TaskState.FINAL]
    if open_tasks:
        channel = open_channel(uow, box, channels, tenant_id)
        ctx = _context(uow, channel, tenant_id, send, open_tasks)
        for task in open_tasks:
            try:
                _step(uow, channel, tenant_id, ctx, task, timing, now, cancelling)
            except ChannelError as exc:  # one task's trouble waits for the next round; the others go on
                log.warning("mass send: task step failed", tenant_id=tenant_id, task_id=task.id, code=exc.code)
    with uow:
        states = {t.state for t in uow.mass_sends.tasks(tenant_id, send_id)}
        if cancelling and not (states & {TaskState.SUBMITTING, TaskState.SUBMITTED}):
            uow.mass_sends.close_targets(tenant_id, send_id, open_statuses=OPEN_TARGETS, status=TargetStatus.UNSENT.value)
            uow.mass_sends.move(tenant_id, send_id, from_statuses=[SendStatus.CANCELLED.value], finished_at=now)
        elif not cancelling and states <= {TaskState.FINAL}:
            uow.mass_sends.move(tenant_id, send_id, from_statuses=[send.status.value], status=SendStatus.DONE.value, finished_at=now)
        elif not cancelling and not (states & {TaskState.PLANNED, TaskState.SUBMITTING}):
            uow.mass_sends.move(tenant_id, send_id, from_statuses=[SendStatus.SENDING.value], status=SendStatus.POLLING.value)
        uow.commit()
        final = uow.mass_sends.get(tenant_id, send_id)
    return final.status if final else None


def _step(uow: SqlUnitOfWork, channel: Channel, tenant_id: int, ctx: _Send, task: MassSendTask, timing: Timing, now: datetime,
          cancelling: bool) -> None:
    if cancelling and task.state is TaskState.PLANNED:
        with uow:
            if uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.PLANNED.value, state=TaskState.FINAL.value):
                uow.mass_sends.close_targets(tenant_id, task.mass_send_id, open_statuses=OPEN_TARGETS,
                                             status=TargetStatus.UNSENT.value, task_id=task.id)
            uow.commit()
        return
    if task.state is TaskState.SUBMITTING and cancelling:
        started = task.submit_started_at or now
        if now - started >= timing.reconcile_after and not _reconcile(uow, channel, tenant_id, ctx, task, now):
            with uow:
                if uow.mass_sends.move_task(tenant_id, task.id, from_state=TaskState.SUBMITTING.value, state=TaskState.FINAL.value):
                    uow.mass_sends.close_targets(tenant_id, task.mass_send_id, open_statuses=OPEN_TARGETS,
                                                 status=TargetStatus.UNSENT.value, task_id=task.id)
                uow.commit()
            return
    elif task.state in (TaskState.PLANNED, TaskState.SUBMITTING):
        _submit(uow, channel, tenant_id, ctx, task, timing, now)
    with uow:
        current = uow.mass_sends.task(tenant_id, task.id)
    if current is not None and current.state is TaskState.SUBMITTED:
        _poll(uow, channel, tenant_id, ctx, current, timing, now, cancel=cancelling)


def unfinished(uow: SqlUnitOfWork, *, now: datetime | None = None) -> list[tuple[int, int]]:
    """(tenant, send) the periodic sweep advances: due, sending, polling, or cancelling."""
    with uow:
        return uow.mass_sends.due(now or utcnow())
