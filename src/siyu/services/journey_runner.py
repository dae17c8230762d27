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

4. **Contact pressure**, for a round at once. Before the outbox rows are written, the customers
   of the round's undecided message steps (one transaction per tenant) are locked (their rows,
   so two workers screening one customer take turns) and screened in one
   ``services.contact_pressure.screen_in`` call (as WeCom mass messages). A customer with two
   such steps (two journeys) has the second screened in a next pass, after the first was
   logged, so a cap the first reaches stops the second. Opted out or capped: nothing is written
   to the outbox, the customer leaves the journey at the step (dropped, the reason as its
   detail). Quiet hours: the enrollment waits at the same step until they end
   (``reason='quiet_hours'`` while it waits) and is screened again then. Allowed: the outbox
   rows and their lines in the contact log (one ``record_each_in``, source ``journey``, each
   outbox row's id) are written in that transaction, so the next screening (a journey's or a
   mass send's) counts the messages before WeCom is even called; a message WeCom refused is
   taken out of the log again, one left ``unknown`` stays in it (it may have reached the
   customer). Then WeCom is called message by message, each step finished in its own
   transaction. A retry that finds the outbox row is not screened again: the message was
   decided already. A worker that dies during a round's sends leaves its messages not yet
   handed to WeCom ``unknown`` like the one in flight (never sent twice, counted, not sent):
   up to a round of them (:data:`BATCH`), where one message was at stake before the batching.

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
RAN, EXCLUDED, DEFERRED, LOST, FAILED = "ran", "excluded", "deferred", "lost", "failed"  # what advancing one enrollment came to
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


@dataclass(frozen=True, slots=True)
class _Unscreened:
    """A claimed message step to a customer WeCom can reach, not decided yet."""

    enrollment_id: int
    version: int
    journey_id: int
    step: Step
    customer_id: int
    staff_id: int
    contact: tuple[str, str]  # (staff's WeCom userid, customer's external_userid)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """A message step screened in and written to the outbox: WeCom is called next."""

    contact: tuple[str, str]
    step: Step


@dataclass
class _Runner:
    new_uow: Callable[[], SqlUnitOfWork]
    messenger: Messenger
    guide_tasks: GuideTasks
    now: datetime

    def screen_messages(self, tenant_id: int, claims: dict[int, int]) -> dict[int, str | _Outgoing]:
        """Decide, in one transaction, every message step of the tenant's claims (enrollment id ->
        version) that nobody decided yet: screened together (one :func:`contact_pressure.screen_in`
        a pass), then dropped, deferred, or written to the outbox and the contact log (one
        :func:`contact_pressure.record_each_in` a pass). A customer with several such steps this
        round (two journeys) has one screened a pass, after the one before it was logged, so a cap
        the first reaches stops the second. Returns what became of each step decided here:
        :data:`EXCLUDED`, :data:`DEFERRED`, :data:`LOST`, or the message to send. The other claims
        (other steps, messages decided by an earlier attempt, customers out of reach) are left to
        :meth:`advance`."""
        decided: dict[int, str | _Outgoing] = {}
        with self.new_uow() as uow:
            pending = self._unscreened(uow, tenant_id, claims, decided)
            if pending:
                uow.journeys.lock_customers(tenant_id, (p.customer_id for p in pending))
            while pending:
                first: dict[int, _Unscreened] = {}
                later: list[_Unscreened] = []
                for p in pending:
                    if p.customer_id in first:
                        later.append(p)
                    else:
                        first[p.customer_id] = p
                screening = contact_pressure.screen_in(uow, tenant_id, list(first), at=self.now, wecom_mass=True)
                logged: list[tuple[int, int | None, int]] = []
                for p in first.values():
                    decided[p.enrollment_id] = self._decide(uow, tenant_id, p, screening.excluded.get(p.customer_id), logged)
                # counted from now on, by every screening (this round's next pass, journeys and mass sends)
                contact_pressure.record_each_in(uow, tenant_id, logged, source_kind=SOURCE_KIND, sent_at=self.now, wecom_mass=True)
                pending = later
            uow.commit()  # the outbox rows first: WeCom is called only by whoever wrote them
        return decided

    def _unscreened(self, uow: SqlUnitOfWork, tenant_id: int, claims: dict[int, int],
                    decided: dict[int, str | _Outgoing]) -> list[_Unscreened]:
        """The claims sitting on a message step to a reachable customer with no outbox row yet, in
        claim order; held (a hold lost goes into ``decided`` as :data:`LOST`)."""
        found: list[_Unscreened] = []
        journeys: dict[int, Journey | None] = {}
        for row in uow.journeys.enrollments_among(tenant_id, claims):
            version = claims[row.id]
            if row.state != EnrollmentState.RUNNING.value or row.version != version:
                continue
            if row.journey_id not in journeys:
                journeys[row.journey_id] = uow.journeys.get(tenant_id, row.journey_id)
            journey = journeys[row.journey_id]
            step = journey.definition.step(row.step_id) if journey else None
            if journey is None or step is None or step.kind is not StepKind.MESSAGE:
                continue
            if not uow.journeys.hold(tenant_id, row.id, version, self.now):
                decided[row.id] = LOST
                continue
            customer = uow.customers.get_any(tenant_id, row.customer_id)
            if customer is None or customer.merged_into_id is not None or not customer.owner_staff_id:
                continue
            if uow.journeys.message(tenant_id, _key(row.id, step)) is not None:
                continue
            contact = uow.journeys.contact_of(tenant_id, customer.id, customer.owner_staff_id)
            if contact is not None:
                found.append(_Unscreened(row.id, version, journey.id, step, customer.id, customer.owner_staff_id, contact))
        return found

    def _decide(self, uow: SqlUnitOfWork, tenant_id: int, p: _Unscreened, reason: ExclusionReason | None,
                logged: list[tuple[int, int | None, int]]) -> str | _Outgoing:
        if reason is ExclusionReason.QUIET_HOURS:
            return DEFERRED if self._defer(uow, tenant_id, p.enrollment_id, p.version, p.step) else LOST
        if reason is not None:
            return EXCLUDED if self._drop(uow, tenant_id, p.journey_id, p.enrollment_id, p.version, p.step.id, reason.value) else LOST
        created = uow.journeys.add_message(tenant_id, _key(p.enrollment_id, p.step), enrollment_id=p.enrollment_id,
                                           staff_id=p.staff_id, customer_id=p.customer_id, now=self.now)
        assert created is not None  # _unscreened found no row, and the claim is held
        logged.append((p.customer_id, p.staff_id, created))
        return _Outgoing(p.contact, p.step)

    def deliver(self, tenant_id: int, enrollment_id: int, version: int, outgoing: _Outgoing) -> str:
        """Call WeCom for a message :meth:`screen_messages` wrote to the outbox, then finish the step: :data:`RAN` or :data:`LOST`."""
        message = self._send(tenant_id, outgoing.contact, outgoing.step)
        with self.new_uow() as uow:
            loaded = self._load(uow, tenant_id, enrollment_id, version)
            return RAN if self._finish(uow, tenant_id, enrollment_id, version, loaded, message) else LOST

    def advance(self, tenant_id: int, enrollment_id: int, version: int) -> str:
        """Run the enrollment's current step and move it on, in one transaction: :data:`RAN`, or
        :data:`LOST` (the claim was lost). A message step that gets here was decided before: by an
        earlier attempt (its outbox row tells what became of it) or not at all (out of reach)."""
        with self.new_uow() as uow:
            loaded = self._load(uow, tenant_id, enrollment_id, version)
            step = loaded[2]
            message = None
            if step is not None and step.kind is StepKind.MESSAGE and uow.journeys.message(tenant_id, _key(enrollment_id, step)):
                message = ("", "")  # written by an earlier attempt
            return RAN if self._finish(uow, tenant_id, enrollment_id, version, loaded, message) else LOST

    def _defer(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int, step: Step) -> bool:
        """Quiet hours: back to waiting at the same step until they end (then screened again)."""
        until = contact_pressure.rules_in(uow, tenant_id).quiet_hours_end(self.now) or self.now + timedelta(minutes=1)
        return uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.WAITING.value,
                                 step_id=step.id, next_run_at=until, reason=ExclusionReason.QUIET_HOURS.value)

    def _drop(self, uow: SqlUnitOfWork, tenant_id: int, journey_id: int, enrollment_id: int, version: int, step_id: str,
              reason: str) -> bool:
        """The customer leaves the journey at the step, the reason recorded as the step run's detail."""
        moved = uow.journeys.move(tenant_id, enrollment_id, version, now=self.now, state=EnrollmentState.DROPPED.value,
                                  reason=reason)
        if moved:
            uow.journeys.record_step(tenant_id, journey_id, enrollment_id, step_id, outcome="dropped", detail=reason, now=self.now)
        return moved

    def _finish(self, uow: SqlUnitOfWork, tenant_id: int, enrollment_id: int, version: int,
                loaded: tuple[Any, Journey | None, Step | None, Customer | None], message: tuple[str, str] | None) -> bool:
        """Run the step's effects, record it and move on; commits when the claim still held."""
        row, journey, step, customer = loaded
        if row is None or journey is None:
            return False
        if step is None or customer is None:
            moved = self._drop(uow, tenant_id, journey.id, enrollment_id, version, row.step_id,
                               "step_removed" if step is None else "customer_gone")
        else:
            matched, detail = self._effects(uow, tenant_id, enrollment_id, journey, step, customer, message)
            uow.journeys.record_step(tenant_id, journey.id, enrollment_id, step.id, outcome="passed", detail=detail, now=self.now)
            moved = self._move_on(uow, tenant_id, enrollment_id, version, journey, step, matched)
        if moved:
            uow.commit()
        return moved

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
        decided: dict[int, str | _Outgoing] = {}
        for tenant_id, claims in _by_tenant(claimed).items():
            decided.update(_screen(runner, tenant_id, claims))
        for enrollment_id, tenant_id, version in claimed:
            outcome = decided.get(enrollment_id)
            try:
                if outcome is None:
                    outcome = runner.advance(tenant_id, enrollment_id, version)
                elif isinstance(outcome, _Outgoing):
                    outcome = runner.deliver(tenant_id, enrollment_id, version, outcome)
            except (DomainError, SQLAlchemyError) as exc:  # rolled back; the lease gives it back for a retry
                outcome = FAILED
                log.warning("journey step failed", tenant_id=tenant_id, enrollment_id=enrollment_id, error=type(exc).__name__,
                            reason=str(exc)[:200])
            report.steps += outcome in (RAN, EXCLUDED)
            report.excluded += outcome == EXCLUDED
            report.deferred += outcome == DEFERRED
            report.lost += outcome == LOST
            report.failed += outcome == FAILED
    return report


