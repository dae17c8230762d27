"""Mass sends, their targets and tasks. Planning reads the whole tenant's relations in one
pass and writes targets in large executemany batches (bench/mass_send_plan.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customer_identities, customers, mass_send_targets, mass_send_tasks, mass_sends, staff, staff_relations
from siyu.domain.customers import RelationState
from siyu.domain.identities import IdentityKind
from siyu.domain.mass_sends import MassSend, MassSendTask, SendStatus, TargetStatus, TaskState
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import Page, PageRequest

CHUNK = 900  # bound parameters per IN list
INSERT_BATCH = 20_000  # target rows per executemany
S, T, G = mass_sends.c, mass_send_tasks.c, mass_send_targets.c
TARGET_COLUMNS = ("tenant_id", "mass_send_id", "customer_id", "staff_id", "task_id", "arm", "status", "reason")


def _send(row: Any) -> MassSend:
    return MassSend(id=row.id, name=row.name, text=row.text, material_ids=tuple(row.material_ids or ()), segment_id=row.segment_id,
                    customer_ids=tuple(row.customer_ids or ()), experiment_id=row.experiment_id,
                    variant_texts=dict(row.variant_texts or {}), status=SendStatus(row.status), scheduled_at=row.scheduled_at,
                    planned_at=row.planned_at, finished_at=row.finished_at, created_by=row.created_by, created_at=row.created_at,
                    error=row.error)


def _task(row: Any) -> MassSendTask:
    return MassSendTask(id=row.id, mass_send_id=row.mass_send_id, staff_id=row.staff_id, arm=row.arm, chunk=row.chunk,
                        idempotency_key=row.idempotency_key, state=TaskState(row.state), customers=row.customers,
                        submit_started_at=row.submit_started_at, msgid=row.msgid, confirmed_at=row.confirmed_at,
                        reminded=tuple(float(t) for t in row.reminded or ()), polled_at=row.polled_at, errcode=row.errcode,
                        error=row.error)


def _tuples(session: Session, query: Any) -> list[tuple[Any, ...]]:
    """All rows of a planning read as plain tuples, straight from the DB-API cursor: for a million
    rows, SQLAlchemy's Row objects cost more than the query (bench/mass_send_plan.py). Only for
    queries whose parameters and columns need no type processing (integers and plain strings)."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), tuple(params[name] for name in compiled.positiontup) if compiled.positional else params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    wanted = sorted(set(ids))
    for i in range(0, len(wanted), CHUNK):
        yield wanted[i : i + CHUNK]


class MassSendRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- sends ----------------------------------------------------------------------

    def add(self, tenant_id: int, **values: Any) -> int:
        return self.session.execute(  # type: ignore[no-any-return]
            insert(mass_sends).values(tenant_id=tenant_id, **values).returning(S.id)).scalar_one()

    def get(self, tenant_id: int, send_id: int) -> MassSend | None:
        row = self.session.execute(select(mass_sends).where(S.tenant_id == tenant_id, S.id == send_id)).first()
        return _send(row) if row else None

    def list(self, tenant_id: int, request: PageRequest, *, status: str | None = None) -> Page[MassSend]:
        query = select(mass_sends).where(S.tenant_id == tenant_id)
        if status:
            query = query.where(S.status == status)
        return fetch_page(self.session, query.order_by(S.id.desc()), request, _send)

    def move(self, tenant_id: int, send_id: int, *, from_statuses: Iterable[str], **values: Any) -> bool:
        """Compare-and-set: change the send only if its status is one of ``from_statuses``."""
        done = self.session.execute(update(mass_sends).where(S.tenant_id == tenant_id, S.id == send_id,
                                                             S.status.in_(list(from_statuses))).values(**values))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def material_in_open_send(self, tenant_id: int, material_id: int) -> bool:
        """Whether a send not yet finished (scheduled, sending, polling) carries this material."""
        rows = self.session.execute(select(S.material_ids).where(
            S.tenant_id == tenant_id, S.status.in_([SendStatus.SCHEDULED.value, SendStatus.SENDING.value, SendStatus.POLLING.value])))
        return any(material_id in (r.material_ids or ()) for r in rows)

    def due(self, now: datetime, *, limit: int = 500) -> list[tuple[int, int]]:
        """(tenant, send) of every send the worker has something to do for, every tenant."""
        rows = self.session.execute(
            select(S.tenant_id, S.id).where(
                ((S.status == SendStatus.SCHEDULED.value) & (S.scheduled_at <= now))
                | S.status.in_([SendStatus.SENDING.value, SendStatus.POLLING.value])
                | ((S.status == SendStatus.CANCELLED.value) & S.finished_at.is_(None))  # tasks in WeCom still to cancel
            ).order_by(S.id).limit(limit)).all()
        return [(r.tenant_id, r.id) for r in rows]

    # ---- planning inputs ---------------------------------------------------------------

    def live_customers(self, tenant_id: int, customer_ids: Iterable[int]) -> set[int]:
        c = customers.c
        wanted = set(customer_ids)
        if len(wanted) > 20 * CHUNK:  # a big audience: one pass over the tenant beats a thousand IN lists
            live = _tuples(self.session, select(c.id).where(c.tenant_id == tenant_id, c.merged_into_id.is_(None)))
            return wanted.intersection(row[0] for row in live)
        found: set[int] = set()
        for chunk in _chunks(wanted):
            found.update(self.session.execute(select(c.id).where(c.tenant_id == tenant_id, c.id.in_(chunk),
                                                                 c.merged_into_id.is_(None))).scalars())
        return found

    def chosen_staff(self, tenant_id: int) -> dict[int, int]:
        """customer -> the staff member who reaches them (``domain.mass_sends.pick_staff``, in SQL):
        over the active relations with staff still here, the owner's first, else the most recent,
        ties to the lower staff id. One window query for the whole tenant (SQLite >= 3.25, PostgreSQL)."""
        r, c, s = staff_relations.c, customers.c, staff.c
        is_owner = case((r.staff_id == c.owner_staff_id, 1), else_=0)
        ranked = (select(r.customer_id, r.staff_id,
                         func.row_number().over(partition_by=r.customer_id,
                                                order_by=(is_owner.desc(), r.added_at.desc(), r.staff_id.asc())).label("rank"))
                  .join(customers, and_(c.tenant_id == r.tenant_id, c.id == r.customer_id))
                  .join(staff, and_(s.tenant_id == r.tenant_id, s.id == r.staff_id))
                  .where(r.tenant_id == tenant_id, r.state == RelationState.ACTIVE.value, s.status == StaffStatus.ACTIVE.value,
                         c.merged_into_id.is_(None))).subquery()
        return dict(_tuples(self.session, select(ranked.c.customer_id, ranked.c.staff_id).where(ranked.c.rank == 1)))

    def with_wecom_id(self, tenant_id: int) -> set[int]:
        i = customer_identities.c
        rows = _tuples(self.session, select(i.customer_id).where(i.tenant_id == tenant_id, i.kind == IdentityKind.WECOM_EXTERNAL.value))
        return {row[0] for row in rows}

    # ---- the plan ------------------------------------------------------------------------

    def add_tasks(self, tenant_id: int, send_id: int, tasks: list[dict[str, Any]]) -> dict[tuple[int, str, int], int]:
        """All of a send's tasks in one executemany (each dict: staff_id, arm, chunk, idempotency_key,
        state, customers); returns ``{(staff_id, arm, chunk): task id}``, read back in one query."""
        if not tasks:
            return {}
        self.session.execute(insert(mass_send_tasks), [{"tenant_id": tenant_id, "mass_send_id": send_id, "reminded": [], **t}
                                                       for t in tasks])
        rows = self.session.execute(select(T.staff_id, T.arm, T.chunk, T.id).where(T.tenant_id == tenant_id,
                                                                                   T.mass_send_id == send_id))
        return {(r.staff_id, r.arm, r.chunk): r.id for r in rows}

    def add_targets(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Bulk insert of target rows, as tuples in ``TARGET_COLUMNS`` order (``sent_at`` NULL).

        Straight through the DB-API (COPY on PostgreSQL, executemany on SQLite), on the unit of work's own connection and
        transaction: a million rows through SQLAlchemy's per-row parameter processing cost more
        than the inserts themselves (bench/mass_send_plan.py)."""
        connection = self.session.connection()
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if connection.dialect.name == "postgresql":  # COPY: one stream, no statement per row (psycopg 3)
            written = 0
            try:
                with cursor.copy(f"COPY mass_send_targets ({', '.join(TARGET_COLUMNS)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
            finally:
                cursor.close()
            return written
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO mass_send_targets ({', '.join(TARGET_COLUMNS)}) VALUES ({', '.join([mark] * len(TARGET_COLUMNS))})"
        written = 0
        remaining = iter(rows)
        try:
            while batch := list(islice(remaining, INSERT_BATCH)):
                cursor.executemany(sql, batch)
                written += len(batch)
        finally:
            cursor.close()
        return written

    def tasks(self, tenant_id: int, send_id: int) -> list[MassSendTask]:
        rows = self.session.execute(select(mass_send_tasks).where(T.tenant_id == tenant_id, T.mass_send_id == send_id)
                                    .order_by(T.id)).all()
        return [_task(r) for r in rows]

    def task(self, tenant_id: int, task_id: int) -> MassSendTask | None:
        row = self.session.execute(select(mass_send_tasks).where(T.tenant_id == tenant_id, T.id == task_id)).first()
        return _task(row) if row else None

    def move_task(self, tenant_id: int, task_id: int, *, from_state: str, **values: Any) -> bool:
        """Compare-and-set on the task's state: the one guard against two workers submitting it."""
        done = self.session.execute(update(mass_send_tasks).where(T.tenant_id == tenant_id, T.id == task_id,
                                                                  T.state == from_state).values(**values))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def msgids(self, tenant_id: int) -> set[str]:
        return set(self.session.execute(select(T.msgid).where(T.tenant_id == tenant_id, T.msgid.is_not(None))).scalars())

    def task_targets(self, tenant_id: int, task_id: int) -> dict[int, tuple[str, str]]:
        """customer -> (status, WeCom external_userid or "") of one task."""
        i = customer_identities.c
        query = (select(G.customer_id, G.status, func.min(i.value))
                 .outerjoin(customer_identities, and_(i.tenant_id == G.tenant_id, i.customer_id == G.customer_id,
                                                      i.kind == IdentityKind.WECOM_EXTERNAL.value))
                 .where(G.tenant_id == tenant_id, G.task_id == task_id).group_by(G.customer_id, G.status))
        return {r[0]: (r[1], r[2] or "") for r in self.session.execute(query)}

    def set_targets(self, tenant_id: int, task_id: int, customer_ids: Iterable[int], *, status: str,
                    sent_at: datetime | None = None) -> None:
        for chunk in _chunks(customer_ids):
            self.session.execute(update(mass_send_targets).where(G.tenant_id == tenant_id, G.task_id == task_id,
                                                                 G.customer_id.in_(chunk)).values(status=status, sent_at=sent_at))

    def close_targets(self, tenant_id: int, send_id: int, *, open_statuses: Iterable[str], status: str,
                      task_id: int | None = None) -> None:
        query = update(mass_send_targets).where(G.tenant_id == tenant_id, G.mass_send_id == send_id,
                                                G.status.in_(list(open_statuses)))
        if task_id is not None:
            query = query.where(G.task_id == task_id)
        self.session.execute(query.values(status=status))

    # ---- the report ------------------------------------------------------------------------

    def target_counts(self, tenant_id: int, send_id: int) -> dict[str, int]:
        rows = self.session.execute(select(G.status, func.count()).where(G.tenant_id == tenant_id, G.mass_send_id == send_id)
                                    .group_by(G.status))
        return {r[0]: r[1] for r in rows}

    def exclusion_counts(self, tenant_id: int, send_id: int) -> dict[str, int]:
        rows = self.session.execute(select(G.reason, func.count()).where(
            G.tenant_id == tenant_id, G.mass_send_id == send_id, G.reason.is_not(None)).group_by(G.reason))
        return {r[0]: r[1] for r in rows}

    def staff_counts(self, tenant_id: int, send_id: int) -> dict[int, tuple[int, int]]:
        """staff -> (customers in their tasks, customers sent)."""
        sent = func.sum(case((G.status == TargetStatus.SENT.value, 1), else_=0))
        rows = self.session.execute(select(G.staff_id, func.count(), sent).where(
            G.tenant_id == tenant_id, G.mass_send_id == send_id, G.task_id.is_not(None)).group_by(G.staff_id))
        return {r[0]: (r[1], int(r[2] or 0)) for r in rows}
