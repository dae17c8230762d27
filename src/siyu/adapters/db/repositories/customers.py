from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, any_, bindparam, exists, func, insert, literal_column, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from siyu.adapters.db.repositories.customer_search import matching_customers
from siyu.adapters.db.tables import customer_tags, customers, staff, staff_relations
from siyu.domain.access import Scope
from siyu.domain.customers import Customer, Gender, RelationState
from siyu.domain import paging
from siyu.domain.paging import Page, PageRequest


SEARCH_IDS_MAX = 10_000  # a search matching more is filtered by subquery instead of by id list
WALK_ABOVE = 500  # a search matching more: its page walks live customers newest first (SQLite)
FEW_TAGGED = 2_000  # a tag filter matching fewer customers: their ids drive the page and the count
PAGE_FROM_IDS_MAX = 2_000  # a capped count finding fewer: the page sorts those ids instead of walking


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        gender=Gender(row.gender),
        avatar=row.avatar,
        birthday=row.birthday,
        region=row.region,
        member_level=row.member_level,
        stage_id=row.stage_id,
        owner_staff_id=row.owner_staff_id,
        fields=dict(row.fields or {}),
        added_at=row.added_at,
        merged_into_id=row.merged_into_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    q: str | None = None
    tag_ids: tuple[int, ...] = ()
    stage_id: int | None = None
    staff_id: int | None = None
    store_id: int | None = None
    added_from: datetime | None = None
    added_to: datetime | None = None
    # False for actors who may not see phone numbers: phones then match whole, never by part
    # (see customer_search); the services set it from the actor.
    phone_parts: bool = True

    @property
    def searched(self) -> str:
        return (self.q or "").strip()


def scope_clause(scope: Scope):  # type: ignore[no-untyped-def]
    """Which customers an actor sees: those followed (actively) by their staff or store."""
    return and_(*_scope_conditions(scope, probe=True))


def _scope_conditions(scope: Scope, *, probe: bool) -> list[Any]:
    c = customers.c
    clauses: list[Any] = [c.tenant_id == scope.tenant_id, c.merged_into_id.is_(None)]
    if scope.staff_id is not None:
        clauses.append(_followed(scope.tenant_id, staff_relations.c.staff_id == scope.staff_id, probe=probe))
    elif scope.store_id is not None:
        clauses.append(_followed(scope.tenant_id, staff_relations.c.staff_id.in_(_staff_of(scope.tenant_id, scope.store_id)), probe=probe))
    return clauses


def _staff_of(tenant_id: int, store_id: int):  # type: ignore[no-untyped-def]
    return select(staff.c.id).where(staff.c.tenant_id == tenant_id, staff.c.store_id == store_id)


def _followed(tenant_id: int, staff_condition: Any, *, probe: bool) -> Any:
    """Followed (actively) by the staff the condition names.

    Each "customer has X" condition comes in two shapes that select the same customers: a
    *probe* (correlated EXISTS), cheap while a page walks customers newest first and stops
    after 50; and a *set* (``id IN (subquery)``), which lets a count start from the few
    relations or tags that match instead of visiting every customer (SQLite plans each shape
    the way its name says; PostgreSQL turns both into the same semi-join).
    """
    r = staff_relations.c
    if probe:
        return exists().where(r.tenant_id == tenant_id, r.customer_id == customers.c.id, r.state == RelationState.ACTIVE.value, staff_condition)
    return customers.c.id.in_(
        select(r.customer_id).where(r.tenant_id == tenant_id, r.state == RelationState.ACTIVE.value, staff_condition)
    )


def _driving_relations(scope: Scope, flt: CustomerFilter) -> tuple[Any, list[Any], Scope, CustomerFilter] | None:
    """The relations a capped count walks: the fewest the filter or scope names (one staff
    member's before a store's), as (relations, what each must also meet, the scope and filter
    left to check); None when they name none. A store's staff can follow one customer twice:
    such a customer counts at the relation of its first staff member only."""
    r, t = staff_relations.c, scope.tenant_id
    ids = select(r.customer_id, r.staff_id).where(r.tenant_id == t, r.state == RelationState.ACTIVE.value)
    if flt.staff_id is not None:  # (tenant, customer, staff) is unique: no customer twice
        return ids.where(r.staff_id == flt.staff_id).subquery("followed"), [], scope, replace(flt, staff_id=None)
    if scope.staff_id is not None:  # a guide: their own customers are within their store's
        return ids.where(r.staff_id == scope.staff_id).subquery("followed"), [], Scope(t), flt
    store = flt.store_id if flt.store_id is not None else scope.store_id
    if store is None:
        return None
    followed = ids.where(r.staff_id.in_(_staff_of(t, store))).subquery("followed")
    earlier = staff_relations.alias("earlier")
    e = earlier.c
    first = ~exists().where(e.tenant_id == t, e.customer_id == followed.c.customer_id, e.staff_id < followed.c.staff_id,
                            e.state == RelationState.ACTIVE.value, e.staff_id.in_(_staff_of(t, store))).correlate_except(earlier)
    return (followed, [first], scope, replace(flt, store_id=None)) if flt.store_id is not None else (followed, [first], Scope(t), flt)


