"""Guide tasks and lifecycle rules, scoped like the rest of the tenant's rows: a guide sees the
tasks given to them, a store manager their store's, everyone else the tenant's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, not_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customers, events, guide_task_rules, guide_tasks, orders, regions, stage_changes, stages, staff, stores
from siyu.domain.access import Scope
from siyu.domain.events import REPLY_EVENT
from siyu.domain.guide_tasks import (
    GuideTask, GuideTally, LifecycleRule, Outcome, RuleDraft, TaskFilter, TaskKind, TaskSource, TaskState,
)
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import Page, PageRequest

_T = guide_tasks.c


def _task(row: Any) -> GuideTask:
    return GuideTask(id=row.id, staff_id=row.staff_id, staff_name=row.staff_name, store_id=row.store_id, customer_id=row.customer_id,
                     customer_name=row.customer_name, kind=TaskKind(row.kind), title=row.title, script=row.script, due_at=row.due_at,
                     state=TaskState(row.state), source_kind=TaskSource(row.source_kind), source_key=row.source_key,
                     created_by=row.created_by, created_at=row.created_at, closed_at=row.closed_at, reminded_at=row.reminded_at)


def _rule(row: Any) -> LifecycleRule:
    return LifecycleRule(id=row.id, stage_id=row.stage_id, stage_name=row.stage_name, days=row.days, kind=TaskKind(row.kind),
                         title=row.title, script=row.script, active=bool(row.active), created_at=row.created_at)


def visible(scope: Scope):  # type: ignore[no-untyped-def]
    condition = _T.tenant_id == scope.tenant_id
    if scope.staff_id is not None:
        return and_(condition, _T.staff_id == scope.staff_id)
    if scope.store_id is not None:
        return and_(condition, _T.store_id == scope.store_id)
    return condition


class GuideTaskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- tasks ---------------------------------------------------------------------------

    def find_by_source(self, tenant_id: int, source_kind: TaskSource, source_key: str) -> int | None:
        return self.session.execute(select(_T.id).where(  # type: ignore[no-any-return]
            _T.tenant_id == tenant_id, _T.source_kind == source_kind.value, _T.source_key == source_key)).scalar_one_or_none()

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> int | None:
        """Insert a task; with a source key, ``ON CONFLICT DO NOTHING`` on it (None: another writer made it first)."""
        row = {"tenant_id": tenant_id, "state": TaskState.OPEN.value, "created_at": now, "updated_at": now, **values}
        if row.get("source_key") is None:
            return self.session.execute(insert(guide_tasks).values(**row)).inserted_primary_key[0]  # type: ignore[index, no-any-return]
        dialect = self.session.get_bind().dialect.name
        statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(guide_tasks).values(**row)
        statement = statement.on_conflict_do_nothing(index_elements=["tenant_id", "source_kind", "source_key"]).returning(_T.id)
        return self.session.execute(statement).scalar_one_or_none()

    def _select(self):  # type: ignore[no-untyped-def]
        s, c = staff.c, customers.c
        return (select(guide_tasks, s.name.label("staff_name"), c.name.label("customer_name"))
                .join(staff, (s.tenant_id == _T.tenant_id) & (s.id == _T.staff_id))
                .outerjoin(customers, (c.tenant_id == _T.tenant_id) & (c.id == _T.customer_id)))

    def get(self, scope: Scope, task_id: int) -> GuideTask | None:
        row = self.session.execute(self._select().where(visible(scope), _T.id == task_id)).one_or_none()
        return _task(row) if row else None

    def page(self, scope: Scope, flt: TaskFilter, request: PageRequest) -> Page[GuideTask]:
        query = self._select().where(visible(scope))
        for column, value in ((_T.staff_id, flt.staff_id), (_T.store_id, flt.store_id), (_T.customer_id, flt.customer_id)):
            if value is not None:
                query = query.where(column == value)
        if flt.state is not None:
            query = query.where(_T.state == flt.state.value)
        if flt.source_kind is not None:
            query = query.where(_T.source_kind == flt.source_kind.value)
        if flt.due_from is not None:
            query = query.where(_T.due_at >= flt.due_from)
        if flt.due_before is not None:
            query = query.where(_T.due_at < flt.due_before)
        if flt.overdue_at is not None:
            query = query.where(_T.state == TaskState.OPEN.value, _T.due_at < flt.overdue_at)
        return fetch_page(self.session, query.order_by(_T.due_at, _T.id), request, _task)

    def close(self, tenant_id: int, task_id: int, state: TaskState, *, at: datetime, by: str, outcome_until: datetime | None) -> bool:
        """Close an open task; False when it was no longer open (a concurrent close won)."""
        done = self.session.execute(update(guide_tasks).where(
            _T.tenant_id == tenant_id, _T.id == task_id, _T.state == TaskState.OPEN.value,
        ).values(state=state.value, closed_at=at, closed_by=by, outcome_until=outcome_until, updated_at=at))
        return done.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def overdue_unreminded(self, now: datetime, limit: int) -> list[Any]:
        """Open tasks past due that were never reminded, every tenant (the partial index on due_at)."""
        return list(self.session.execute(
            select(_T.tenant_id, _T.id, _T.staff_id, _T.store_id, _T.customer_id, _T.title, _T.due_at)
            .where(_T.state == TaskState.OPEN.value, _T.reminded_at.is_(None), _T.due_at < now)
            .order_by(_T.due_at, _T.id).limit(limit)).all())

    def mark_reminded(self, tenant_id: int, task_id: int, now: datetime) -> bool:
        done = self.session.execute(update(guide_tasks).where(
            _T.tenant_id == tenant_id, _T.id == task_id, _T.reminded_at.is_(None), _T.state == TaskState.OPEN.value,
        ).values(reminded_at=now))
        return done.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    # -- lifecycle rules -------------------------------------------------------------------

    def _rules(self):  # type: ignore[no-untyped-def]
        r, st = guide_task_rules.c, stages.c
        return (select(guide_task_rules, st.name.label("stage_name"))
                .join(stages, (st.tenant_id == r.tenant_id) & (st.id == r.stage_id)))

    def add_rule(self, tenant_id: int, draft: RuleDraft, *, now: datetime) -> int:
        return self.session.execute(insert(guide_task_rules).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, stage_id=draft.stage_id, days=draft.days, kind=draft.kind.value, title=draft.title,
            script=draft.script, active=draft.active, created_at=now, updated_at=now)).inserted_primary_key[0]

    def update_rule(self, tenant_id: int, rule_id: int, draft: RuleDraft, *, now: datetime) -> bool:
        r = guide_task_rules.c
        return self.session.execute(update(guide_task_rules).where(r.tenant_id == tenant_id, r.id == rule_id).values(  # type: ignore[attr-defined, no-any-return]
            stage_id=draft.stage_id, days=draft.days, kind=draft.kind.value, title=draft.title, script=draft.script,
            active=draft.active, updated_at=now)).rowcount == 1

    def delete_rule(self, tenant_id: int, rule_id: int) -> bool:
        r = guide_task_rules.c
        return self.session.execute(delete(guide_task_rules).where(  # type: ignore[attr-defined, no-any-return]
            r.tenant_id == tenant_id, r.id == rule_id)).rowcount == 1

    def get_rule(self, tenant_id: int, rule_id: int) -> LifecycleRule | None:
        r = guide_task_rules.c
        row = self.session.execute(self._rules().where(r.tenant_id == tenant_id, r.id == rule_id)).one_or_none()
        return _rule(row) if row else None

    def rules(self, tenant_id: int) -> list[LifecycleRule]:
        r = guide_task_rules.c
        return [_rule(row) for row in self.session.execute(self._rules().where(r.tenant_id == tenant_id).order_by(r.id))]

    def active_rules(self) -> list[tuple[int, LifecycleRule]]:
        """Every tenant's active rules (the worker's run)."""
        r = guide_task_rules.c
        rows = self.session.execute(self._rules().where(r.active.is_(True)).order_by(r.tenant_id, r.id))
        return [(row.tenant_id, _rule(row)) for row in rows]

    def stage_entries(self, tenant_id: int, rule: LifecycleRule, after: datetime, until: datetime, limit: int) -> list[Any]:
        """(customer_id, owner_staff_id, stage_change_id) of live customers who entered the rule's stage in
        (after, until], are in it still (no later stage change) and have an active owner staff member."""
        sc, c, s = stage_changes.c, customers.c, staff.c
        later = stage_changes.alias("later")
        query = (
            select(c.id.label("customer_id"), c.owner_staff_id, sc.id.label("change_id"))
            .select_from(stage_changes)
            .join(customers, (c.tenant_id == sc.tenant_id) & (c.id == sc.customer_id))
            .join(staff, (s.tenant_id == c.tenant_id) & (s.id == c.owner_staff_id))
            .where(sc.tenant_id == tenant_id, sc.to_stage_id == rule.stage_id, sc.changed_at > after, sc.changed_at <= until,
                   c.stage_id == rule.stage_id, c.merged_into_id.is_(None), s.status == StaffStatus.ACTIVE.value,
                   not_(select(later.c.id).where(later.c.tenant_id == sc.tenant_id, later.c.customer_id == sc.customer_id,
                                                 later.c.id > sc.id).exists()))
            .order_by(sc.id).limit(limit)
        )
        return list(self.session.execute(query).all())

    # -- leaderboards ----------------------------------------------------------------------

    def board_history(self, tenant_id: int, since: datetime, until: datetime) -> tuple[list[GuideTally], list[Outcome]]:
        """What every leaderboard of the period is rolled up from, in three queries over the tasks due in
        [since, until) (not cancelled; the tenant's due-time index): counts per (guide, store), the done
        ones whose customer replied after them (a ``message_replied`` event in (closed_at, outcome_until],
        the window of the orders) per (guide, store), and the distinct (guide, store, order) outcomes
        of the done ones."""
        s, st, rg, o, e = staff.c, stores.c, regions.c, orders.c, events.c
        base = and_(_T.tenant_id == tenant_id, _T.due_at >= since, _T.due_at < until, _T.state != TaskState.CANCELLED.value)
        done = TaskState.DONE.value
        counted = self.session.execute(
            select(_T.staff_id, _T.store_id, func.count().label("due"),
                   func.sum(case((_T.state == done, 1), else_=0)).label("done"),
                   func.sum(case((_T.state == TaskState.SKIPPED.value, 1), else_=0)).label("skipped"))
            .where(base).group_by(_T.staff_id, _T.store_id)
        ).all()
        answered = exists().where(e.tenant_id == _T.tenant_id, e.customer_id == _T.customer_id, e.occurred_at > _T.closed_at,
                                  e.occurred_at <= _T.outcome_until, e.name == REPLY_EVENT)
        replied = {(r.staff_id, r.store_id): int(r.replied) for r in self.session.execute(
            select(_T.staff_id, _T.store_id, func.count().label("replied")).where(base, _T.state == done, answered)
            .group_by(_T.staff_id, _T.store_id))}
        staff_ids = sorted({r.staff_id for r in counted})
        store_ids = sorted({r.store_id for r in counted if r.store_id is not None})
        names = {r.id: r.name for r in self.session.execute(select(s.id, s.name).where(s.tenant_id == tenant_id, s.id.in_(staff_ids)))} \
            if staff_ids else {}
        places = {r.id: (r.name, r.region_id, r.region_name) for r in self.session.execute(
            select(st.id, st.name, st.region_id, rg.name.label("region_name"))
            .outerjoin(regions, (rg.tenant_id == st.tenant_id) & (rg.id == st.region_id))
            .where(st.tenant_id == tenant_id, st.id.in_(store_ids)))} if store_ids else {}
        tallies = []
        for r in counted:
            store_name, region_id, region_name = places.get(r.store_id, ("", None, ""))
            tallies.append(GuideTally(staff_id=r.staff_id, staff_name=names.get(r.staff_id, ""), store_id=r.store_id,
                                      store_name=store_name or "", region_id=region_id, region_name=region_name or "",
                                      due=int(r.due), done=int(r.done or 0), skipped=int(r.skipped or 0),
                                      replied=replied.get((r.staff_id, r.store_id), 0)))
        outcomes = [Outcome(staff_id=r.staff_id, store_id=r.store_id, order_id=r.order_id, net=Decimal(r.net)) for r in self.session.execute(
            select(_T.staff_id, _T.store_id, o.id.label("order_id"), (o.amount - o.refunded_amount).label("net"))
            .select_from(guide_tasks.join(orders, (o.tenant_id == _T.tenant_id) & (o.customer_id == _T.customer_id)
                                          & (o.ordered_at > _T.closed_at) & (o.ordered_at <= _T.outcome_until)))
            .where(base, _T.state == done, o.status != "refunded").distinct()
        )]
        return tallies, outcomes
