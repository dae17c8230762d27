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

4. **Contact pressure.** Before the outbox row is written, the customer is screened
   (``services.contact_pressure.screen_in``, as a WeCom mass message) under a lock on their
   row, so two workers screening one customer take turns. Opted out or capped: nothing is
   written to the outbox, the customer leaves the journey at the step (dropped, the reason as
   its detail). Quiet hours: the enrollment waits at the same step until they end
   (``reason='quiet_hours'`` while it waits) and is screened again then. Allowed: the outbox
   row and its line in the contact log (``record_in``, source ``journey``, the outbox row's
   id) are written in one transaction, so the next screening (a journey's or a mass send's)
   counts the message before WeCom is even called; a message WeCom refused is taken out of
   the log again, one left ``unknown`` stays in it (it may have reached the customer). A
   retry that finds the outbox row is not screened again: the message was decided already.

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
from siyu.adapters.secret_box import SecretBox
from siyu.domain.contact_pressure import ExclusionReason
from siyu.domain.customers import Customer
from siyu.domain.days import today_in_shanghai
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.journeys import END, EnrollmentState, Journey, Step, StepKind
from siyu.services import clock, contact_pressure, stages, tags
from siyu.services.segment_matching import matching_customers
from siyu.services.wecom_settings import ChannelFactory, open_channel

LEASE = timedelta(minutes=10)  # a claim older than this belonged to a worker that died
BATCH = 200
SOURCE_KIND = "journey"  # the contact log's source kind; its source id is the outbox row's id (one per customer and step)
RAN, EXCLUDED, DEFERRED, LOST = "ran", "excluded", "deferred", "lost"  # what advancing one enrollment came to
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
    excluded: int = 0  # message steps not sent for a contact-pressure rule (opted out, capped): in ``steps`` too
    deferred: int = 0  # message steps put off until quiet hours end (not in ``steps``: they run later)
    failed: int = 0  # steps that raised (rolled back; retried after the lease)
    rounds: int = 0


