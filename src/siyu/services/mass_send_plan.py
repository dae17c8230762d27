"""Planning a mass send (群发): the durable plan the worker (:mod:`siyu.services.mass_send_worker`)
then advances.

The plan is written in ONE transaction: every customer of the audience gets a target row
(through which staff member, or the reason they are excluded: no relation, no WeCom id, the
experiment's holdout, contact pressure) and every staff member (and experiment arm) gets tasks
of at most 10,000 customers, each with a stable idempotency key. A crash while planning leaves
nothing; planning again starts over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.mass_sends import (
    TASK_MAX_CUSTOMERS, ExclusionReason, MassSend, SendStatus, TargetStatus, TaskState, chunks, idempotency_key,
)
from siyu.services import contact_pressure, experiments, segment_matching
from siyu.services.clock import utcnow

TASK_SIZE = TASK_MAX_CUSTOMERS  # customers per WeCom task


@dataclass(frozen=True, slots=True)
class PlanCounts:
    audience: int
    planned: int
    excluded: dict[str, int]
    tasks: int


def _audience(uow: SqlUnitOfWork, tenant_id: int, send: MassSend) -> set[int]:
    if send.segment_id is not None:
        segment = uow.segments.find(tenant_id, send.segment_id)
        if segment is None:
            raise InvalidInput("mass_send.segment_gone", "the send's segment was deleted before it was planned", field="segment_id")
        return segment_matching.matching_customers(uow, tenant_id, segment.rule)
    return uow.mass_sends.live_customers(tenant_id, send.customer_ids)


def plan_mass_send(uow: SqlUnitOfWork, tenant_id: int, send_id: int, *, now: datetime | None = None) -> PlanCounts | None:
    """Write the whole plan of a due send in one transaction (None: not due, or planned already)."""
    now = now or utcnow()
    with uow:
        send = uow.mass_sends.get(tenant_id, send_id)
        if send is None or send.status is not SendStatus.SCHEDULED or send.scheduled_at > now:
            return None
        try:
            audience = _audience(uow, tenant_id, send)
        except DomainError as exc:
            uow.mass_sends.move(tenant_id, send_id, from_statuses=[SendStatus.SCHEDULED.value], status=SendStatus.FAILED.value,
                                error=exc.message[:300], finished_at=now)
            uow.commit()
            return None
        chosen = uow.mass_sends.chosen_staff(tenant_id)  # customer -> staff (the owner, else the latest active relation)
        with_wecom = uow.mass_sends.with_wecom_id(tenant_id)
        arms: dict[int, str] = {}
        control = None
        if send.experiment_id is not None:
            experiment = uow.experiments.get(tenant_id, send.experiment_id)
            control = experiment.holdout.key if experiment and experiment.holdout else None  # a sent baseline holds nobody out
            arms = experiments.assign_in(uow, tenant_id, send.experiment_id, audience, now=now)
        excluded: dict[int, str] = {}
        for customer_id in audience:
            if customer_id not in chosen:
                excluded[customer_id] = ExclusionReason.NO_RELATION.value
            elif customer_id not in with_wecom:
                excluded[customer_id] = ExclusionReason.NO_WECOM_ID.value
            elif control is not None and arms.get(customer_id) == control:
                excluded[customer_id] = ExclusionReason.HOLDOUT.value
        candidates = sorted(audience - excluded.keys())
        if candidates:  # opted out, quiet hours, the tenant's limits and WeCom's cap (services.contact_pressure)
            screening = contact_pressure.screen_in(uow, tenant_id, candidates, at=now, wecom_mass=True)
            excluded.update({c: r.value for c, r in screening.excluded.items()})
            candidates = sorted(screening.allowed)
        groups: dict[tuple[int, str], list[int]] = defaultdict(list)
        for customer_id in candidates:
            groups[(chosen[customer_id], arms.get(customer_id, ""))].append(customer_id)
        planned_tasks = [(staff_id, arm, number, chunk) for (staff_id, arm), members in sorted(groups.items())
                         for number, chunk in enumerate(chunks(members, TASK_SIZE))]
        task_ids = uow.mass_sends.add_tasks(tenant_id, send_id, [
            {"staff_id": staff_id, "arm": arm, "chunk": number, "idempotency_key": idempotency_key(send_id, staff_id, arm, number),
             "state": TaskState.PLANNED.value, "customers": len(chunk)} for staff_id, arm, number, chunk in planned_tasks])
        task_of: dict[int, int] = {}
        for staff_id, arm, number, chunk in planned_tasks:
            task_of.update(dict.fromkeys(chunk, task_ids[(staff_id, arm, number)]))
        tasks = len(planned_tasks)

        planned, excluded_status = TargetStatus.PLANNED.value, TargetStatus.EXCLUDED.value

        def rows() -> Iterable[tuple[object, ...]]:  # the repository's TARGET_COLUMNS order
            for customer_id in candidates:
                yield (tenant_id, send_id, customer_id, chosen[customer_id], task_of[customer_id], arms.get(customer_id), planned, None)
            for customer_id, reason in sorted(excluded.items()):
                yield (tenant_id, send_id, customer_id, chosen.get(customer_id), None, arms.get(customer_id), excluded_status, reason)

        uow.mass_sends.add_targets(rows())
        status = SendStatus.SENDING if tasks else SendStatus.DONE
        moved = uow.mass_sends.move(tenant_id, send_id, from_statuses=[SendStatus.SCHEDULED.value], status=status.value,
                                    planned_at=now, **({"finished_at": now} if not tasks else {}))
        if not moved:
            return None  # cancelled meanwhile: the rollback leaves no plan
        uow.commit()
    counts: dict[str, int] = defaultdict(int)
    for reason in excluded.values():
        counts[reason] += 1
    return PlanCounts(len(audience), len(candidates), dict(counts), tasks)