def _screen(runner: _Runner, tenant_id: int, claims: dict[int, int]) -> dict[int, str | _Outgoing]:
    """The tenant's message steps screened together; if that fails (rolled back), each claim is
    screened alone, so one claim that always fails is the only one to fail (the lease gives it
    back for a retry) and the tenant's other steps still go on."""
    try:
        return runner.screen_messages(tenant_id, claims)
    except (DomainError, SQLAlchemyError) as exc:
        log.warning("journey message screening failed, screening one by one", tenant_id=tenant_id, enrollments=len(claims),
                    error=type(exc).__name__, reason=str(exc)[:200])
    decided: dict[int, str | _Outgoing] = {}
    for enrollment_id, version in claims.items():
        try:
            decided.update(runner.screen_messages(tenant_id, {enrollment_id: version}))
        except (DomainError, SQLAlchemyError) as exc:
            decided[enrollment_id] = FAILED
            log.warning("journey step failed", tenant_id=tenant_id, enrollment_id=enrollment_id, error=type(exc).__name__,
                        reason=str(exc)[:200])
    return decided


def _by_tenant(claimed: list[tuple[int, int, int]]) -> dict[int, dict[int, int]]:
    """Claims (enrollment id, tenant id, version) -> tenant id -> {enrollment id: version}, in claim order."""
    found: dict[int, dict[int, int]] = {}
    for enrollment_id, tenant_id, version in claimed:
        found.setdefault(tenant_id, {})[enrollment_id] = version
    return found
