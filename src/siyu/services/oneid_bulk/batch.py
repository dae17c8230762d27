"""The batched resolver: the rule of :func:`siyu.services.oneid.resolve`, applied to a batch in
memory and written with bulk inserts.

:class:`BatchResolver` gives exactly the result of calling ``oneid.resolve`` (and, for imports,
``apply_in``, ``move_in`` and ``follow_in``) for each record in turn: the same customers with
the same profile, fields, ``added_at`` and merges (survivor by :func:`choose_survivor`, what
moved recorded for undo), the same identities, tags, relations, stage history and timeline
events, in the same order of ids. Every key of a batch is looked up in the database at once;
the customers they belong to are read as plain rows, and what a merge moves (their other
identities, relations, tags, timeline, stage history, orders and tracked events) only when one
is merged. Merges of customers known, customers created earlier in the batch, and rows naming
the same customer all happen in memory: nothing leaves the batched path.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from siyu.adapters.db.repositories.bulk import BulkRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import MergeCandidate, RelationState, choose_survivor
from siyu.domain.fields import CustomField, clean_values
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.tags import Stage
from siyu.domain.timeline import EventKind
from siyu.services import oneid
from siyu.services.oneid_bulk.resolver import Incoming

# The profile columns a merge may fill on the survivor: oneid's own list, so the rule stays one.
_FILLABLE = oneid._FILLABLE


@contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is resolved and written. A batch
    keeps hundreds of thousands of young objects alive (rows, records, pending rows), which
    makes the collector walk them over and over: 40-45% of an import's CPU time and a third
    of the demo load's (bench/README.md), for no garbage (rows hold no cycles; reference
    counting frees them)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True, eq=False)
class _Customer:
    id: int
    row: dict[str, Any]  # stored column values (gender as int)
    new: bool  # created in this batch (inserted at flush) rather than loaded
    identities: list[tuple[int, IdentityKey]] = field(default_factory=list)  # the database's are added by _full
    events: list[int] = field(default_factory=list)  # ids; the same
    stage_changes: list[int] = field(default_factory=list)  # the same
    orders: list[int] = field(default_factory=list)  # the same (no order is written in a batch)
    tracked: list[int] = field(default_factory=list)  # tracked events' ids: the same
    history_loaded: bool = False  # identities, events and stage_changes hold the database's too
    relations: list[_Relation] | None = None  # None: not read from the database yet
    tags: set[int] | None = None
    dirty: set[str] = field(default_factory=set)

    def set(self, at: datetime, **values: Any) -> None:
        self.row.update(values, updated_at=at)
        self.dirty.update(values, ("updated_at",))


@dataclass(slots=True, eq=False)
class _Relation:
    id: int
    staff_id: int
    state: str
    added_at: datetime


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == 0  # as oneid's: 0 is Gender.UNKNOWN; no id is 0


_KIND = {kind: kind.value for kind in IdentityKind}  # Enum .value is a slow property in Python 3.11
_EVENT = {kind: kind.value for kind in EventKind}
_ACTIVE = RelationState.ACTIVE.value


class BatchResolver:
    """Resolve a batch of records in memory, then write it with bulk inserts (see module doc).

    ``links=True`` (imports) reads the tags and relations of the known customers with the
    batch, for :meth:`tag` and :meth:`assign_owner`; otherwise they are read when needed."""

    def __init__(self, uow: SqlUnitOfWork, tenant_id: int, *, actor: str, bulk: BulkRepository | None = None,
                 links: bool = False) -> None:
        self.uow, self.tenant_id, self.actor, self.links = uow, tenant_id, actor, links
        self.bulk = bulk or BulkRepository(uow.session)
        self._definitions: dict[str, CustomField] | None = None
        self._reset()

    def _reset(self) -> None:
        self._customers: dict[int, _Customer] = {}
        self._created: list[_Customer] = []
        self._owner: dict[IdentityKey, int] = {}
        self._identity_rows: dict[int, dict[str, Any]] = {}
        self._event_rows: dict[int, dict[str, Any]] = {}
        self._relation_rows: dict[int, dict[str, Any]] = {}
        self._reactivated: dict[int, datetime] = {}  # relation id -> followed again at
        self._stage_rows: dict[int, dict[str, Any]] = {}
        self._tag_rows: dict[tuple[int, int], dict[str, Any]] = {}
        self._moves: dict[str, dict[int, int]] = {"customer_identities": {}, "timeline_events": {}, "staff_relations": {}, "stage_changes": {}}
        self._tag_moves: list[tuple[int, int, int]] = []
        self._merge_rows: list[dict[str, Any]] = []
        self._commerce_moves: list[tuple[list[int], list[int], int, datetime]] = []  # (orders, tracked events, to, at)
        self._payloads: dict[tuple[Any, ...], dict[str, Any]] = {}

    # the Resolver protocol
    def load(self, batch: Sequence[Incoming]) -> None:
        if self._definitions is None:
            self._definitions = self.uow.fields.all(self.tenant_id)
        self._load_known([k for item in batch for k in item.record.keys])
        self._read_history(self._merging(batch))

    def resolve_one(self, item: Incoming) -> oneid.Resolution:
        return self._resolve(item)

    def survivor_of(self, customer_id: int) -> int:
        current = self._customers.get(customer_id)
        while current is not None and current.row["merged_into_id"] is not None:
            customer_id = current.row["merged_into_id"]
            current = self._customers.get(customer_id)
        return customer_id

    def update_customer(self, customer_id: int, *, at: datetime, **values: Any) -> None:
        self._customers[customer_id].set(at, **values)

    def tag(self, customer_id: int, tag_ids: Sequence[int], *, labels: dict[int, str], source: str, at: datetime,
            timeline: bool = True) -> bool:
        state = self._links(self._customers[customer_id])
        assert state.tags is not None
        added = [t for t in dict.fromkeys(tag_ids) if t not in state.tags]
        for tag_id in added:
            self._tag_rows[(state.id, tag_id)] = {"tenant_id": self.tenant_id, "customer_id": state.id, "tag_id": tag_id,
                                                  "source": source, "applied_by": self.actor, "applied_at": at}
            state.tags.add(tag_id)
            if timeline:
                self._shared_event(state, EventKind.TAGGED, at, tag_id=tag_id, tag=labels[tag_id], source=source)
        return bool(added)

    def move_stage(self, customer_id: int, stage_id: int, *, stages: dict[int, Stage], at: datetime, timeline: bool = True) -> bool:
        state = self._customers[customer_id]
        before = state.row["stage_id"]
        if before == stage_id:
            return False
        change_id = self.bulk.new_id("stage_changes")
        self._stage_rows[change_id] = {"id": change_id, "tenant_id": self.tenant_id, "customer_id": state.id, "from_stage_id": before,
                                       "to_stage_id": stage_id, "actor": self.actor, "changed_at": at}
        state.stage_changes.append(change_id)
        state.set(at, stage_id=stage_id)
        if timeline:
            self._shared_event(state, EventKind.STAGE_CHANGED, at, before=stages[before].name if before in stages else None,
                               after=stages[stage_id].name)
        return True

    def assign_owner(self, customer_id: int, staff_id: int, *, at: datetime, timeline: bool = True) -> bool:
        state = self._links(self._customers[customer_id])
        assert state.relations is not None
        relation = next((r for r in state.relations if r.staff_id == staff_id), None)
        changed = relation is None or relation.state != _ACTIVE
        if relation is None:
            relation = _Relation(self.bulk.new_id("staff_relations"), staff_id, _ACTIVE, at)
            state.relations.append(relation)
            self._relation_rows[relation.id] = {
                "id": relation.id, "tenant_id": self.tenant_id, "customer_id": state.id, "staff_id": staff_id, "state": _ACTIVE,
                "added_at": at, "add_way": None, "channel_state": None, "remark": None, "description": None, "ended_at": None,
            }
        elif changed:
            relation.state, relation.added_at = _ACTIVE, at
            if relation.id in self._relation_rows:
                self._relation_rows[relation.id].update(state=_ACTIVE, added_at=at, ended_at=None, add_way=None, channel_state=None)
            else:
                self._reactivated[relation.id] = at
        if changed:
            if timeline:
                self._shared_event(state, EventKind.RELATION_ADDED, at, staff_id=staff_id, channel_state=None)
            if state.row["owner_staff_id"] is None:  # follow_in: a new follower owns an unowned customer
                state.set(at, owner_staff_id=staff_id)
        owner = state.row["owner_staff_id"]
        if owner == staff_id:
            return changed
        state.set(at, owner_staff_id=staff_id)
        self._event(state, EventKind.PROFILE_CHANGED, at, changes={"owner_staff_id": [owner, staff_id]})
        return True

    def flush(self) -> None:
        t = self.tenant_id
        bulk = self.bulk
        # merged_into_id is set afterwards: a customer may be merged into one inserted after it
        bulk.insert("customers", [c.row if c.row["merged_into_id"] is None else {**c.row, "merged_into_id": None} for c in self._created])
        updates = [{"id": c.id, "merged_into_id": c.row["merged_into_id"]} for c in self._created if c.row["merged_into_id"] is not None]
        updates += [{"id": c.id, **{k: c.row[k] for k in c.dirty}} for c in self._customers.values() if not c.new and c.dirty]
        bulk.update_by_id("customers", t, updates)
        bulk.insert("customer_identities", list(self._identity_rows.values()))
        bulk.insert("timeline_events", list(self._event_rows.values()))
        bulk.insert("staff_relations", list(self._relation_rows.values()))
        bulk.insert("stage_changes", list(self._stage_rows.values()))
        bulk.insert("customer_tags", list(self._tag_rows.values()))
        bulk.update_by_id("staff_relations", t, [
            {"id": i, "state": _ACTIVE, "added_at": at, "ended_at": None, "add_way": None, "channel_state": None}
            for i, at in self._reactivated.items()
        ])
        for table, moves in self._moves.items():
            bulk.update_by_id(table, t, [{"id": i, "customer_id": to} for i, to in moves.items()])
        bulk.move_customer_tags(t, self._tag_moves)
        bulk.insert("customer_merges", self._merge_rows)
        for order_ids, tracked_ids, to_customer, at in self._commerce_moves:  # in merge order: chains move on
            self.uow.orders.move(t, order_ids, to_customer, now=at)
            self.uow.events.move(t, tracked_ids, to_customer, now=at)
        bulk.release_ids()
        self._reset()

    # lookups
    def _load_known(self, keys: list[IdentityKey]) -> None:
        """Customers in the database holding any of ``keys``. Every key of the batch is looked up
        here, so ``_owner`` answers for all of them; a customer's other identities are read
        only if it is merged (:meth:`_full`)."""
        unknown = list({k for k in keys if k not in self._owner})
        owners = self.uow.identities.owners(self.tenant_id, unknown)
        self._owner.update({key: self.survivor_of(customer_id) for key, customer_id in owners.items()})
        ids = sorted({i for i in owners.values() if i not in self._customers})
        if not ids:
            return
        loaded = []
        for customer_id, row in self.bulk.customers_of(self.tenant_id, ids).items():
            state = _Customer(customer_id, row, new=False)
            self._customers[customer_id] = state
            loaded.append(state)
        if self.links:
            self._read_links(loaded)

    def _read_links(self, states: list[_Customer]) -> None:
        ids = [s.id for s in states]
        tags = self.uow.tags.tag_ids_of(self.tenant_id, ids)
        relations = self.bulk.relations_of(self.tenant_id, ids)
        for state in states:
            state.tags = tags[state.id]
            state.relations = [_Relation(*r) for r in relations.get(state.id, ())]

    def _links(self, state: _Customer) -> _Customer:
        if state.relations is None:
            self._read_links([state])
        return state

    def _full(self, state: _Customer) -> _Customer:
        """Load what a merge moves, for a customer from the database."""
        self._read_history([state])
        return state

    def _read_history(self, states: list[_Customer]) -> None:
        """What a merge moves (identities, relations, tags, timeline, stage history, orders,
        tracked events) for customers from the database, a few queries for all of them."""
        self._read_links([s for s in states if s.relations is None])
        states = [s for s in states if not s.history_loaded]
        if not states:
            return
        t, ids = self.tenant_id, [s.id for s in states]
        identities = self.bulk.identities_of(t, ids)
        events, stage_changes, orders, tracked = (self.bulk.ids_by_customer(table, t, ids)
                                                  for table in ("timeline_events", "stage_changes", "orders", "events"))
        for state in states:
            c = state.id
            state.identities = identities.get(c, []) + state.identities
            state.events = events.get(c, []) + state.events
            state.stage_changes = stage_changes.get(c, []) + state.stage_changes
            state.orders = orders.get(c, []) + state.orders
            state.tracked = tracked.get(c, []) + state.tracked
            state.history_loaded = True

    def _merging(self, batch: Sequence[Incoming]) -> list[_Customer]:
        """Customers from the database that a record of the batch merges for sure (its keys
        belong to two or more of them): their history is read for all of them at once."""
        found: dict[int, _Customer] = {}
        for item in batch:
            keys = item.record.keys
            if len(keys) > 1:
                owners = {self._owner[k] for k in keys if k in self._owner}
                if len(owners) > 1:
                    found.update((i, c) for i in owners if (c := self._customers.get(i)) is not None and not c.new)
        return list(found.values())

    # the rule, as oneid.resolve applies it
    def _resolve(self, item: Incoming) -> oneid.Resolution:
        keys = item.record.keys
        keys = sorted(set(keys)) if len(keys) > 1 else list(keys)
        owners = {k: self._owner[k] for k in keys if k in self._owner}
        matched = sorted(set(owners.values()))
        fields = self._clean_fields(item.record.fields) if item.fields is None else item.fields
        now, source = item.at, item.source
        if not matched:
            profile = item.record.profile.values()
            customer_id = self.bulk.new_id("customers")
            row = {"id": customer_id, "tenant_id": self.tenant_id, "name": profile.get("name", ""), "gender": int(profile.get("gender") or 0), "avatar": profile.get("avatar"),
                   "birthday": profile.get("birthday"), "region": profile.get("region"), "member_level": profile.get("member_level"), "stage_id": None, "owner_staff_id": None,
                   "fields": fields, "added_at": now, "merged_into_id": None, "created_at": now, "updated_at": now}
            state = _Customer(customer_id, row, new=True, history_loaded=True, relations=[], tags=set())
            self._customers[state.id] = state
            self._created.append(state)
            self._add_identities(state, keys, source, now)
            self._event(state, EventKind.CREATED, now, source=source, identities=[f"{_KIND[k.kind]}:{k.masked()}" for k in keys],
                        **(item.detail or {}))
            return oneid.Resolution(state.id, True, (), tuple(keys), True)

        survivor = self._customers[matched[0]]
        merged: list[int] = []
        if len(matched) > 1:
            shared = ", ".join(sorted({f"{_KIND[k.kind]}:{k.masked()}" for k in owners}))
            survivor, merged = self._merge_many([self._customers[i] for i in matched], f"a {source} record shares {shared}", now)
        new_keys = [k for k in keys if k not in owners]
        self._add_identities(survivor, new_keys, source, now)
        for key in new_keys:
            self._event(survivor, EventKind.IDENTITY_ADDED, now, kind=_KIND[key.kind], value=key.masked(), source=source)
        changed = self._apply_changes(survivor, item.record.profile.values(), fields, now)
        return oneid.Resolution(survivor.id, False, tuple(merged), tuple(new_keys), changed or bool(new_keys) or bool(merged))

    def _clean_fields(self, values: dict[str, Any]) -> dict[str, Any]:
        if not values:
            return {}
        assert self._definitions is not None
        return {k: v for k, v in clean_values(self._definitions, values, partial=True).items() if v is not None}

    def _add_identities(self, state: _Customer, keys: list[IdentityKey], source: str, now: datetime) -> None:
        for key in keys:
            identity_id = self.bulk.new_id("customer_identities")
            self._identity_rows[identity_id] = {
                "id": identity_id, "tenant_id": self.tenant_id, "customer_id": state.id, "kind": _KIND[key.kind],
                "value": key.value, "source": source, "created_at": now,
            }
            state.identities.append((identity_id, key))
            self._owner[key] = state.id

    def _event(self, state: _Customer, event: EventKind, at: datetime, /, **data: Any) -> None:
        self._event_with(state, event, at, data)

    def _shared_event(self, state: _Customer, event: EventKind, at: datetime, /, **data: Any) -> None:
        """An event whose data many customers repeat (the same tag, stage, follower): one dict
        for all of them, so the bulk insert serialises it once per batch."""
        self._event_with(state, event, at, self._payloads.setdefault((event, *data.values()), data))

    def _event_with(self, state: _Customer, event: EventKind, at: datetime, data: dict[str, Any]) -> None:
        event_id = self.bulk.new_id("timeline_events")
        self._event_rows[event_id] = {
            "id": event_id, "tenant_id": self.tenant_id, "customer_id": state.id, "kind": _EVENT[event], "occurred_at": at,
            "actor": self.actor, "data": data,
        }
        state.events.append(event_id)

    def _apply_changes(self, state: _Customer, profile: dict[str, Any], fields: dict[str, Any], now: datetime) -> bool:
        before = dict(state.row)
        stored = {k: int(v) if k == "gender" else v for k, v in profile.items()}
        changes = {k: v for k, v in stored.items() if before[k] != v}
        new_fields = {k: v for k, v in fields.items() if before["fields"].get(k) != v}
        if changes:
            state.set(now, **changes)
            self._event(state, EventKind.PROFILE_CHANGED, now, changes={k: [_jsonable(before[k]), _jsonable(v)] for k, v in changes.items()})
        if new_fields:
            state.set(now, fields={**before["fields"], **new_fields})
            self._event(state, EventKind.FIELDS_CHANGED, now, changes={k: [before["fields"].get(k), v] for k, v in new_fields.items()})
        return bool(changes or new_fields)

    def _merge_many(self, found: list[_Customer], reason: str, now: datetime) -> tuple[_Customer, list[int]]:
        chosen = choose_survivor([MergeCandidate(c.id, c.row["created_at"]) for c in found])
        survivor = self._customers[chosen.id]
        merged = sorted((c for c in found if c.id != chosen.id), key=lambda c: c.id)
        for customer in merged:
            self._merge_pair(survivor, customer, reason, now)
        return survivor, [c.id for c in merged]

    def _merge_pair(self, survivor: _Customer, merged: _Customer, reason: str, now: datetime) -> None:
        s, m = self._full(survivor), self._full(merged)
        assert s.relations is not None and m.relations is not None and s.tags is not None and m.tags is not None
        identities = sorted(m.identities, key=lambda pair: (_KIND[pair[1].kind], pair[0]))
        followed = {r.staff_id for r in s.relations}
        relations = [r for r in sorted(m.relations, key=lambda r: (r.added_at, r.id)) if r.staff_id not in followed]
        tag_ids = sorted(m.tags - s.tags)
        event_ids, stage_ids = list(m.events), list(m.stage_changes)
        order_ids, tracked_ids = list(m.orders), list(m.tracked)
        filled = {k: m.row[k] for k in _FILLABLE if _empty(s.row[k]) and not _empty(m.row[k])}
        fields_filled = {k: v for k, v in m.row["fields"].items() if k not in s.row["fields"]}
        earlier_added = m.row["added_at"] < s.row["added_at"]

        for identity_id, key in identities:
            self._move("customer_identities", self._identity_rows, identity_id, s.id)
            self._owner[key] = s.id
        s.identities += identities
        m.identities = []
        for relation in relations:
            self._move("staff_relations", self._relation_rows, relation.id, s.id)
        s.relations += relations
        m.relations = [r for r in m.relations if r not in relations]
        for tag_id in tag_ids:
            pending = self._tag_rows.pop((m.id, tag_id), None)
            if pending is None:
                self._tag_moves.append((m.id, s.id, tag_id))
            else:
                self._tag_rows[(s.id, tag_id)] = {**pending, "customer_id": s.id}
        s.tags |= set(tag_ids)
        m.tags -= set(tag_ids)
        for event_id in event_ids:
            self._move("timeline_events", self._event_rows, event_id, s.id)
        s.events += event_ids
        m.events = []
        for stage_change in stage_ids:
            self._move("stage_changes", self._stage_rows, stage_change, s.id)
        s.stage_changes += stage_ids
        m.stage_changes = []
        if order_ids or tracked_ids:
            self._commerce_moves.append((order_ids, tracked_ids, s.id, now))
        s.orders += order_ids
        s.tracked += tracked_ids
        m.orders, m.tracked = [], []

        updates: dict[str, Any] = dict(filled)
        if fields_filled:
            updates["fields"] = {**s.row["fields"], **fields_filled}
        if earlier_added:
            updates["added_at"] = m.row["added_at"]
        previous_added = s.row["added_at"]
        if updates:
            s.set(now, **updates)
        m.set(now, merged_into_id=s.id)

        moved = {
            "identities": [i for i, _ in identities], "relations": [r.id for r in relations], "tags": tag_ids,
            "timeline": event_ids, "stage_changes": stage_ids, "filled": {k: _jsonable(v) for k, v in filled.items()},
            "fields_filled": sorted(fields_filled), "added_at": previous_added.isoformat() if earlier_added else None,
        }
        moved.update({k: v for k, v in (("orders", order_ids), ("events", tracked_ids)) if v})  # as oneid.merge_pair
        merge_id = self.bulk.new_id("customer_merges")
        self._merge_rows.append({
            "id": merge_id, "tenant_id": self.tenant_id, "survivor_id": s.id, "merged_id": m.id, "reason": reason[:200],
            "actor": self.actor, "moved": moved, "created_at": now, "undone_at": None,
        })
        self._event(s, EventKind.MERGED, now, merge_id=merge_id, merged_id=m.id, reason=reason)

    def _move(self, table: str, pending: dict[int, dict[str, Any]], row_id: int, to_customer: int) -> None:
        if row_id in pending:
            pending[row_id]["customer_id"] = to_customer
        else:
            self._moves[table][row_id] = to_customer
