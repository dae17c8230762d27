"""The query base class: caching and timing, once (PostHog's ``QueryRunner`` idea).

A query is a frozen dataclass of its parameters (the tenant among them). ``build()`` returns
an Ibis expression over the warehouse; ``run()`` executes it and turns the rows into a typed,
frozen result. The cache key is the query's class and parameters plus the tenant's *sync
version* (raised by every sync that changed data), so a cached answer is never older than the
data it was computed from, and nothing needs invalidating by hand.

The same cache keeps each question's compiled SQL (:class:`CompiledQuery`), keyed without the
sync version: building and compiling an expression costs 100-800 ms of Python whatever the data
size, and the SQL does not change when the data does, so after a sync a dashboard pays only the
execution.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import astuple, dataclass
from typing import Any, ClassVar, Generic, TypeVar

import ibis
import pyarrow as pa
import structlog

from siyu.adapters.warehouse import CompiledQuery, Warehouse
from siyu.analytics.frame import today_in_shanghai
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import NotFound

R = TypeVar("R")
log = structlog.get_logger("siyu.analytics")


@dataclass(frozen=True)
class Timed(Generic[R]):
    result: R
    seconds: float
    cached: bool
    sync_version: int


class QueryCache:
    """A small thread-safe LRU of query results, shared by a process's requests."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class AnalyticsQuery(ABC, Generic[R]):
    """Subclasses are frozen dataclasses with a ``tenant_id`` field."""

    name: ClassVar[str]
    tenant_id: int

    @abstractmethod
    def build(self, warehouse: Warehouse) -> ibis.Table:
        """The question as one Ibis expression."""

    @abstractmethod
    def result(self, rows: list[dict[str, Any]]) -> R:
        """The expression's rows as the typed answer."""

    def result_table(self, table: pa.Table) -> R:
        """The expression's answer, as the Arrow table the warehouse returned, as the typed answer.

        Row by row (:meth:`result`) here; a question with one row per customer (RFM, lifetime
        value) reads the columns instead and builds a row object only when one is asked for
        (:class:`siyu.analytics.typed_rows.TypedRows`)."""
        return self.result(table.to_pylist())

    def cache_key(self, sync_version: int) -> tuple[Any, ...]:
        # today's date too: parameters left to default ("as of today") roll over at midnight
        return (type(self).__qualname__, astuple(self), sync_version, today_in_shanghai())  # type: ignore[call-overload]

    def compiled(self, warehouse: Warehouse, cache: QueryCache | None = None) -> CompiledQuery:
        """The question's SQL for this warehouse, compiled once per parameters and day."""
        key = ("compiled", warehouse.name, warehouse.url, type(self).__qualname__, astuple(self), today_in_shanghai())  # type: ignore[call-overload]
        if cache is not None and (hit := cache.get(key)) is not None:
            return hit  # type: ignore[no-any-return]
        compiled = warehouse.compile(self.build(warehouse))
        if cache is not None:
            cache.put(key, compiled)
        return compiled

    def run_timed(self, warehouse: Warehouse, cache: QueryCache | None = None) -> Timed[R]:
        start = time.perf_counter()
        version = warehouse.sync_version(self.tenant_id)
        key = self.cache_key(version)
        if cache is not None and (hit := cache.get(key)) is not None:
            timed = Timed(result=hit, seconds=time.perf_counter() - start, cached=True, sync_version=version)
        else:
            answer = self.result_table(warehouse.compiled_table(self.compiled(warehouse, cache)))
            if cache is not None:
                cache.put(key, answer)
            timed = Timed(result=answer, seconds=time.perf_counter() - start, cached=False, sync_version=version)
        log.info("analytics query", query=self.name, tenant_id=self.tenant_id, ms=round(timed.seconds * 1000, 1),
                 cached=timed.cached, sync_version=version, backend=warehouse.name)
        return timed

    def run(self, warehouse: Warehouse, cache: QueryCache | None = None) -> R:
        return self.run_timed(warehouse, cache).result

    def answer(self, actor: Actor, warehouse: Warehouse, cache: QueryCache | None = None) -> Timed[R]:
        """Run for an actor: the role must have ``analytics.view``, the tenant must be theirs."""
        actor.require(Permission.ANALYTICS_VIEW)
        if actor.tenant_id != self.tenant_id:
            raise NotFound("tenant.not_found", "no such tenant")
        return self.run_timed(warehouse, cache)
