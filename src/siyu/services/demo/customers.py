"""The demo brand's customers, at any size, in one transaction.

People come from :mod:`siyu.services.demo.people` a batch at a time. Each batch's records go
through the OneID rule (:class:`~siyu.services.oneid_bulk.BatchResolver`, or ``oneid.resolve``
one by one with ``one_by_one=True``, the slow reference). Then what those people did is
written on the customers the records became: relations to guides with their channel (some
since deleted by either side), tags with their source, the lifecycle stage history, and the
matching timeline events, all with bulk inserts.

Relations, tags and stages are written after the batch's records are resolved, on the
surviving customer. A merge's record of what moved therefore lists identities and timeline
events, as a merge of freshly arrived records does.

For large brands the people are generated in a second process while this one resolves and
writes (the two take about as long as each other); the people are the same either way.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import queue
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from siyu.adapters.db.repositories.bulk import BulkRepository, JSONText
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import RelationState
from siyu.domain.timeline import EventKind
from siyu.services.demo import catalogue as cat
from siyu.services.demo.organisation import DemoOrganisation
from siyu.services.demo.people import SYSTEM, PeopleGenerator, Person
from siyu.services.oneid_bulk import BatchResolver, Resolver, SequentialResolver, resolve_all, without_cycle_collector
from siyu.services.clock import utcnow
from siyu.services.stages import ensure_default_stages
from siyu.services.tags import ensure_tag

BATCH_PEOPLE = 5_000
PARALLEL_FROM = 20_000  # from this many people on, a second process generates them
LOADED_TABLES = (
    "customers", "customer_identities", "customer_merges", "staff_relations", "customer_tags", "stage_changes", "timeline_events",
)


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    people: int
    records: int  # source records resolved
    customers: int  # live customers after OneID
    merged: int  # customers merged into another
    identities: int
    relations: int
    relations_ended: int
    tags_applied: int
    stage_changes: int
    timeline_events: int


def load_customers(
    uow: SqlUnitOfWork, organisation: DemoOrganisation, *, people: int, seed: int, today: date,
    one_by_one: bool = False, batch: int = BATCH_PEOPLE, progress: Callable[[int], None] | None = None,
) -> CustomerSummary:
    tenant_id = organisation.tenant_id
    with uow, without_cycle_collector():
        bulk = BulkRepository(uow.session)
        bulk.begin_load()
        loader = _Loader(uow, tenant_id, bulk, one_by_one=one_by_one)
        for group in generate_people(organisation, seed=seed, people=people, today=today, batch=batch, parallel=people >= PARALLEL_FROM):
            loader.load(group)
            if progress:
                progress(len(group))
        bulk.end_load(LOADED_TABLES)
        summary = CustomerSummary(
            people=people,
            records=loader.records,
            customers=bulk.count("customers", tenant_id, merged_into_id=None),
            merged=bulk.count("customers", tenant_id) - bulk.count("customers", tenant_id, merged_into_id=None),
            identities=bulk.count("customer_identities", tenant_id),
            relations=bulk.count("staff_relations", tenant_id),
            relations_ended=bulk.count("staff_relations", tenant_id) - bulk.count("staff_relations", tenant_id, state=RelationState.ACTIVE.value),
            tags_applied=bulk.count("customer_tags", tenant_id),
            stage_changes=bulk.count("stage_changes", tenant_id),
            timeline_events=bulk.count("timeline_events", tenant_id),
        )
        uow.commit()
    return summary


def generate_people(
    organisation: DemoOrganisation, *, seed: int, people: int, today: date, batch: int, parallel: bool
) -> Iterator[list[Person]]:
    """The people in batches, generated here or (``parallel``) in a child process."""
    if not parallel or "fork" not in multiprocessing.get_all_start_methods():
        yield from _batches(PeopleGenerator(organisation, seed=seed, people=people, today=today), batch)
        return
    # fork, not spawn: spawn re-runs the __main__ module (`python -m siyu` has no main guard).
    # The child only generates; it never touches the parent's database connection and ends
    # with os._exit, so nothing of that connection is closed or flushed twice.
    context = multiprocessing.get_context("fork")
    batches: Any = context.Queue(maxsize=4)
    child = context.Process(target=_generate_into, args=(batches, organisation, seed, people, today, batch), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = batches.get(timeout=5)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the process generating demo people died (exit code {child.exitcode})") from None
                continue
            if item is None:
                break
            if isinstance(item, str):
                raise RuntimeError(f"generating demo people failed: {item}")
            yield item
        child.join()
    finally:
        if child.is_alive():
            child.terminate()
            child.join()


def _generate_into(batches: Any, organisation: DemoOrganisation, seed: int, people: int, today: date, batch: int) -> None:
    gc.disable()  # see oneid_bulk.without_cycle_collector; this process ends when the people do
    try:
        for group in _batches(PeopleGenerator(organisation, seed=seed, people=people, today=today), batch):
            batches.put(group)
    except Exception as exc:  # reported to the parent, which raises it
        batches.put(f"{type(exc).__name__}: {exc}")
        return
    batches.put(None)


def _batches(people: Iterable[Person], size: int) -> Iterator[list[Person]]:
    pending: list[Person] = []
    for person in people:
        pending.append(person)
        if len(pending) == size:
            yield pending
            pending = []
    if pending:
        yield pending


class _Loader:
    def __init__(self, uow: SqlUnitOfWork, tenant_id: int, bulk: BulkRepository, *, one_by_one: bool) -> None:
        self.tenant_id, self.bulk = tenant_id, bulk
        self.stages = {s.name: s.id for s in ensure_default_stages(uow, tenant_id)}
        self.tags = {(g, n): ensure_tag(uow, tenant_id, g, n) for g, names in cat.TAG_GROUPS.items() for n in names}
        existing = uow.fields.all(tenant_id)
        for field in cat.FIELDS:
            if field.key not in existing:
                uow.fields.add(tenant_id, now=utcnow(), key=field.key, label=field.label, kind=field.kind.value,
                               options=list(field.options), required=False)
        self.resolver: Resolver = (
            SequentialResolver(uow, tenant_id, actor=SYSTEM) if one_by_one else BatchResolver(uow, tenant_id, actor=SYSTEM, bulk=bulk)
        )
        self.records = self.batches = 0
        self._payloads: dict[tuple[Any, ...], JSONText] = {}  # timeline data repeats: serialise each once

    def _payload(self, *key: Any, **data: Any) -> JSONText:
        found = self._payloads.get(key)
        if found is None:
            found = self._payloads[key] = JSONText(json.dumps(data))
        return found

    def load(self, people: list[Person]) -> None:
        order = sorted((r.at, p, i) for p, person in enumerate(people) for i, r in enumerate(person.records))
        resolved = resolve_all(self.resolver, [people[p].records[i] for _, p, i in order])
        self.records += len(order)
        became = {(p, i): customer_id for (_, p, i), customer_id in zip(order, resolved, strict=True)}
        relations: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        stages: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        t, payload = self.tenant_id, self._payload

        def event(customer_id: int, kind: EventKind, at: datetime, actor: str, data: JSONText) -> None:
            events.append({"tenant_id": t, "customer_id": customer_id, "kind": kind.value, "occurred_at": at, "actor": actor, "data": data})

        for p, person in enumerate(people):
            customer = self.resolver.survivor_of(became[(p, person.anchor)])
            for plan in person.relations:
                staff_id, channel_state = plan.guide.staff_id, plan.channel.state
                state, ended_at = plan.ended if plan.ended else (RelationState.ACTIVE, None)
                relations.append({
                    "tenant_id": t, "customer_id": customer, "staff_id": staff_id, "state": state.value,
                    "added_at": plan.at, "add_way": plan.channel.add_way, "channel_state": channel_state,
                    "remark": plan.remark, "description": None, "ended_at": ended_at,
                })
                event(customer, EventKind.RELATION_ADDED, plan.at, SYSTEM,
                      payload("added", staff_id, channel_state, staff_id=staff_id, channel_state=channel_state))
                if ended_at is not None:
                    event(customer, EventKind.RELATION_CHANGED, ended_at, SYSTEM,
                          payload("ended", staff_id, state, staff_id=staff_id, before=RelationState.ACTIVE.value, after=state.value))
            for tag_plan in person.tags:
                target = customer if tag_plan.record == person.anchor else self.resolver.survivor_of(became[(p, tag_plan.record)])
                tag = self.tags[(tag_plan.group, tag_plan.name)]
                tags.append({"tenant_id": t, "customer_id": target, "tag_id": tag.id, "source": tag_plan.source,
                             "applied_by": tag_plan.applied_by, "applied_at": tag_plan.at})
                event(target, EventKind.TAGGED, tag_plan.at, tag_plan.applied_by,
                      payload("tagged", tag.id, tag_plan.source, tag_id=tag.id, tag=tag.label, source=tag_plan.source))
            before: str | None = None
            for at, name, actor in person.stages:
                stages.append({"tenant_id": t, "customer_id": customer, "from_stage_id": self.stages[before] if before else None,
                               "to_stage_id": self.stages[name], "actor": actor, "changed_at": at})
                event(customer, EventKind.STAGE_CHANGED, at, actor, payload("stage", before, name, before=before, after=name))
                before = name
            values: dict[str, Any] = {"stage_id": self.stages[before]} if before else {}
            if person.relations:
                values["owner_staff_id"] = person.relations[0].guide.staff_id
            self.resolver.update_customer(customer, at=person.last_activity, **values)

        self.resolver.flush()
        self.bulk.insert("staff_relations", relations)
        self.bulk.insert("customer_tags", tags)
        self.bulk.insert("stage_changes", stages)
        self.bulk.insert("timeline_events", events)
        self.batches += 1
        if self.batches & (self.batches - 1) == 0:  # after batches 1, 2, 4, 8 ...: the tables doubled
            self.bulk.grown(LOADED_TABLES)
