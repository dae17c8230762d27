"""Contact pressure in the operational store: rules, opt-outs and the customer message log.

The screening reads go by chunks of customer ids, so a send to a million customers costs a
fixed number of queries per chunk, never one per customer. Each chunk is ONE bound parameter
(a JSON array read by ``json_each`` on SQLite, an ``integer[]`` with ``= ANY`` on PostgreSQL),
not an IN list of thousands: SQLAlchemy spends far longer expanding and binding such a list than
the database spends answering it (bench/contact_pressure.py measured both).

A whole audience (a mass send to a million) is screened set-based instead: its ids go into a
temporary table in one statement (:meth:`ContactPressureRepository.load_audience`), and each
rule is one query joined to it that returns only the customers it excludes (the opted out, and
those at a limit), so the database does the work and Python touches only the exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import json

from sqlalchemy import Integer, any_, bindparam, case, column, delete, func, insert, literal_column, or_, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.adapters.db.repositories.customers import scope_clause
from siyu.adapters.db.tables import contact_rules, customer_messages, customer_opt_outs, customers
from siyu.domain.access import Scope
from siyu.domain.contact_pressure import ContactRules, OptOut, OptOutSource, Period, PeriodCounts, Periods, WeComCap
from siyu.domain.paging import Page, PageRequest

ROWS_PER_INSERT = 2000  # 7 values a row: 14,000 parameters, under SQLite's 32,766 and PostgreSQL's 65,535
AUDIENCE = "siyu_screen_audience"  # the temporary table of a set-based screen: (id looked up, id it counts for)
_audience = table(AUDIENCE, column("id"), column("owner"))


def _opt_out(row: Any) -> OptOut:
    return OptOut(customer_id=row.customer_id, source=OptOutSource(row.source), actor=row.actor, created_at=row.created_at,
                  note=row.note, customer_name=getattr(row, "customer_name", None) or "")


def _among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column`` is one of ``ids``, with the whole list as one bound parameter."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", [int(i) for i in ids], type_=ARRAY(Integer)))
    listed = select(literal_column("value")).select_from(func.json_each(bindparam("ids", json.dumps([int(i) for i in ids]))))
    return column.in_(listed.scalar_subquery())


def _in(period: Period) -> Any:
    m = customer_messages.c
    return (m.sent_at >= period.start) & (m.sent_at < period.end)


class ContactPressureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- rules
    def rules(self, tenant_id: int) -> ContactRules | None:
        r = contact_rules.c
        row = self.session.execute(select(contact_rules).where(r.tenant_id == tenant_id)).one_or_none()
        if row is None:
            return None
        return ContactRules(per_day=row.per_day, per_week=row.per_week, per_month=row.per_month, quiet_start=row.quiet_start,
                            quiet_end=row.quiet_end, wecom_cap=WeComCap(row.wecom_cap))

    def save_rules(self, tenant_id: int, rules: ContactRules, *, now: datetime, actor: str) -> None:
        values = {"per_day": rules.per_day, "per_week": rules.per_week, "per_month": rules.per_month,
                  "quiet_start": rules.quiet_start, "quiet_end": rules.quiet_end, "wecom_cap": rules.wecom_cap.value,
                  "updated_at": now, "updated_by": actor}
        dialect = self.session.get_bind().dialect.name
        statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(contact_rules).values(tenant_id=tenant_id, **values)
        self.session.execute(statement.on_conflict_do_update(index_elements=["tenant_id"], set_=values))

    # -- opt-outs
    def find_opt_out(self, tenant_id: int, customer_id: int) -> OptOut | None:
        o, c = customer_opt_outs.c, customers.c
        row = self.session.execute(
            select(customer_opt_outs, c.name.label("customer_name"))
            .join(customers, (c.tenant_id == o.tenant_id) & (c.id == o.customer_id))
            .where(o.tenant_id == tenant_id, o.customer_id == customer_id)
        ).one_or_none()
        return _opt_out(row) if row else None

    def add_opt_out(self, tenant_id: int, customer_id: int, *, source: OptOutSource, actor: str, note: str | None,
                    now: datetime) -> None:
        self.session.execute(insert(customer_opt_outs).values(tenant_id=tenant_id, customer_id=customer_id, source=source.value,
                                                              actor=actor, note=note, created_at=now))

    def remove_opt_out(self, tenant_id: int, customer_id: int) -> bool:
        o = customer_opt_outs.c
        done = self.session.execute(delete(customer_opt_outs).where(o.tenant_id == tenant_id, o.customer_id == customer_id))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def page_opt_outs(self, scope: Scope, request: PageRequest) -> Page[OptOut]:
        o, c = customer_opt_outs.c, customers.c
        condition = (o.tenant_id == scope.tenant_id) & scope_clause(scope)
        joined = customer_opt_outs.join(customers, (c.tenant_id == o.tenant_id) & (c.id == o.customer_id))
        total = self.session.execute(select(func.count()).select_from(joined).where(condition)).scalar_one()
        rows = self.session.execute(
            select(customer_opt_outs, c.name.label("customer_name")).select_from(joined).where(condition)
            .order_by(o.created_at.desc(), o.id.desc()).offset(request.offset).limit(request.page_size)
        ).all()
        return Page([_opt_out(r) for r in rows], total, request.page, request.page_size)

    def opted_out_among(self, tenant_id: int, customer_ids: Sequence[int]) -> set[int]:
        o = customer_opt_outs.c
        return set(self.session.execute(
            select(o.customer_id).where(o.tenant_id == tenant_id, _among(self.session, o.customer_id, customer_ids))).scalars())

    def merged_into_among(self, tenant_id: int, customer_ids: Sequence[int]) -> dict[int, int]:
        """``{merged-away customer: the one of customer_ids it lives on in}``, through merges of merges."""
        c = customers.c
        found: dict[int, int] = {}
        frontier = {int(i): int(i) for i in customer_ids}  # id -> the given id it belongs to
        for _ in range(10):  # a merge of a merge of ... is rare; ten levels is more than any brand has
            rows = self.session.execute(select(c.id, c.merged_into_id).where(
                c.tenant_id == tenant_id, _among(self.session, c.merged_into_id, list(frontier)), c.merged_into_id.is_not(None))).all()
            frontier = {int(merged): frontier[int(into)] for merged, into in rows if int(merged) not in found}
            if not frontier:
                break
            found.update(frontier)
        return found

    def merged_below(self, tenant_id: int, customer_ids: Sequence[int] | None) -> dict[int, int]:
        """``{merged-away customer: the customer it was merged into}`` for every customer merged into
        one of ``customer_ids`` (``None``: the audience table's ids), through merges of merges."""
        c = customers.c
        found: dict[int, int] = {}
        query = select(c.id, c.merged_into_id).where(c.tenant_id == tenant_id, c.merged_into_id.is_not(None))
        frontier: list[int] | None = None if customer_ids is None else [int(i) for i in customer_ids]
        for _ in range(10):  # a merge of a merge of ... is rare; ten levels is more than any brand has
            if frontier is None:
                rows = self.session.execute(query.join(_audience, _audience.c.id == c.merged_into_id)).all()
            else:
                rows = self.session.execute(query.where(_among(self.session, c.merged_into_id, frontier))).all()
            new = {int(merged): int(into) for merged, into in rows if int(merged) not in found}
            if not new:
                break
            found.update(new)
            frontier = list(new)
        return found

    # -- a whole audience at once (set-based)
    def load_audience(self, customer_ids: Sequence[int]) -> None:
        """Fill the temporary audience table (this transaction's, emptied first) with ``customer_ids``
        (distinct: the caller's), each counting for itself."""
        ids = [int(i) for i in customer_ids]
        if self.session.get_bind().dialect.name == "postgresql":
            # No key: building one over a million rows cost more than every query after it (the
            # ids are distinct already; the planner hash-joins on the ANALYZEd table).
            self.session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {AUDIENCE} (id integer NOT NULL, "
                                      "owner integer NOT NULL) ON COMMIT DROP"))
            self.session.execute(text(f"TRUNCATE {AUDIENCE}"))
            self.session.execute(text(f"INSERT INTO {AUDIENCE} (id, owner) SELECT x, x FROM unnest(:ids) AS x")
                                 .bindparams(bindparam("ids", ids, type_=ARRAY(Integer))))
        else:
            self.session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {AUDIENCE} (id INTEGER NOT NULL, "
                                      "owner INTEGER NOT NULL, PRIMARY KEY (id, owner)) WITHOUT ROWID"))
            self.session.execute(text(f"DELETE FROM temp.{AUDIENCE}"))
            self.session.execute(text(f"INSERT OR IGNORE INTO temp.{AUDIENCE} (id, owner) SELECT value, value FROM json_each(:ids)"),
                                 {"ids": json.dumps(ids)})

    def add_to_audience(self, pairs: Sequence[tuple[int, int]]) -> None:
        """More ``(customer looked up, audience id their history counts for)`` rows; then, on
        PostgreSQL, the table's statistics, so the planner sees a million rows, not its default guess."""
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        distinct = [pair for pair in dict.fromkeys(pairs) if pair[0] != pair[1]]  # (id, id) rows are there already
        if distinct:
            self.session.execute(text(f"{'INSERT' if postgresql else 'INSERT OR IGNORE'} INTO {AUDIENCE} (id, owner) VALUES (:id, :owner)"),
                                 [{"id": i, "owner": o} for i, o in distinct])
        if postgresql:
            self.session.execute(text(f"ANALYZE {AUDIENCE}"))

    def drop_audience(self) -> None:
        self.session.execute(text(f"DROP TABLE IF EXISTS {'' if self.session.get_bind().dialect.name == 'postgresql' else 'temp.'}{AUDIENCE}"))

    def opted_out_in_audience(self, tenant_id: int) -> set[int]:
        """The audience ids with an opt-out of their own or of a customer merged into them."""
        o = customer_opt_outs.c
        return set(self.session.execute(select(_audience.c.owner).distinct().join(customer_opt_outs, o.customer_id == _audience.c.id)
                                        .where(o.tenant_id == tenant_id)).scalars())

    def counts_at_limit_in_audience(self, tenant_id: int, periods: Periods, *, per_day: int | None, per_week: int | None,
                                    per_month: int | None, wecom_limit: int | None) -> dict[int, PeriodCounts]:
        """Message counts of the audience ids (their own and their merged-in customers' together)
        that reach at least one of the limits given; every other id is under all of them."""
        m = customer_messages.c
        span = periods.span
        sums = [func.sum(case((condition, 1), else_=0)) for condition in (
            _in(periods.day), _in(periods.week), _in(periods.month), m.counts_toward_wecom_cap & _in(periods.wecom))]
        reached = [total >= limit for total, limit in zip(sums, (per_day, per_week, per_month, wecom_limit), strict=True)
                   if limit is not None]
        if not reached:
            return {}
        rows = self.session.execute(
            select(_audience.c.owner, *sums).join(customer_messages, m.customer_id == _audience.c.id)
            .where(m.tenant_id == tenant_id, m.sent_at >= span.start, m.sent_at < span.end)
            .group_by(_audience.c.owner).having(or_(*reached)))
        return {int(cid): PeriodCounts(day=int(d), week=int(w), month=int(mo), wecom=int(wc)) for cid, d, w, mo, wc in rows}

    # -- the message log
    def counts_among(self, tenant_id: int, customer_ids: Sequence[int], periods: Periods) -> dict[int, PeriodCounts]:
        """Per customer with any message in ``periods.span``: how many fall in each period
        (customers with none are left out: their counts are all zero)."""
        m = customer_messages.c
        span = periods.span

        def counted(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        rows = self.session.execute(
            select(m.customer_id, counted(_in(periods.day)), counted(_in(periods.week)), counted(_in(periods.month)),
                   counted(m.counts_toward_wecom_cap & _in(periods.wecom)))
            .where(m.tenant_id == tenant_id, _among(self.session, m.customer_id, customer_ids), m.sent_at >= span.start,
                   m.sent_at < span.end)
            .group_by(m.customer_id)
        )
        return {int(cid): PeriodCounts(day=int(d), week=int(w), month=int(mo), wecom=int(wc)) for cid, d, w, mo, wc in rows}

    def record(self, rows: list[dict[str, Any]]) -> int:
        """Insert message rows; a row already there (same source and customer) is skipped. Returns rows added."""
        dialect = self.session.get_bind().dialect.name
        added = 0
        for i in range(0, len(rows), ROWS_PER_INSERT):
            statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(customer_messages).values(rows[i : i + ROWS_PER_INSERT])
            statement = statement.on_conflict_do_nothing(index_elements=["tenant_id", "source_kind", "source_id", "customer_id"])
            # RETURNING, not rowcount: the drivers disagree on rowcount for skipped rows
            added += len(self.session.execute(statement.returning(customer_messages.c.id)).all())
        return added

    def unrecord(self, tenant_id: int, *, source_kind: str, source_id: int) -> int:
        """Take one source's messages out of the log again (a journey message WeCom refused reached
        nobody, so it does not count). Returns rows removed."""
        m = customer_messages.c
        result = self.session.execute(customer_messages.delete().where(
            m.tenant_id == tenant_id, m.source_kind == source_kind, m.source_id == source_id))
        return result.rowcount or 0  # type: ignore[attr-defined,no-any-return]

    def messages_of(self, tenant_id: int, customer_id: int, since: datetime) -> list[tuple[datetime, str, int, bool]]:
        m = customer_messages.c
        rows = self.session.execute(select(m.sent_at, m.source_kind, m.source_id, m.counts_toward_wecom_cap)
                                    .where(m.tenant_id == tenant_id, m.customer_id == customer_id, m.sent_at >= since)
                                    .order_by(m.sent_at.desc(), m.id.desc()))
        return [(r.sent_at, r.source_kind, r.source_id, bool(r.counts_toward_wecom_cap)) for r in rows]
