"""Mass sends (群发), the operator's side: create (immediate or scheduled), preview the
audience, list, report, cancel. The worker's side — planning, submitting to WeCom, results,
reminders, crash recovery — is :mod:`siyu.services.mass_send_worker`."""

from __future__ import annotations

from datetime import datetime

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.mass_sends import MassSend, MassSendDraft, MassSendReport, SendStatus, StaffProgress, TaskState
from siyu.domain.paging import Page, PageRequest
from siyu.domain.send_experiments import SendExperiment
from siyu.services import experiments, segment_matching
from siyu.services.clock import utcnow

FINISHED = (SendStatus.DONE, SendStatus.CANCELLED, SendStatus.FAILED)


def create_mass_send(uow: SqlUnitOfWork, actor: Actor, draft: MassSendDraft, *, now: datetime | None = None,
                     experiment: SendExperiment | None = None) -> MassSend:
    """Record the send; the worker plans it at ``scheduled_at`` (now when not given). ``experiment``:
    a holdout and/or variant B made into the send's own experiment, in the same transaction."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    now = now or utcnow()
    with uow:
        tenant_id = actor.tenant_id
        draft = experiments.attach_in(uow, tenant_id, draft, experiment, start=draft.scheduled_at or now, now=now)
        if draft.segment_id is not None and uow.segments.find(tenant_id, draft.segment_id) is None:
            raise NotFound("segment.not_found", "no such segment")
        if draft.customer_ids:
            _refuse_unknown(set(draft.customer_ids) - uow.mass_sends.live_customers(tenant_id, draft.customer_ids))
        if draft.material_ids:
            found = uow.welcome.materials(tenant_id, list(draft.material_ids))
            if len(found) != len(draft.material_ids):
                raise NotFound("material.not_found", "no such material")
        if draft.experiment_id is not None:
            experiment = uow.experiments.get(tenant_id, draft.experiment_id)
            if experiment is None:
                raise NotFound("experiment.not_found", "no such experiment")
            arms = {a.key for a in experiment.arms}
            stray = sorted(set(draft.variant_texts) - arms)
            if stray:
                raise InvalidInput("mass_send.unknown_arm", "the experiment has no arm %(arm)s", field="variant_texts", arm=stray[0])
        if draft.scheduled_at is not None and draft.scheduled_at < now:
            raise InvalidInput("mass_send.in_the_past", "the scheduled time has passed", field="scheduled_at")
        send_id = uow.mass_sends.add(
            tenant_id, name=draft.name, text=draft.text, material_ids=list(draft.material_ids), segment_id=draft.segment_id,
            customer_ids=list(draft.customer_ids) or None, experiment_id=draft.experiment_id,
            variant_texts=dict(draft.variant_texts), status=SendStatus.SCHEDULED.value, scheduled_at=draft.scheduled_at or now,
            created_by=actor.name or f"user:{actor.user_id}", created_at=now)
        made = _get(uow, tenant_id, send_id)
        uow.commit()
    return made


def audience_count(uow: SqlUnitOfWork, actor: Actor, *, segment_id: int | None = None, customer_ids: list[int] | None = None) -> int:
    """How many live customers the audience holds now (before exclusions): the form's preview."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        if segment_id is not None:
            segment = uow.segments.find(actor.tenant_id, segment_id)
            if segment is None:
                raise NotFound("segment.not_found", "no such segment")
            return len(segment_matching.matching_customers(uow, actor.tenant_id, segment.rule))
        wanted = set(customer_ids or [])
        found = uow.mass_sends.live_customers(actor.tenant_id, wanted)
        _refuse_unknown(wanted - found)
        return len(found)


def list_mass_sends(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *,
                    status: str | None = None) -> Page[MassSend]:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return uow.mass_sends.list(actor.tenant_id, request, status=status)


def get_mass_send(uow: SqlUnitOfWork, actor: Actor, send_id: int) -> MassSend:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return _get(uow, actor.tenant_id, send_id)


def mass_send_report(uow: SqlUnitOfWork, actor: Actor, send_id: int) -> MassSendReport:
    """Targets by status, exclusions by reason, and each staff member's tasks, confirmations and deliveries."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        tenant_id = actor.tenant_id
        send = _get(uow, tenant_id, send_id)
        targets = uow.mass_sends.target_counts(tenant_id, send_id)
        exclusions = uow.mass_sends.exclusion_counts(tenant_id, send_id)
        tasks = uow.mass_sends.tasks(tenant_id, send_id)
        per_staff = uow.mass_sends.staff_counts(tenant_id, send_id)
        names = {s.id: s.name for s in uow.staff.many(tenant_id, sorted({t.staff_id for t in tasks}))}
    staff: list[StaffProgress] = []
    for staff_id in sorted({t.staff_id for t in tasks}, key=lambda s: (names.get(s, ""), s)):
        mine = [t for t in tasks if t.staff_id == staff_id]
        customers, sent = per_staff.get(staff_id, (0, 0))
        staff.append(StaffProgress(staff_id, names.get(staff_id, ""), len(mine), sum(1 for t in mine if t.confirmed_at),
                                   customers, sent, sum(len(t.reminded) for t in mine)))
    states = {s.value: 0 for s in TaskState}
    for task in tasks:
        states[task.state.value] += 1
    return MassSendReport(send, sum(targets.values()), targets, exclusions, staff, states)


def cancel_mass_send(uow: SqlUnitOfWork, actor: Actor, send_id: int, *, now: datetime | None = None) -> MassSend:
    """Stop the send: nothing more is submitted; the worker cancels the tasks already in WeCom
    (what staff members confirmed already stays sent)."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        send = _get(uow, actor.tenant_id, send_id)
        if send.status in FINISHED:
            raise Conflict("mass_send.finished", "the mass send is finished already")
        scheduled = send.status is SendStatus.SCHEDULED
        uow.mass_sends.move(actor.tenant_id, send_id, from_statuses=[send.status.value], status=SendStatus.CANCELLED.value,
                            **({"finished_at": now or utcnow()} if scheduled else {}))
        cancelled = _get(uow, actor.tenant_id, send_id)
        uow.commit()
    return cancelled


def _refuse_unknown(unknown: set[int]) -> None:
    if unknown:
        raise InvalidInput("mass_send.unknown_customers", "%(count)s customers are not customers of this brand (e.g. %(example)s)",
                           field="customer_ids", count=len(unknown), example=min(unknown))


def _get(uow: SqlUnitOfWork, tenant_id: int, send_id: int) -> MassSend:
    found = uow.mass_sends.get(tenant_id, send_id)
    if found is None:
        raise NotFound("mass_send.not_found", "no such mass send")
    return found