@dataclass
class _Runner:
    new_uow: Callable[[], SqlUnitOfWork]
    messenger: Messenger
    guide_tasks: GuideTasks
    now: datetime

    def advance(self, tenant_id: int, enrollment_id: int, version: int) -> str:
        """Run the enrollment's current step and move it on: :data:`RAN`, :data:`EXCLUDED` or
        :data:`DEFERRED` (a message step and contact pressure), :data:`LOST` (the claim was lost).

        One transaction, except for a message to send: its outbox row is committed first, WeCom
        called, and the step finished in a second transaction."""
        with self.new_uow() as uow:
            row, journey, step, customer = loaded = self._load(uow, tenant_id, enrollment_id, version)
            if row is None or journey is None:
                return LOST
            contact = None
            if step is not None and customer is not None and step.kind is StepKind.MESSAGE and customer.owner_staff_id:
                contact = uow.journeys.contact_of(tenant_id, customer.id, customer.owner_staff_id)
            if contact is None or step is None or customer is None:
                return RAN if self._finish(uow, tenant_id, enrollment_id, version, loaded, None) else LOST
            key = _key(enrollment_id, step)
            if uow.journeys.message(tenant_id, key) is None:  # not decided yet: screen before anything is written
                uow.journeys.lock_customer(tenant_id, customer.id)
                screening = contact_pressure.screen_in(uow, tenant_id, [customer.id], at=self.now, wecom_mass=True)
                reason = screening.excluded.get(customer.id)
                if reason is ExclusionReason.QUIET_HOURS:
                    return DEFERRED if self._defer(uow, tenant_id, enrollment_id, version, step) else LOST
                if reason is not None:
                    return EXCLUDED if self._drop(uow, tenant_id, journey.id, enrollment_id, version, step.id, reason.value) else LOST
            created = uow.journeys.add_message(tenant_id, key, enrollment_id=enrollment_id,
                                               staff_id=customer.owner_staff_id or 0, customer_id=customer.id, now=self.now)
            if created is not None:  # counted from now on, by every screening (journeys and mass sends)
                contact_pressure.record_in(uow, tenant_id, [(customer.id, customer.owner_staff_id)], source_kind=SOURCE_KIND,
                                           source_id=created, sent_at=self.now, wecom_mass=True)
            uow.commit()  # the outbox row first: WeCom is called only by whoever wrote it
        message = self._send(tenant_id, contact, step) if created is not None else ("", "")
        with self.new_uow() as uow:
            loaded = self._load(uow, tenant_id, enrollment_id, version)
            if loaded[0] is None:
                return LOST
            return RAN if self._finish(uow, tenant_id, enrollment_id, version, loaded, message) else LOST

    def _defer(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int, step: Step) -> bool:
        """Quiet hours: back to waiting at the same step until they end (then screened again)."""
        until = contact_pressure.rules_in(uow, tenant_id).quiet_hours_end(self.now) or self.now + timedelta(minutes=1)
        moved = uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.WAITING.value,
                                  step_id=step.id, next_run_at=until, reason=ExclusionReason.QUIET_HOURS.value)
        if moved:
            uow.commit()
        return moved

    def _drop(self, uow: SqlUnitOfWork, tenant_id: int, journey_id: int, enrollment_id: int, version: int, step_id: str,
              reason: str) -> bool:
        """The customer leaves the journey at the step, the reason recorded as the step run's detail."""
        uow.journeys.record_step(tenant_id, journey_id, enrollment_id, step_id, outcome="dropped", detail=reason, now=self.now)
        moved = uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.DROPPED.value,
                                  reason=reason)
        if moved:
            uow.commit()
        return moved

    def _finish(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int,
                loaded: tuple[Any, Journey | None, Step | None, Customer | None], message: tuple[str, str] | None) -> bool:
        row, journey, step, customer = loaded
        if journey is None:
            return False
        if step is None or customer is None:
            return self._drop(uow, tenant_id, journey.id, enrollment_id, version, row.step_id,
                              "step_removed" if step is None else "customer_gone")
        matched, detail = self._effects(uow, tenant_id, enrollment_id, journey, step, customer, message)
        uow.journeys.record_step(tenant_id, journey.id, enrollment_id, step.id, outcome="passed", detail=detail, now=self.now)
        if not self._move_on(uow, tenant_id, enrollment_id, version, journey, step, matched):
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
        outbox = uow.journeys.message(tenant_id, key)
        if status == "failed" and outbox is not None:  # refused: it reached nobody, so it does not count
            uow.contact_pressure.unrecord(tenant_id, source_kind=SOURCE_KIND, source_id=outbox.id)
        return None, status

    def _move_on(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int, journey: Journey, step: Step,
                 matched: bool | None) -> bool:
        following = journey.definition.after(step, matched=matched)
        if following == END:
            return uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.DONE.value, reason=None)
        nxt = journey.definition.step(following)
        assert nxt is not None
        run_at = nxt.wake_at(self.now) if nxt.kind is StepKind.WAIT else self.now
        return uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.WAITING.value,
                                 step_id=nxt.id, next_run_at=run_at, reason=None)


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
        with new_uow().reading() as uow:  # only reads: on SQLite it holds no write lock the other workers would wait on
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
                outcome = runner.advance(tenant_id, enrollment_id, version)
                report.steps += outcome in (RAN, EXCLUDED)
                report.excluded += outcome == EXCLUDED
                report.deferred += outcome == DEFERRED
                report.lost += outcome == LOST
            except (DomainError, SQLAlchemyError) as exc:  # rolled back; the lease gives it back for a retry
                report.failed += 1
                log.warning("journey step failed", tenant_id=tenant_id, enrollment_id=enrollment_id, error=type(exc).__name__,
                            reason=str(exc)[:200])
    return report
