"""The worker's side of journeys: claim due enrollments, run each step exactly once, move on.

Exactly once, by construction:

1. **Claim.** ``UPDATE journey_enrollments SET state='running', version=version+1 WHERE id IN
   (due) AND state='waiting' RETURNING ...`` in its own short transaction. Two workers racing
   for the same rows each get a disjoint part (PostgreSQL re-checks the WHERE after the first
   commits; SQLite has one writer at a time).
2. **Run.** One transaction per step: the step's database effects (tags, stage, guide task),
   the step's row in ``journey_step_runs`` (unique per enrollment and step) and the move to the
   next step, written only ``WHERE version = <the claim's>``. A crash or a failed commit
   rolls all of it back; the claim is given back after :data:`LEASE` and the step runs again
   from the start, so nothing is done twice and nothing is lost.
3. **Messages** leave the database, so they go through an outbox: the row keyed
   ``journey:<enrollment>:<step>`` is committed *before* WeCom is called. A retry that finds
   the row sent does not send again; one that finds it still pending (the worker died
   between committing the row and recording WeCom's answer) cannot know whether WeCom took
   it, marks it ``unknown`` and does not send again: a customer is never messaged twice.

A paused journey's enrollments are not due; a stopped journey's have left. The guide-task
and message steps call ports (:class:`GuideTasks`, :class:`Messenger`) that the worker wires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy.exc import SQLAlchemyError

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import Customer
from siyu.domain.days import today_in_shanghai
from siyu.adapters.secret_box import SecretBox
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.journeys import END, EnrollmentState, Journey, Step, StepKind
from siyu.services import clock, stages, tags
from siyu.services.segment_matching import matching_customers
from siyu.services.wecom_settings import ChannelFactory, open_channel

LEASE = timedelta(minutes=10)  # a claim older than this belonged to a worker that died
BATCH = 200
log = structlog.get_logger("siyu.journeys")


class Messenger(Protocol):
    """Sends one message from a staff member to one customer (WeCom: add_msg_template, chat_type
    single, one external_userid); returns WeCom's msgid. Raises DomainError when refused."""

    def __call__(self, uow_factory: Callable[[], SqlUnitOfWork], tenant_id: int, *, sender: str, external_userid: str,
                 text: str) -> str: ...


class GuideTasks(Protocol):
    """``siyu.services.guide_tasks.add_source_task_in``: a task for a guide, idempotent on source_key."""

    def __call__(self, uow: SqlUnitOfWork, tenant_id: int, *, staff_id: int, customer_id: int | None, kind: str, title: str,
                 script: str, due_at: datetime, source_kind: str, source_key: str) -> int: ...


def wecom_messenger(box: SecretBox, channels: ChannelFactory) -> Messenger:
    """The worker's :class:`Messenger`: WeCom's add_msg_template from the owner staff to one
    customer (chat_type single); the staff member confirms it in WeCom, as WeCom requires."""

    def send(uow_factory: Callable[[], SqlUnitOfWork], tenant_id: int, *, sender: str, external_userid: str, text: str) -> str:
        channel = open_channel(uow_factory(), box, channels, tenant_id)
        created = channel.add_msg_template(sender, [external_userid], text=text)  # a ChannelError is a DomainError: recorded failed
        if external_userid in created.fail_list:
            raise InvalidInput("journey.message_refused", "WeCom refused the message for this customer (not a friend, or over the limit)")
        return created.msgid

    return send


@dataclass
class RunReport:
    claimed: int = 0
    steps: int = 0  # steps run and recorded
    lost: int = 0  # claims another worker's lease expiry or a stop took over
    failed: int = 0  # steps that raised (rolled back; retried after the lease)
    rounds: int = 0


