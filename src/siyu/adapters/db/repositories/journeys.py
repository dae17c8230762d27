"""Journeys: definitions, enrollments (claimed by version), step runs and the message outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import (
    customer_identities, customers, journey_enrollments, journey_messages, journey_step_runs, journeys, orders, staff,
    staff_relations,
)
from siyu.domain.customers import RelationState
from siyu.domain.identities import IdentityKind
from siyu.domain.journeys import EnrollmentState, Journey, JourneyDefinition, JourneyStatus
from siyu.domain.paging import Page, PageRequest

CHUNK = 900
LIVE_STATES = (EnrollmentState.WAITING.value, EnrollmentState.RUNNING.value)
PAID = ("paid", "partially_refunded")


def _journey(row: Any) -> Journey:
    return Journey(id=row.id, name=row.name, status=JourneyStatus(row.status), definition=JourneyDefinition.parse(row.definition),
                   version=row.version, created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at)


class JourneyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)

    # -- journeys ------------------------------------------------------------------------------
    def add(self, tenant_id: int, *, name: str, definition: JourneyDefinition, actor: str, now: datetime) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(journeys).values(tenant_id=tenant_id, name=name, status=JourneyStatus.DRAFT.value,
                                    trigger_kind=definition.trigger.kind.value, definition=definition.to_dict(), version=1,
                                    created_by=actor, created_at=now, updated_at=now)
        ).inserted_primary_key[0]  # type: ignore[index]

    def get(self, tenant_id: int, journey_id: int) -> Journey | None:
        c = journeys.c
        row = self.session.execute(select(journeys).where(c.tenant_id == tenant_id, c.id == journey_id)).one_or_none()
        return _journey(row) if row else None

    def find_by_name(self, tenant_id: int, name: str) -> Journey | None:
        c = journeys.c
        row = self.session.execute(select(journeys).where(c.tenant_id == tenant_id, c.name == name)).one_or_none()
        return _journey(row) if row else None

    def list(self, tenant_id: int, request: PageRequest) -> Page[Journey]:
        c = journeys.c
        return fetch_page(self.session, select(journeys).where(c.tenant_id == tenant_id).order_by(c.id.desc()), request, _journey)

    def update(self, tenant_id: int, journey_id: int, *, now: datetime, definition: JourneyDefinition | None = None,
               **values: Any) -> None:
        c = journeys.c
        if definition is not None:
            values.update(definition=definition.to_dict(), trigger_kind=definition.trigger.kind.value, version=c.version + 1)
        self.session.execute(update(journeys).where(c.tenant_id == tenant_id, c.id == journey_id).values(updated_at=now, **values))

    def delete(self, tenant_id: int, journey_id: int) -> None:
        c = journeys.c
        self.session.execute(journeys.delete().where(c.tenant_id == tenant_id, c.id == journey_id))

    def active(self, tenant_id: int | None, kinds: Iterable[str]) -> list[tuple[int, Journey]]:
        """(tenant id, journey) of the active journeys with these trigger kinds (every tenant when None)."""
        c = journeys.c
        query = select(journeys).where(c.status == JourneyStatus.ACTIVE.value, c.trigger_kind.in_(list(kinds)))
        if tenant_id is not None:
            query = query.where(c.tenant_id == tenant_id)
        return [(row.tenant_id, _journey(row)) for row in self.session.execute(query.order_by(c.id))]

    # -- entering --------------------------------------------------------------------------------
    def enroll(self, tenant_id: int, journey_id: int, entries: dict[int, str], *, step_id: str, run_at: datetime,
               now: datetime) -> int:
        """Enter customers (customer id -> entry key) at ``step_id``; a customer already in the journey
        or already entered with that key is left as is. Returns how many entered."""
        e = journey_enrollments.c
        inside: set[int] = set()
        for chunk in _chunks(entries):
            inside.update(self.session.execute(select(e.customer_id).where(
                e.tenant_id == tenant_id, e.journey_id == journey_id, e.state.in_(LIVE_STATES), e.customer_id.in_(chunk))).scalars())
        rows = [{"tenant_id": tenant_id, "journey_id": journey_id, "customer_id": c, "entry_key": key, "step_id": step_id,
                 "state": EnrollmentState.WAITING.value, "next_run_at": run_at, "version": 1, "entered_at": now, "updated_at": now}
                for c, key in sorted(entries.items()) if c not in inside]
        entered = 0
        for i in range(0, len(rows), CHUNK // 10):
            statement = self._insert(journey_enrollments).values(rows[i : i + CHUNK // 10]).on_conflict_do_nothing(
                index_elements=["tenant_id", "journey_id", "customer_id", "entry_key"]).returning(e.id)
            entered += len(self.session.execute(statement).all())  # rowcount is -1 on psycopg for ON CONFLICT
        return entered

    def entered_ever(self, tenant_id: int, journey_id: int, customer_ids: Iterable[int]) -> set[int]:
        e = journey_enrollments.c
        found: set[int] = set()
        for chunk in _chunks(customer_ids):
            found.update(self.session.execute(select(e.customer_id).where(
                e.tenant_id == tenant_id, e.journey_id == journey_id, e.customer_id.in_(chunk))).scalars())
        return found

    # -- the worker's side -------------------------------------------------------------------------
    def due(self, now: datetime, limit: int) -> list[int]:
        """Ids of waiting enrollments of active journeys whose time has come, oldest first."""
        e, j = journey_enrollments.c, journeys.c
        query = (select(e.id).join(journeys, and_(j.tenant_id == e.tenant_id, j.id == e.journey_id))
                 .where(e.state == EnrollmentState.WAITING.value, e.next_run_at <= now, j.status == JourneyStatus.ACTIVE.value)
                 .order_by(e.next_run_at, e.id).limit(limit))
        return list(self.session.execute(query).scalars())

    def claim(self, ids: list[int], now: datetime) -> list[tuple[int, int, int]]:
        """Claim the enrollments still waiting: (id, tenant id, new version) of those this call took.

        ``UPDATE ... WHERE state = 'waiting' ... RETURNING``: on PostgreSQL a second worker's UPDATE
        waits for the first to commit, then finds the row no longer waiting; SQLite runs one writer
        at a time. Either way one row is claimed by one worker."""
        if not ids:
            return []
        e = journey_enrollments.c
        statement = (update(journey_enrollments)
                     .where(e.id.in_(ids), e.state == EnrollmentState.WAITING.value, e.next_run_at <= now)
                     .values(state=EnrollmentState.RUNNING.value, version=e.version + 1, claimed_at=now, updated_at=now)
                     .returning(e.id, e.tenant_id, e.version))
        return [(int(i), int(t), int(v)) for i, t, v in self.session.execute(statement)]

    def release_stale(self, before: datetime, now: datetime) -> int:
        """Give back the claims of workers that died (claimed before ``before``): waiting again, new version."""
        e = journey_enrollments.c
        result = self.session.execute(update(journey_enrollments).where(
            e.state == EnrollmentState.RUNNING.value, e.claimed_at < before).values(
            state=EnrollmentState.WAITING.value, version=e.version + 1, claimed_at=None, updated_at=now))
        return result.rowcount or 0  # type: ignore[attr-defined,no-any-return]

    def hold(self, tenant_id: int, enrollment_id: int, version: int, now: datetime) -> bool:
        """Whether this worker still holds the claim; the first statement of a step's transaction is
        this write, so SQLite takes its write lock at once (a read first could not be upgraded
        once another worker had committed) and PostgreSQL locks the row."""
        e = journey_enrollments.c
        result = self.session.execute(update(journey_enrollments).where(
            e.tenant_id == tenant_id, e.id == enrollment_id, e.version == version,
            e.state == EnrollmentState.RUNNING.value).values(updated_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def enrollments_among(self, tenant_id: int, enrollment_ids: Iterable[int]) -> list[Any]:
        e = journey_enrollments.c
        found: list[Any] = []
        for chunk in _chunks(enrollment_ids):
            found.extend(self.session.execute(select(journey_enrollments).where(e.tenant_id == tenant_id, e.id.in_(chunk))
                                              .order_by(e.id)))
        return found

    def enrollment(self, tenant_id: int, enrollment_id: int) -> Any:
        e = journey_enrollments.c
        return self.session.execute(select(journey_enrollments).where(e.tenant_id == tenant_id, e.id == enrollment_id)).one_or_none()

    def move(self, tenant_id: int, enrollment_id: int, version: int, *, now: datetime, **values: Any) -> bool:
        """Write the enrollment only if it still has ``version`` (the claim this worker holds)."""
        e = journey_enrollments.c
        result = self.session.execute(update(journey_enrollments).where(
            e.tenant_id == tenant_id, e.id == enrollment_id, e.version == version).values(
            version=e.version + 1, updated_at=now, claimed_at=None, **values))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def record_step(self, tenant_id: int, journey_id: int, enrollment_id: int, step_id: str, *, outcome: str, detail: str | None,
                    now: datetime) -> bool:
        """The step passed (or dropped); False when it was recorded already (the idempotency key)."""
        statement = self._insert(journey_step_runs).values(
            tenant_id=tenant_id, journey_id=journey_id, enrollment_id=enrollment_id, step_id=step_id, outcome=outcome,
            detail=(detail or None) and detail[:200], ran_at=now).on_conflict_do_nothing(
            index_elements=["tenant_id", "enrollment_id", "step_id"]).returning(journey_step_runs.c.id)
        return self.session.execute(statement).first() is not None

    def step_ran(self, tenant_id: int, enrollment_id: int, step_id: str) -> bool:
        r = journey_step_runs.c
        return self.session.execute(select(r.id).where(r.tenant_id == tenant_id, r.enrollment_id == enrollment_id,
                                                       r.step_id == step_id)).first() is not None

    # -- pause, edit, stop, counts -----------------------------------------------------------------
    def live_enrollments(self, tenant_id: int, journey_id: int) -> list[tuple[int, str]]:
        e = journey_enrollments.c
        return [(int(i), str(s)) for i, s in self.session.execute(select(e.id, e.step_id).where(
            e.tenant_id == tenant_id, e.journey_id == journey_id, e.state.in_(LIVE_STATES)))]

    def drop(self, tenant_id: int, journey_id: int, *, reason: str, now: datetime, step_ids: Iterable[str] | None = None) -> int:
        """Everyone still in the journey (or only at ``step_ids``) leaves, counted as dropped at their step."""
        e = journey_enrollments.c
        query = select(e.id, e.step_id).where(e.tenant_id == tenant_id, e.journey_id == journey_id, e.state.in_(LIVE_STATES))
        if step_ids is not None:
            query = query.where(e.step_id.in_(list(step_ids)))
        rows = self.session.execute(query).all()
        for i in range(0, len(rows), CHUNK // 10):
            part = rows[i : i + CHUNK // 10]
            self.session.execute(self._insert(journey_step_runs).values([
                {"tenant_id": tenant_id, "journey_id": journey_id, "enrollment_id": r.id, "step_id": r.step_id,
                 "outcome": "dropped", "detail": reason, "ran_at": now} for r in part]).on_conflict_do_nothing(
                index_elements=["tenant_id", "enrollment_id", "step_id"]))
            self.session.execute(update(journey_enrollments).where(e.tenant_id == tenant_id, e.id.in_([r.id for r in part])).values(
                state=EnrollmentState.DROPPED.value, reason=reason, version=e.version + 1, claimed_at=None, updated_at=now))
        return len(rows)

    def step_counts(self, tenant_id: int, journey_id: int) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
        """(customers now at each step, step runs by (step, outcome))."""
        e, r = journey_enrollments.c, journey_step_runs.c
        inside = {str(s): int(n) for s, n in self.session.execute(select(e.step_id, func.count()).where(
            e.tenant_id == tenant_id, e.journey_id == journey_id, e.state.in_(LIVE_STATES)).group_by(e.step_id))}
        runs = {(str(s), str(o)): int(n) for s, o, n in self.session.execute(select(r.step_id, r.outcome, func.count()).where(
            r.tenant_id == tenant_id, r.journey_id == journey_id).group_by(r.step_id, r.outcome))}
        return inside, runs

    def step_reasons(self, tenant_id: int, journey_id: int) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """(dropped step runs by (step, reason), customers waiting at a step by (step, why they wait)):
        why customers left at each step, and who waits for a contact-pressure rule (quiet hours)."""
        e, r = journey_enrollments.c, journey_step_runs.c
        dropped = {(str(s), str(d or "")): int(n) for s, d, n in self.session.execute(select(r.step_id, r.detail, func.count()).where(
            r.tenant_id == tenant_id, r.journey_id == journey_id, r.outcome == "dropped").group_by(r.step_id, r.detail))}
        waiting = {(str(s), str(w)): int(n) for s, w, n in self.session.execute(select(e.step_id, e.reason, func.count()).where(
            e.tenant_id == tenant_id, e.journey_id == journey_id, e.state == EnrollmentState.WAITING.value,
            e.reason.is_not(None)).group_by(e.step_id, e.reason))}
        return dropped, waiting

    def state_counts(self, tenant_id: int, journey_id: int) -> dict[str, int]:
        e = journey_enrollments.c
        return {str(s): int(n) for s, n in self.session.execute(select(e.state, func.count()).where(
            e.tenant_id == tenant_id, e.journey_id == journey_id).group_by(e.state))}

    # -- what the steps and scans read ---------------------------------------------------------------
    def contact_of(self, tenant_id: int, customer_id: int, staff_id: int) -> tuple[str, str] | None:
        """(staff's WeCom userid, customer's external_userid) when the staff member follows the customer."""
        s, r, i = staff.c, staff_relations.c, customer_identities.c
        userid = self.session.execute(select(s.wecom_userid).join(staff_relations, and_(
            r.tenant_id == s.tenant_id, r.staff_id == s.id)).where(
            s.tenant_id == tenant_id, s.id == staff_id, r.customer_id == customer_id,
            r.state == RelationState.ACTIVE.value)).scalar_one_or_none()
        external = self.session.execute(select(i.value).where(
            i.tenant_id == tenant_id, i.customer_id == customer_id, i.kind == IdentityKind.WECOM_EXTERNAL.value).limit(1)
        ).scalar_one_or_none()
        return (str(userid), str(external)) if userid and external else None

    def yearly_dates(self, tenant_id: int, field: str) -> dict[int, str]:
        """Live customers' ISO dates in ``birthday`` or ``field:<key>`` (the extended field's value)."""
        c = customers.c
        live = and_(c.tenant_id == tenant_id, c.merged_into_id.is_(None))
        if field == "birthday":
            rows = self.session.execute(select(c.id, c.birthday).where(live, c.birthday.is_not(None)))
            return {int(i): b.isoformat() if isinstance(b, date) else str(b) for i, b in rows}
        key = field.removeprefix("field:")
        found: dict[int, str] = {}
        for i, values in self.session.execute(select(c.id, c.fields).where(live)):
            value = (values or {}).get(key)
            if isinstance(value, str) and len(value) >= 10:
                found[int(i)] = value[:10]
        return found

    def last_purchases(self, tenant_id: int, customer_ids: Iterable[int]) -> dict[int, datetime]:
        o = orders.c
        found: dict[int, datetime] = {}
        for chunk in _chunks(customer_ids):
            found.update({int(c): at for c, at in self.session.execute(select(o.customer_id, func.max(o.ordered_at)).where(
                o.tenant_id == tenant_id, o.customer_id.in_(chunk), o.status.in_(PAID)).group_by(o.customer_id))})
        return found

    def order_times(self, tenant_id: int, order_ids: Iterable[int]) -> dict[int, datetime]:
        o = orders.c
        found: dict[int, datetime] = {}
        for chunk in _chunks(order_ids):
            found.update({int(i): at for i, at in self.session.execute(select(o.id, o.ordered_at).where(
                o.tenant_id == tenant_id, o.id.in_(chunk)))})
        return found

    def earlier_orders(self, tenant_id: int, customer_ids: Iterable[int], order_ids: Iterable[int]) -> set[int]:
        """Of the customers, those with an order that is not one of ``order_ids`` (not a first purchase)."""
        o = orders.c
        skip = list(set(order_ids))
        found: set[int] = set()
        for chunk in _chunks(customer_ids):
            found.update(self.session.execute(select(o.customer_id).where(
                o.tenant_id == tenant_id, o.customer_id.in_(chunk), o.id.not_in(skip)).distinct()).scalars())
        return found

    # -- the message outbox --------------------------------------------------------------------------
    def message(self, tenant_id: int, key: str) -> Any:
        m = journey_messages.c
        return self.session.execute(select(journey_messages).where(m.tenant_id == tenant_id, m.idempotency_key == key)).one_or_none()

    def add_message(self, tenant_id: int, key: str, *, enrollment_id: int, staff_id: int, customer_id: int,
                    now: datetime) -> int | None:
        """The new outbox row's id, or ``None`` when the key was written already (by an earlier attempt)."""
        statement = self._insert(journey_messages).values(
            tenant_id=tenant_id, idempotency_key=key, enrollment_id=enrollment_id, staff_id=staff_id, customer_id=customer_id,
            status="pending", created_at=now, updated_at=now).on_conflict_do_nothing(index_elements=["tenant_id", "idempotency_key"]).returning(
            journey_messages.c.id)
        found = self.session.execute(statement).first()
        return None if found is None else int(found[0])

    def lock_customers(self, tenant_id: int, customer_ids: Iterable[int]) -> None:
        """Hold the customers' rows until the transaction ends (PostgreSQL: ``SELECT ... FOR UPDATE``,
        in id order so two workers locking overlapping sets do not deadlock; SQLite's write
        transaction holds the whole database already), so two workers screening the same customer
        for contact pressure take turns: the second sees the first one's message."""
        c = customers.c
        for chunk in _chunks(customer_ids):
            self.session.execute(select(c.id).where(c.tenant_id == tenant_id, c.id.in_(chunk)).order_by(c.id).with_for_update())

    def finish_message(self, tenant_id: int, key: str, *, status: str, msgid: str | None, error: str | None, now: datetime) -> None:
        m = journey_messages.c
        self.session.execute(update(journey_messages).where(m.tenant_id == tenant_id, m.idempotency_key == key).values(
            status=status, msgid=msgid, error=(error or None) and error[:200], updated_at=now))

    def message_counts(self, tenant_id: int) -> dict[str, int]:
        m = journey_messages.c
        return {str(s): int(n) for s, n in self.session.execute(select(m.status, func.count()).where(
            m.tenant_id == tenant_id).group_by(m.status))}


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), CHUNK):
        yield wanted[i : i + CHUNK]
