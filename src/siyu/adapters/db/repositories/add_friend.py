"""Bulk add-friend batches and their numbers (tenant-wide rows: operators' lists)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import add_friend_batches, add_friend_numbers, staff, staff_relations
from siyu.domain.add_friend import OPEN_STATES, Batch, Number, NumberState, StaffProgress
from siyu.domain.customers import RelationState
from siyu.domain.paging import Page, PageRequest

_B = add_friend_batches.c
_N = add_friend_numbers.c
_OPEN = [s.value for s in OPEN_STATES]


def _in_state(state: NumberState):  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((_N.state == state.value, 1), else_=0)), 0)


def _tallies():  # type: ignore[no-untyped-def]
    """Numbers, and how many are in each settled state (the caller groups)."""
    return (func.count().label("assigned"), _in_state(NumberState.ADDED).label("added"),
            _in_state(NumberState.ADDED_BY_OTHER_STAFF).label("added_by_other_staff"), _in_state(NumberState.INVALID).label("invalid"))


def _counts():  # type: ignore[no-untyped-def]
    """Per batch."""
    return select(_N.batch_id, *_tallies()).group_by(_N.tenant_id, _N.batch_id)


def _batch(row: Any) -> Batch:
    return Batch(id=row.id, name=row.name, due_days=row.due_days, created_by=row.created_by, created_at=row.created_at,
                 assigned=row.assigned or 0, added=row.added or 0, added_by_other_staff=row.added_by_other_staff or 0,
                 invalid=row.invalid or 0)


def _number(row: Any) -> Number:
    return Number(id=row.id, batch_id=row.batch_id, phone=row.phone, name=row.name, note=row.note, staff_id=row.staff_id,
                  staff_name=row.staff_name, state=NumberState(row.state), row_number=row.row_number, customer_id=row.customer_id,
                  added_by_staff_id=row.added_by_staff_id, added_at=row.added_at, task_id=row.task_id, created_at=row.created_at)


class AddFriendRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- batches ------------------------------------------------------------------------

    def add_batch(self, tenant_id: int, *, name: str, due_days: int, created_by: str, now: datetime) -> int:
        return self.session.execute(insert(add_friend_batches).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, name=name, due_days=due_days, cursor=0, created_by=created_by[:80], created_at=now,
        )).inserted_primary_key[0]

    def _batches(self, tenant_id: int):  # type: ignore[no-untyped-def]
        counts = _counts().where(_N.tenant_id == tenant_id).subquery()
        return (select(add_friend_batches, counts.c.assigned, counts.c.added, counts.c.added_by_other_staff, counts.c.invalid)
                .outerjoin(counts, counts.c.batch_id == _B.id).where(_B.tenant_id == tenant_id))

    def get_batch(self, tenant_id: int, batch_id: int) -> Batch | None:
        row = self.session.execute(self._batches(tenant_id).where(_B.id == batch_id)).one_or_none()
        return _batch(row) if row else None

    def batches(self, tenant_id: int, request: PageRequest) -> Page[Batch]:
        return fetch_page(self.session, self._batches(tenant_id).order_by(_B.created_at.desc(), _B.id.desc()), request, _batch)

    def cursor(self, tenant_id: int, batch_id: int) -> int:
        return self.session.execute(select(_B.cursor).where(  # type: ignore[no-any-return]
            _B.tenant_id == tenant_id, _B.id == batch_id)).scalar_one()

    def set_cursor(self, tenant_id: int, batch_id: int, cursor: int) -> None:
        self.session.execute(update(add_friend_batches).where(_B.tenant_id == tenant_id, _B.id == batch_id).values(cursor=cursor))

    def progress(self, tenant_id: int, batch_id: int) -> list[StaffProgress]:
        """Per assigned staff member, by name."""
        rows = self.session.execute(
            select(_N.staff_id, staff.c.name, *_tallies())
            .join(staff, (staff.c.tenant_id == _N.tenant_id) & (staff.c.id == _N.staff_id))
            .where(_N.tenant_id == tenant_id, _N.batch_id == batch_id)
            .group_by(_N.staff_id, staff.c.name).order_by(staff.c.name, _N.staff_id)).all()
        return [StaffProgress(staff_id=r.staff_id, staff_name=r.name, assigned=r.assigned, added=r.added,
                              added_by_other_staff=r.added_by_other_staff, invalid=r.invalid) for r in rows]

    # -- numbers ------------------------------------------------------------------------

    def phones_in(self, tenant_id: int, batch_id: int) -> set[str]:
        return set(self.session.execute(select(_N.phone).where(_N.tenant_id == tenant_id, _N.batch_id == batch_id)).scalars())

    def add_number(self, tenant_id: int, batch_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(insert(add_friend_numbers).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, batch_id=batch_id, created_at=now, updated_at=now, **values)).inserted_primary_key[0]

    def _numbers(self):  # type: ignore[no-untyped-def]
        return (select(add_friend_numbers, staff.c.name.label("staff_name"))
                .join(staff, (staff.c.tenant_id == _N.tenant_id) & (staff.c.id == _N.staff_id)))

    def get_number(self, tenant_id: int, number_id: int) -> Number | None:
        row = self.session.execute(self._numbers().where(_N.tenant_id == tenant_id, _N.id == number_id)).one_or_none()
        return _number(row) if row else None

    def numbers(self, tenant_id: int, batch_id: int, request: PageRequest, *, state: NumberState | None = None,
                staff_id: int | None = None) -> Page[Number]:
        query = self._numbers().where(_N.tenant_id == tenant_id, _N.batch_id == batch_id)
        if state is not None:
            query = query.where(_N.state == state.value)
        if staff_id is not None:
            query = query.where(_N.staff_id == staff_id)
        return fetch_page(self.session, query.order_by(_N.id), request, _number)

    def open_for_phones(self, tenant_id: int, phones: list[str]) -> list[Number]:
        """The tenant's numbers with these phones that still wait for their staff member."""
        if not phones:
            return []
        return [_number(r) for r in self.session.execute(self._numbers().where(
            _N.tenant_id == tenant_id, _N.phone.in_(phones), _N.state.in_(_OPEN)).order_by(_N.id)).all()]

    def open_after(self, after: tuple[int, int], limit: int, *, tenant_id: int | None = None,
                   batch_id: int | None = None) -> list[tuple[int, Number]]:
        """(tenant id, number) of numbers still waiting, every tenant (or one tenant's batch), in (tenant, id) order
        after ``after``: the sweep's pages."""
        query = (self._numbers().add_columns(_N.tenant_id.label("number_tenant_id")).where(_N.state.in_(_OPEN))
                 .where((_N.tenant_id > after[0]) | ((_N.tenant_id == after[0]) & (_N.id > after[1]))))
        if tenant_id is not None:
            query = query.where(_N.tenant_id == tenant_id)
        if batch_id is not None:
            query = query.where(_N.batch_id == batch_id)
        rows = self.session.execute(query.order_by(_N.tenant_id, _N.id).limit(limit)).all()
        return [(r.number_tenant_id, _number(r)) for r in rows]

    def settle(self, tenant_id: int, number_id: int, *, state: NumberState, customer_id: int | None,
               added_by_staff_id: int | None, added_at: datetime | None, now: datetime) -> None:
        self.session.execute(update(add_friend_numbers).where(_N.tenant_id == tenant_id, _N.id == number_id).values(
            state=state.value, customer_id=customer_id, added_by_staff_id=added_by_staff_id, added_at=added_at, updated_at=now))

    def followers(self, tenant_id: int, customer_ids: list[int]) -> dict[int, dict[int, datetime]]:
        """Customer id -> the staff members with an active relation to them, and since when."""
        r = staff_relations.c
        found: dict[int, dict[int, datetime]] = {}
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), 500):
            rows = self.session.execute(select(r.customer_id, r.staff_id, r.added_at).where(
                r.tenant_id == tenant_id, r.customer_id.in_(ids[start:start + 500]), r.state == RelationState.ACTIVE.value)).all()
            for row in rows:
                found.setdefault(row.customer_id, {})[row.staff_id] = row.added_at
        return found