def _counted_from(followed: Any, conditions: list[Any]):  # type: ignore[no-untyped-def]
    """PostgreSQL: a capped count that walks the relations and looks each customer up by id.
    Written as ``id IN (relations)`` it is planned as a hash join over every customer (a
    sequential scan of 1,000,000 rows: 550-900 ms, bench/customer_list_scopes.py); the
    ``LATERAL (... LIMIT 1)`` cannot be flattened into a join, so each relation probes the
    primary key and the count stops at its cap."""
    live = (select(literal_column("1").label("live")).select_from(customers)
            .where(customers.c.id == followed.c.customer_id, *conditions).limit(1).lateral("live"))
    return select(followed.c.customer_id).select_from(followed.join(live, true()))


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, added_at: datetime | None = None, **values: Any) -> int:
        values.setdefault("fields", {})
        values["gender"] = int(values.get("gender") or 0)
        return self.session.execute(  # type: ignore[no-any-return]
            insert(customers).values(
                tenant_id=tenant_id, created_at=now, updated_at=now, added_at=added_at or now, **values
            )
        ).inserted_primary_key[0]

    def get(self, scope: Scope, customer_id: int) -> Customer | None:
        row = self.session.execute(
            select(customers).where(scope_clause(scope), customers.c.id == customer_id)
        ).one_or_none()
        return _customer(row) if row else None

    def get_any(self, tenant_id: int, customer_id: int) -> Customer | None:
        """Merged-away customers included (for merge bookkeeping only)."""
        row = self.session.execute(
            select(customers).where(customers.c.tenant_id == tenant_id, customers.c.id == customer_id)
        ).one_or_none()
        return _customer(row) if row else None

    def many(self, tenant_id: int, ids: list[int]) -> list[Customer]:
        rows = self.session.execute(
            select(customers).where(customers.c.tenant_id == tenant_id, customers.c.id.in_(ids))
        ).all()
        return [_customer(r) for r in rows]

    def visible(self, scope: Scope, ids: list[int]) -> list[Customer]:
        """The customers of ``ids`` the scope sees (live ones only), in id order."""
        rows = self.session.execute(
            select(customers).where(scope_clause(scope), customers.c.id.in_(ids)).order_by(customers.c.id)
        ).all()
        return [_customer(r) for r in rows]

    def update(self, tenant_id: int, customer_id: int, *, now: datetime, **values: Any) -> None:
        if "gender" in values and values["gender"] is not None:
            values["gender"] = int(values["gender"])
        self.session.execute(
            update(customers)
            .where(customers.c.tenant_id == tenant_id, customers.c.id == customer_id)
            .values(updated_at=now, **values)
        )

    def survivor_of(self, tenant_id: int, customer_id: int) -> int | None:
        """Follow merged_into links to the live customer (chains are short: one per merge)."""
        seen: set[int] = set()
        current: int | None = customer_id
        while current is not None and current not in seen:
            seen.add(current)
            found = self.get_any(tenant_id, current)
            if found is None:
                return None
            if found.merged_into_id is None:
                return found.id
            current = found.merged_into_id
        return None

    def _filtered(self, scope: Scope, flt: CustomerFilter):  # type: ignore[no-untyped-def]
        return select(customers).where(*self._conditions(scope, flt, probe=True))

    def _conditions(self, scope: Scope, flt: CustomerFilter, *, probe: bool, matches: list[int] | None = None,
                    tagged: list[int] | None = None, walk: bool = False) -> list[Any]:
        """The filter as WHERE clauses, in the probe or the set shape (see :func:`_followed`).
        ``matches``: the customers the search text matches, when worked out already; ``tagged``:
        likewise the customers with one of the tags. ``walk``: SQLite must not look a search's
        matches up one by one (see :meth:`list`)."""
        c, t = customers.c, scope.tenant_id
        clauses = _scope_conditions(scope, probe=probe)
        if flt.searched:
            # SQLite's unary + keeps it from using the primary key for the IN: it walks an index instead
            searched = literal_column("+customers.id") if walk and self._sqlite else c.id
            if matches is None:
                clauses.append(searched.in_(self._search(t, flt)))
            else:
                clauses.append(self._among(searched, matches))
        if tagged is not None:
            clauses.append(self._among(c.id, tagged))
        elif flt.tag_ids:
            g = customer_tags.c
            if probe:
                clauses.append(exists().where(g.tenant_id == t, g.customer_id == c.id, g.tag_id.in_(flt.tag_ids)))
            else:
                clauses.append(c.id.in_(select(g.customer_id).where(g.tenant_id == t, g.tag_id.in_(flt.tag_ids))))
        if flt.stage_id is not None:
            clauses.append(c.stage_id == flt.stage_id)
        if flt.staff_id is not None:
            clauses.append(_followed(t, staff_relations.c.staff_id == flt.staff_id, probe=probe))
        if flt.store_id is not None:
            clauses.append(_followed(t, staff_relations.c.staff_id.in_(_staff_of(t, flt.store_id)), probe=probe))
        if flt.added_from is not None:
            clauses.append(c.added_at >= flt.added_from)
        if flt.added_to is not None:
            clauses.append(c.added_at < flt.added_to)
        return clauses

    @property
    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    def _search(self, tenant_id: int, flt: CustomerFilter):  # type: ignore[no-untyped-def]
        return matching_customers(self.session, tenant_id, flt.searched, phone_parts=flt.phone_parts)

    def list(self, scope: Scope, flt: CustomerFilter, request: PageRequest, *, count_up_to: int | None = None) -> Page[Customer]:
        """A page newest first, and the total: exact, or with ``count_up_to`` counted that far
        at most ("10,000+"). A search's matches are worked out once and reused by the page and
        the count, unless there are very many."""
        matches = tagged = None
        if flt.searched:
            found = self.session.execute(self._search(scope.tenant_id, flt).limit(SEARCH_IDS_MAX + 1)).scalars().all()
            matches = list(found) if len(found) <= SEARCH_IDS_MAX else None
        if flt.tag_ids:  # a rare tag: its few customers drive the page and the count, as a search's matches do
            g = customer_tags.c
            with_tag = select(g.customer_id).where(g.tenant_id == scope.tenant_id, g.tag_id.in_(flt.tag_ids))
            found = self.session.execute((with_tag.distinct() if len(flt.tag_ids) > 1 else with_tag).limit(FEW_TAGGED + 1)).scalars().all()
            tagged = list(found) if len(found) <= FEW_TAGGED else None
        # SQLite plans a search's id IN (...) by fetching every match and sorting them. With
        # hundreds of matches or more, walking live customers newest first (an index alone) and
        # stopping at the page's end is far cheaper. (PostgreSQL costs both plans by itself.)
        many = flt.searched and (matches is None or len(matches) > WALK_ABOVE) and flt.stage_id is None
        page = (
            select(customers)
            .where(*self._conditions(scope, flt, probe=True, matches=matches, tagged=tagged, walk=bool(many)))
            .order_by(customers.c.added_at.desc(), customers.c.id.desc())
            .limit(request.page_size + 1)  # one extra: is there a next page (past a capped total too)
            .offset(request.offset)
        )
        # A count starts from the fewest rows: the search's or the tags' matches when they are
        # known (so the other conditions probe), else the matching relations or tags (the set shape).
        known = matches is not None or tagged is not None
        counted = select(customers.c.id).where(*self._conditions(scope, flt, probe=known, matches=matches, tagged=tagged))
        if count_up_to is None:
            total, capped = self.session.execute(select(func.count()).select_from(counted.subquery())).scalar_one(), False
        else:
            # Walking the relations pays off when nearly every one counts; with a stage, a date or a
            # tag to meet too, PostgreSQL's own join is faster (store + stage: 1,372 -> ~300 ms).
            filtered = flt.searched or flt.tag_ids or flt.stage_id is not None or flt.added_from or flt.added_to
            driver = None if self._sqlite or filtered else _driving_relations(scope, flt)
            if driver is not None:
                followed, first, rest_scope, rest = driver
                counted = _counted_from(followed, [*self._conditions(rest_scope, rest, probe=True), *first])
            # The capped count fetches the ids themselves (at most the cap and one): when they are
            # few, the page sorts those instead of walking customers newest first in
            # search of them (a guide's customers with a tag: 675 of 1,094,180, found after walking
            # 100,000 customers; bench/customer_list_scopes.py).
            found = self.session.execute(counted.limit(count_up_to + 1)).scalars().all()
            total, capped = paging.count_up_to(len(found), count_up_to)
            if not capped and len(found) <= PAGE_FROM_IDS_MAX:  # all of them, and few
                page = (select(customers).where(customers.c.tenant_id == scope.tenant_id, self._among(customers.c.id, list(found)))
                        .order_by(customers.c.added_at.desc(), customers.c.id.desc()).limit(request.page_size + 1).offset(request.offset))
        rows = self.session.execute(page).all()
        return Page([_customer(r) for r in rows[: request.page_size]], total=total, page=request.page, page_size=request.page_size,
                    total_capped=capped, more=len(rows) > request.page_size)

    def _among(self, column: Any, ids: list[int]) -> Any:
        """``column IN ids`` as one parameter: a JSON array on SQLite, an array on PostgreSQL
        (SQLAlchemy would render thousands of bind parameters; psycopg and the planner take 20x
        less time with one array)."""
        if self._sqlite:
            return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam("among", json.dumps(ids), unique=True))))
        return column == any_(bindparam("among", ids, type_=ARRAY(Integer), unique=True))

    def stream(self, scope: Scope, flt: CustomerFilter, *, batch: int = 2000):  # type: ignore[no-untyped-def]
        """Every matching customer, in id order, a batch at a time (for exports)."""
        last = 0
        while True:
            rows = self.session.execute(
                self._filtered(scope, flt).where(customers.c.id > last).order_by(customers.c.id).limit(batch)
            ).all()
            if not rows:
                return
            yield [_customer(r) for r in rows]
            last = rows[-1].id

