"""Customers written a batch at a time, for imports: one statement per table per batch.

The single-row repositories stay the reference; :mod:`siyu.services.import_batch` writes
exactly what they would. Each value is bound by its column's own SQLAlchemy type processor,
then handed to the driver in bulk: ``executemany`` of the statement SQLAlchemy compiled (SQLite)
or ``COPY`` (PostgreSQL, through psycopg). SQLAlchemy's per-row parameter handling costs more
than the insert itself at a million rows.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import (
    customer_identities,
    customer_tags,
    customers,
    stage_changes,
    staff_relations,
    timeline_events,
)
from siyu.domain.customers import RelationState
from siyu.domain.identities import IdentityKey, IdentityKind

CHUNK = 500
PROFILE_COLUMNS = ("name", "gender", "avatar", "birthday", "region", "fields", "stage_id", "owner_staff_id")
_CUSTOMER_COLUMNS = ("tenant_id", *PROFILE_COLUMNS, "added_at", "created_at", "updated_at")
_KIND_OF = {kind.value: kind for kind in IdentityKind}
_LOADED = (customers, customer_identities, customer_tags, staff_relations, stage_changes, timeline_events)
EVENT_COLUMNS = ("tenant_id", "customer_id", "kind", "occurred_at", "actor", "data")


class CustomerBatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def owners(self, tenant_id: int, keys: Collection[IdentityKey]) -> dict[IdentityKey, int]:
        """Which customer holds each known key (what IdentityRepository.owners answers), looked
        up by value alone: the (tenant_id, value) index serves it on every engine."""
        i = customer_identities.c
        wanted = set(keys)
        values = sorted({k.value for k in wanted})
        found: dict[IdentityKey, int] = {}
        for start in range(0, len(values), CHUNK):
            rows = self.session.execute(
                select(i.kind, i.value, i.customer_id).where(i.tenant_id == tenant_id, i.value.in_(values[start : start + CHUNK]))
            ).all()
            for kind, value, customer_id in rows:
                key = IdentityKey(_KIND_OF[kind], value)
                if key in wanted:
                    found[key] = customer_id
        return found

    def add_customers(self, tenant_id: int, rows: list[tuple[Any, ...]], *, now: datetime) -> list[int]:
        """Insert customers (each row holds PROFILE_COLUMNS, in order); their ids, in row order."""
        if not rows:
            return []
        values = [(tenant_id, *row, now, now, now) for row in rows]
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            # Ids taken from the column's own sequence first (safe beside other writers), then COPY.
            ids = list(connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('customers', 'id')) FROM generate_series(1, %(n)s)", {"n": len(rows)}
            ).scalars())
            self._insert(customers, ("id", *_CUSTOMER_COLUMNS), [(i, *row) for i, row in zip(ids, values, strict=True)])
            return ids
        if connection.dialect.name != "sqlite":
            named = [dict(zip(_CUSTOMER_COLUMNS, row, strict=True)) for row in values]
            return list(self.session.execute(insert(customers).returning(customers.c.id, sort_by_parameter_order=True), named).scalars())
        # SQLite gives each new row max(rowid) + 1, and this transaction holds the only write
        # lock from its first insert on: the newest len(rows) ids (of any tenant) are these rows.
        self._insert(customers, _CUSTOMER_COLUMNS, values)
        newest = self.session.execute(select(customers.c.id).order_by(customers.c.id.desc()).limit(len(rows))).scalars()
        return sorted(newest)

    def update_customers(self, tenant_id: int, rows: list[dict[str, Any]], *, now: datetime) -> None:
        """Rewrite the profile columns of each customer (``id`` plus every PROFILE_COLUMNS value)."""
        if not rows:
            return
        c = customers.c
        statement = (
            update(customers)
            .where(c.tenant_id == tenant_id, c.id == bindparam("customer_id"))
            .values(updated_at=now, **{name: bindparam(f"new_{name}") for name in PROFILE_COLUMNS})
        )
        self.session.execute(
            statement, [{"customer_id": r["id"], **{f"new_{name}": r[name] for name in PROFILE_COLUMNS}} for r in rows]
        )

    def add_identities(self, tenant_id: int, rows: list[tuple[int, str, str]], *, source: str, now: datetime) -> None:
        """(customer_id, kind, value) triples."""
        self._insert(customer_identities, ("tenant_id", "customer_id", "kind", "value", "source", "created_at"),
                     [(tenant_id, c, k, v, source, now) for c, k, v in rows])

    def add_tags(self, tenant_id: int, pairs: list[tuple[int, int]], *, source: str, applied_by: str, now: datetime) -> None:
        """(customer_id, tag_id) pairs not applied yet (what TagRepository.apply inserts)."""
        self._insert(customer_tags, ("tenant_id", "customer_id", "tag_id", "source", "applied_by", "applied_at"),
                     [(tenant_id, c, t, source, applied_by, now) for c, t in pairs])

    def add_events(self, rows: list[tuple[Any, ...]]) -> None:
        """Timeline rows, each holding EVENT_COLUMNS in order."""
        self._insert(timeline_events, EVENT_COLUMNS, rows)

    def relations(self, tenant_id: int, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, RelationState]]:
        """For (customer_id, staff_id) pairs: the existing relation's id and state."""
        r = staff_relations.c
        wanted = set(pairs)
        customer_ids = sorted({c for c, _ in pairs})
        found: dict[tuple[int, int], tuple[int, RelationState]] = {}
        for start in range(0, len(customer_ids), CHUNK):
            rows = self.session.execute(
                select(r.id, r.customer_id, r.staff_id, r.state).where(
                    r.tenant_id == tenant_id, r.customer_id.in_(customer_ids[start : start + CHUNK])
                )
            ).all()
            found.update({(row.customer_id, row.staff_id): (row.id, RelationState(row.state))
                          for row in rows if (row.customer_id, row.staff_id) in wanted})
        return found

    def add_relations(self, tenant_id: int, pairs: list[tuple[int, int]], *, at: datetime) -> None:
        """Active relations for (customer_id, staff_id) pairs that have none."""
        self._insert(staff_relations, ("tenant_id", "customer_id", "staff_id", "state", "added_at"),
                     [(tenant_id, c, s, RelationState.ACTIVE.value, at) for c, s in pairs])

    def reactivate_relations(self, tenant_id: int, relation_ids: list[int], *, at: datetime) -> None:
        """Ended relations followed again (what ``relations.follow_in`` does to one)."""
        if relation_ids:
            r = staff_relations.c
            self.session.execute(
                update(staff_relations)
                .where(r.tenant_id == tenant_id, r.id == bindparam("relation_id"))
                .values(state=RelationState.ACTIVE.value, added_at=at, ended_at=None, add_way=None, channel_state=None),
                [{"relation_id": i} for i in relation_ids],
            )

    def add_stage_changes(self, tenant_id: int, rows: list[tuple[int, int | None, int]], *, actor: str, now: datetime) -> None:
        """(customer_id, from_stage_id, to_stage_id) triples."""
        self._insert(stage_changes, ("tenant_id", "customer_id", "from_stage_id", "to_stage_id", "actor", "changed_at"),
                     [(tenant_id, c, f, t, actor, now) for c, f, t in rows])

    def refresh_statistics(self) -> None:
        """Let the query planner see the tables as they are after a bulk load. Without
        statistics SQLite reads ``tenant_id = ? AND id IN (...)`` through a (tenant_id, ...)
        index, scanning the whole tenant; ``analysis_limit`` keeps ANALYZE to milliseconds."""
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")
            connection.exec_driver_sql("ANALYZE")
        elif connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE " + ", ".join(t.name for t in _LOADED))

    def _insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        connection = self.session.connection()
        dialect = connection.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        bound = _bound(rows, processors)
        if dialect.name == "postgresql":
            # COPY: psycopg's executemany still runs one INSERT per row on the server.
            quote = dialect.identifier_preparer
            target = f"{quote.format_table(table)} ({', '.join(quote.quote(name) for name in columns)})"
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in bound:
                    copy.write_row(row)
            return
        if compiled.positional:
            order = [columns.index(name) for name in compiled.positiontup or ()]
            params: list[Any] = bound if order == list(range(len(columns))) else list(map(itemgetter(*order), bound))
        else:
            params = [dict(zip(columns, row, strict=True)) for row in bound]
        connection.exec_driver_sql(compiled.string, params)


def _bound(rows: list[tuple[Any, ...]], processors: list[Any]) -> list[tuple[Any, ...]]:
    """Rows with each value bound by its column's processor, column by column. Values that
    repeat (the batch's one timestamp) are bound once; JSON documents each time."""
    if not any(processors):
        return rows
    columns = list(zip(*rows, strict=True))
    for index, process in enumerate(processors):
        if process is None:
            continue
        values = columns[index]
        if any(isinstance(v, (dict, list)) for v in values[:1]):
            # JSON: bound once per document object (callers share one dict between rows
            # whose data is the same); every value stays alive, so ids are not reused.
            by_id = {id(v): None if v is None else process(v) for v in values}
            columns[index] = tuple(by_id[id(v)] for v in values)
        else:
            memo = {v: None if v is None else process(v) for v in set(values)}
            columns[index] = tuple(memo[v] for v in values)
    return list(zip(*columns, strict=True))
