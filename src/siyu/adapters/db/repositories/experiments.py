from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customers, events, experiment_assignments, experiments, mass_send_targets, mass_sends, orders
from siyu.domain.errors import Conflict
from siyu.domain.events import REPLY_EVENT
from siyu.domain.experiments import Arm, Experiment
from siyu.domain.paging import Page, PageRequest

CHUNK = 900  # bound parameters per IN list / per insert


def _experiment(row: Any) -> Experiment:
    arms = tuple(Arm(str(a["key"]), int(a["weight"]), bool(a.get("control")), bool(a.get("baseline"))) for a in row.arms)
    return Experiment(id=row.id, name=row.name, salt=row.salt, arms=arms, window_days=row.window_days, started_at=row.started_at,
                      created_at=row.created_at)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), CHUNK):
        yield wanted[i : i + CHUNK]


class ExperimentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, name: str, salt: str, arms: tuple[Arm, ...], window_days: int, started_at: datetime,
            now: datetime) -> int:
        statement = insert(experiments).values(tenant_id=tenant_id, name=name, salt=salt, arms=[a.as_dict() for a in arms],
                                               window_days=window_days, started_at=started_at, created_at=now)
        return self._unique(statement).inserted_primary_key[0]  # type: ignore[no-any-return, index]

    def _unique(self, statement: Any) -> Any:
        """Run a write that may clash with the unique name; the service checks names first, so a clash
        here is another writer who took the name at the same moment."""
        try:
            with self.session.begin_nested():
                return self.session.execute(statement)
        except IntegrityError as exc:
            raise Conflict("record.concurrent_write", "this clashes with a record saved at the same moment; reload and retry") from exc

    def update(self, tenant_id: int, experiment_id: int, *, name: str, arms: tuple[Arm, ...], window_days: int,
               started_at: datetime | None = None) -> None:
        c = experiments.c
        values: dict[str, object] = {"name": name, "arms": [a.as_dict() for a in arms], "window_days": window_days}
        if started_at is not None:
            values["started_at"] = started_at
        self._unique(update(experiments).where(c.tenant_id == tenant_id, c.id == experiment_id).values(**values))

    def names_like(self, tenant_id: int, name: str, *, other_than: int | None = None) -> set[str]:
        """The brand's experiment names that are ``name`` or start with it (for a unique one), but for ``other_than``'s."""
        c = experiments.c
        query = select(c.name).where(c.tenant_id == tenant_id, c.name.startswith(name, autoescape=True))
        if other_than is not None:
            query = query.where(c.id != other_than)
        return set(self.session.execute(query).scalars())

    def in_use(self, tenant_id: int, experiment_id: int) -> bool:
        """Someone is assigned, or a mass send names it."""
        a, m = experiment_assignments.c, mass_sends.c
        assigned = exists().where(a.tenant_id == tenant_id, a.experiment_id == experiment_id)
        named = exists().where(m.tenant_id == tenant_id, m.experiment_id == experiment_id)
        return bool(self.session.execute(select(assigned | named)).scalar())

    def send_arms(self, tenant_id: int, experiment_id: int) -> list[tuple[int, str, str, str | None, int]]:
        """(send id, send name, arm, exclusion reason or None when targeted, customers) of each send of the
        experiment, from the sends' plans (a send not planned yet has no rows)."""
        m, t = mass_sends.c, mass_send_targets.c
        query = (select(m.id, m.name, t.arm, t.reason, func.count())
                 .select_from(mass_sends.join(mass_send_targets, (t.tenant_id == m.tenant_id) & (t.mass_send_id == m.id)))
                 .where(m.tenant_id == tenant_id, m.experiment_id == experiment_id)
                 .group_by(m.id, m.name, t.arm, t.reason).order_by(m.id))
        return [(int(i), str(n), str(arm or ""), reason, int(count)) for i, n, arm, reason, count in self.session.execute(query)]

    def get(self, tenant_id: int, experiment_id: int) -> Experiment | None:
        c = experiments.c
        row = self.session.execute(select(experiments).where(c.tenant_id == tenant_id, c.id == experiment_id)).one_or_none()
        return _experiment(row) if row else None

    def list(self, tenant_id: int, request: PageRequest) -> Page[Experiment]:
        c = experiments.c
        query = select(experiments).where(c.tenant_id == tenant_id).order_by(c.started_at.desc(), c.id.desc())
        return fetch_page(self.session, query, request, _experiment)

    def known_customers(self, tenant_id: int, customer_ids: Iterable[int]) -> set[int]:
        c = customers.c
        found: set[int] = set()
        for chunk in _chunks(customer_ids):
            found.update(self.session.execute(select(c.id).where(c.tenant_id == tenant_id, c.id.in_(chunk))).scalars())
        return found

    def arms_of(self, tenant_id: int, experiment_id: int, customer_ids: Iterable[int]) -> dict[int, str]:
        a = experiment_assignments.c
        found: dict[int, str] = {}
        for chunk in _chunks(customer_ids):
            rows = self.session.execute(select(a.customer_id, a.arm).where(
                a.tenant_id == tenant_id, a.experiment_id == experiment_id, a.customer_id.in_(chunk)))
            found.update({int(customer_id): str(arm) for customer_id, arm in rows})
        return found

    def assign(self, tenant_id: int, experiment_id: int, arms: dict[int, str], at: datetime) -> None:
        """Record the arms; a customer already in the experiment keeps the row it has (``ON CONFLICT DO NOTHING``
        on the unique key, so two writers racing cannot give one customer two arms)."""
        if not arms:
            return
        rows = [{"tenant_id": tenant_id, "experiment_id": experiment_id, "customer_id": c, "arm": arm, "assigned_at": at}
                for c, arm in sorted(arms.items())]
        dialect = self.session.get_bind().dialect.name
        for i in range(0, len(rows), CHUNK // 6):
            statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(experiment_assignments).values(rows[i : i + CHUNK // 6])
            self.session.execute(statement.on_conflict_do_nothing(index_elements=["tenant_id", "experiment_id", "customer_id"]))

    def arm_counts(self, tenant_id: int, experiment_id: int) -> dict[str, int]:
        a = experiment_assignments.c
        rows = self.session.execute(select(a.arm, func.count()).where(a.tenant_id == tenant_id, a.experiment_id == experiment_id)
                                    .group_by(a.arm))
        return {str(arm): int(n) for arm, n in rows}

    def window_converters(self, tenant_id: int, experiment_id: int, start: datetime, end: datetime) -> Iterator[tuple[str, Decimal]]:
        """(arm, net GMV) of every assigned customer with at least one order placed in [start, end) that is
        not wholly refunded; GMV is what was paid less what is refunded so far. Customers without such an
        order are not listed (the report counts them from the arm sizes, with GMV 0)."""
        a, o = experiment_assignments.c, orders.c
        net = o.amount - o.refunded_amount
        query = (select(a.arm, func.sum(net)).select_from(experiment_assignments.join(
            orders, (o.tenant_id == a.tenant_id) & (o.customer_id == a.customer_id)))
            .where(a.tenant_id == tenant_id, a.experiment_id == experiment_id, o.ordered_at >= start, o.ordered_at < end,
                   o.amount > o.refunded_amount)
            .group_by(a.arm, a.customer_id))
        cent = Decimal("0.01")
        for arm, gmv in self.session.execute(query.execution_options(yield_per=5000)):
            yield str(arm), Decimal(str(gmv)).quantize(cent)

    def window_repliers(self, tenant_id: int, experiment_id: int, start: datetime, end: datetime) -> dict[str, int]:
        """Per arm, the assigned customers with at least one ``message_replied`` event that occurred in
        [start, end) (the customer's events, on the index of events by customer and time)."""
        a, e = experiment_assignments.c, events.c
        replied = exists().where(e.tenant_id == a.tenant_id, e.customer_id == a.customer_id, e.occurred_at >= start,
                                 e.occurred_at < end, e.name == REPLY_EVENT)
        rows = self.session.execute(select(a.arm, func.count()).where(a.tenant_id == tenant_id, a.experiment_id == experiment_id, replied)
                                    .group_by(a.arm))
        return {str(arm): int(n) for arm, n in rows}