@dataclass
class _Runner:
    new_uow: Callable[[], SqlUnitOfWork]
    messenger: Messenger
    guide_tasks: GuideTasks
    now: datetime

    def advance(self, tenant_id: int, enrollment_id: int, version: int) -> bool:
        """Run the enrollment's current step and move it on; False when the claim was lost.

        One transaction, except for a message to send: its outbox row is committed first, WeCom
        called, and the step finished in a second transaction."""
        with self.new_uow() as uow:
            row, journey, step, customer = loaded = self._load(uow, tenant_id, enrollment_id, version)
            if row is None:
                return False
            contact = None
            if step is not None and customer is not None and step.kind is StepKind.MESSAGE and customer.owner_staff_id:
                contact = uow.journeys.contact_of(tenant_id, customer.id, customer.owner_staff_id)
            if contact is None or step is None or customer is None:
                return self._finish(uow, tenant_id, enrollment_id, version, loaded, None)
            created = uow.journeys.add_message(tenant_id, _key(enrollment_id, step), enrollment_id=enrollment_id,
                                               staff_id=customer.owner_staff_id or 0, customer_id=customer.id, now=self.now)
            uow.commit()  # the outbox row first: WeCom is called only by whoever wrote it
        message = self._send(tenant_id, contact, step) if created else ("", "")
        with self.new_uow() as uow:
            loaded = self._load(uow, tenant_id, enrollment_id, version)
            if loaded[0] is None:
                return False
            return self._finish(uow, tenant_id, enrollment_id, version, loaded, message)

    def _finish(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int,
                loaded: tuple[Any, Journey | None, Step | None, Customer | None], message: tuple[str, str] | None) -> bool:
        row, journey, step, customer = loaded
        if journey is None:
            return False
        if step is None or customer is None:
            reason = "step_removed" if step is None else "customer_gone"
            uow.journeys.record_step(tenant_id, journey.id, enrollment_id, row.step_id, outcome="dropped", detail=reason, now=self.now)
            moved = uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.DROPPED.value,
                                      reason=reason)
        else:
            matched, detail = self._effects(uow, tenant_id, enrollment_id, journey, step, customer, message)
            uow.journeys.record_step(tenant_id, journey.id, enrollment_id, step.id, outcome="passed", detail=detail, now=self.now)
            moved = self._move_on(uow, tenant_id, enrollment_id, version, journey, step, matched)
        if not moved:
            return False
        uow.commit()
        return True

    def _load(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int,
              version: int) -> tuple[Any, Journey | None, Step | None, Customer | None]:
        if not uow.journeys.hold(tenant_id, enrollment_id, version, self.now):
            return None, None, None, None
        row = uow.journeys.enrollment(tenant_id, enrollment_id)
        if row is None or row.state != EnrollmentState.RUNNING.value or row.version != version:
            return None, None, None, None
        journey = uow.journeys.get(tenant_id, row.journey_id)
        step = journey.definition.step(row.step_id) if journey else None
        customer = uow.customers.get_any(tenant_id, row.customer_id)
        if customer is not None and customer.merged_into_id is not None:
            customer = None
        return row, journey, step, customer

    def _send(self, tenant_id: int, contact: tuple[str, str], step: Step) -> tuple[str, str]:
        try:
            msgid = self.messenger(self.new_uow, tenant_id, sender=contact[0], external_userid=contact[1], text=step.text)
        except DomainError as exc:
            return "failed", exc.code
        return "sent", msgid

    def _effects(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, journey: Journey, step: Step, customer: Customer,
                 message: tuple[str, str] | None) -> tuple[bool | None, str | None]:
        actor = f"journey:{journey.id}"
        if step.kind is StepKind.WAIT:
            return None, None
        if step.kind is StepKind.BRANCH:
            assert step.rule is not None
            matched = customer.id in matching_customers(uow, tenant_id, step.rule, {customer.id},
                                                        today=today_in_shanghai(self.now))
            return matched, "then" if matched else "else"
        if step.kind is StepKind.TAG:
            known = set(uow.tags.by_ids(tenant_id, list(step.ids)))
            changed = tags.apply_in(uow, tenant_id, {customer.id: sorted(known)}, add=step.action == "apply", source="journey",
                                    actor=actor) if known else 0
            return None, f"{changed} changed"
        if step.kind is StepKind.STAGE:
            all_stages = {s.id: s for s in uow.stages.all(tenant_id)}
            if step.stage_id not in all_stages:
                return None, "stage_missing"
            stages.move_in(uow, tenant_id, customer, step.stage_id, all_stages, actor=actor)
            return None, None
        if step.kind is StepKind.GUIDE_TASK:
            if customer.owner_staff_id is None:
                return None, "no_owner"
            task_id = self.guide_tasks(uow, tenant_id, staff_id=customer.owner_staff_id, customer_id=customer.id, kind="follow_up",
                                       title=step.title, script=step.text, due_at=self.now + timedelta(days=step.due_days),
                                       source_kind="journey", source_key=f"{enrollment_id}:{step.id}")
            return None, f"task {task_id}"
        # a message: the outbox row was written (and WeCom called) before this transaction
        key = _key(enrollment_id, step)
        if message is None:
            return None, "no_contact"
        status, detail = message
        if not status:  # written by an earlier attempt
            existing = uow.journeys.message(tenant_id, key)
            status = existing.status if existing is not None and existing.status != "pending" else "unknown"
            detail = existing.msgid or "" if existing is not None else ""
        uow.journeys.finish_message(tenant_id, key, status=status, msgid=detail if status == "sent" else None,
                                    error=detail if status == "failed" else None, now=self.now)
        return None, status

    def _move_on(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int, journey: Journey, step: Step,
                 matched: bool | None) -> bool:
        following = journey.definition.after(step, matched=matched)
        if following == END:
            return uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.DONE.value)
        nxt = journey.definition.step(following)
        assert nxt is not None
        run_at = nxt.wake_at(self.now) if nxt.kind is StepKind.WAIT else self.now
        return uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.WAITING.value,
                                 step_id=nxt.id, next_run_at=run_at)


def _key(enrollment_id: int, step: Step) -> str:
    return f"journey:{enrollment_id}:{step.id}"


def run_due(new_uow: Callable[[], SqlUnitOfWork], *, messenger: Messenger, guide_tasks: GuideTasks, now: datetime | None = None,
            batch: int = BATCH, max_rounds: int = 100) -> RunReport:
    """Advance every enrollment due at ``now``, round after round (a step that leads straight to
    the next makes it due again at once), until nothing is due or ``max_rounds``."""
    runner = _Runner(new_uow, messenger, guide_tasks, now or clock.utcnow())
    report = RunReport()
    for _ in range(max_rounds):
        with new_uow() as uow:  # each transaction that writes starts with its write (SQLite's lock, at once)
            uow.journeys.release_stale(runner.now - LEASE, runner.now)
            uow.commit()
        with new_uow() as uow:
            due = uow.journeys.due(runner.now, batch)
        with new_uow() as uow:
            claimed = uow.journeys.claim(due, runner.now)
            uow.commit()
        if not due:
            break
        report.rounds += 1
        report.claimed += len(claimed)
        for enrollment_id, tenant_id, version in claimed:
            try:
                if runner.advance(tenant_id, enrollment_id, version):
                    report.steps += 1
                else:
                    report.lost += 1
            except (DomainError, SQLAlchemyError) as exc:  # rolled back; the lease gives it back for a retry
                report.failed += 1
                log.warning("journey step failed", tenant_id=tenant_id, enrollment_id=enrollment_id, error=type(exc).__name__,
                            reason=str(exc)[:200])
    return report
