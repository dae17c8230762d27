"""OneID for records by the hundred thousand: the rule of :func:`siyu.services.oneid.resolve`,
applied to a batch in memory and written with bulk inserts.

:class:`BatchResolver` gives exactly the result of calling ``oneid.resolve`` for each record in
turn (``now`` and ``added_at`` = the record's ``at``): the same customers with the same
profile, fields, ``added_at`` and merges (survivor by :func:`choose_survivor`, what moved
recorded for undo), the same identities and the same timeline events, in the same order of
ids. Keys already in the database are looked up a batch at a time, and customers they
belong to are merged exactly as ``resolve`` would merge them (their relations, tags, timeline
and stage history move too). :class:`SequentialResolver` is that reference: ``resolve`` one
record at a time. A test builds the same brand both ways and compares them row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from siyu.adapters.db.repositories.bulk import BulkRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import Customer, CustomerRecord, MergeCandidate, choose_survivor
from siyu.domain.fields import CustomField, clean_values
from siyu.domain.identities import IdentityKey
from siyu.domain.timeline import EventKind
from siyu.services import oneid

# The profile columns a merge may fill on the survivor: oneid's own list, so the rule stays one.
_FILLABLE = oneid._FILLABLE


@dataclass(frozen=True, slots=True)
class Incoming:
    """One record about a person, as it arrived: from ``source`` at ``at``."""

    record: CustomerRecord
    source: str
    at: datetime


class Resolver(Protocol):
    def resolve(self, batch: Sequence[Incoming]) -> list[int]:
        """The customer each record resolved to, at the moment it was resolved."""

    def survivor_of(self, customer_id: int) -> int:
        """The live customer that ``customer_id`` is now (itself unless merged away)."""

    def update_customer(self, customer_id: int, *, at: datetime, **values: Any) -> None:
        """Set columns of a customer resolved in this batch (owner, stage ...)."""

    def flush(self) -> None:
        """Write everything pending."""


class SequentialResolver:
    """The reference: :func:`oneid.resolve` for each record, in order."""

    def __init__(self, uow: SqlUnitOfWork, tenant_id: int, *, actor: str) -> None:
        self.uow, self.tenant_id, self.actor = uow, tenant_id, actor

    def resolve(self, batch: Sequence[Incoming]) -> list[int]:
        return [
            oneid.resolve(self.uow, self.tenant_id, item.record, source=item.source, actor=self.actor, now=item.at, added_at=item.at).customer_id
            for item in batch
        ]

    def survivor_of(self, customer_id: int) -> int:
        found = self.uow.customers.survivor_of(self.tenant_id, customer_id)
        assert found is not None
        return found

    def update_customer(self, customer_id: int, *, at: datetime, **values: Any) -> None:
        self.uow.customers.update(self.tenant_id, customer_id, now=at, **values)

    def flush(self) -> None:
        """Nothing is pending: ``resolve`` wrote each record as it went."""


@dataclass(slots=True, eq=False)
class _Customer:
    id: int
    row: dict[str, Any]  # stored column values (gender as int)
    new: bool  # created in this batch (inserted at flush) rather than loaded
    identities: list[tuple[int, IdentityKey]] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    relations: list[tuple[int, int]] | None = None  # (relation id, staff id) by added_at, id
    tags: set[int] | None = None
    stage_changes: list[int] | None = None
    dirty: set[str] = field(default_factory=set)

    def set(self, at: datetime, **values: Any) -> None:
        self.row.update(values, updated_at=at)
        self.dirty.update(values, ("updated_at",))


def _row_of(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name, "gender": int(customer.gender), "avatar": customer.avatar, "birthday": customer.birthday,
        "region": customer.region, "stage_id": customer.stage_id, "owner_staff_id": customer.owner_staff_id,
        "fields": dict(customer.fields), "added_at": customer.added_at, "merged_into_id": customer.merged_into_id,
        "created_at": customer.created_at, "updated_at": customer.updated_at,
    }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == 0  # as oneid's: 0 is Gender.UNKNOWN; no id is 0


class BatchResolver:
    """Resolve a batch of records in memory, then write it with bulk inserts (see module doc)."""

    def __init__(self, uow: SqlUnitOfWork, tenant_id: int, *, actor: str, bulk: BulkRepository | None = None) -> None:
        self.uow, self.tenant_id, self.actor = uow, tenant_id, actor
        self.bulk = bulk or BulkRepository(uow.session)
        self._definitions: dict[str, CustomField] | None = None
        self._reset()

    def _reset(self) -> None:
        self._customers: dict[int, _Customer] = {}
        self._created: list[_Customer] = []
        self._owner: dict[IdentityKey, int] = {}
        self._identity_rows: dict[int, dict[str, Any]] = {}
        self._event_rows: dict[int, dict[str, Any]] = {}
        self._moves: dict[str, dict[int, int]] = {"customer_identities": {}, "timeline_events": {}, "staff_relations": {}, "stage_changes": {}}
        self._tag_moves: list[tuple[int, int, int]] = []
        self._merge_rows: list[dict[str, Any]] = []

    # the Resolver protocol
    def resolve(self, batch: Sequence[Incoming]) -> list[int]:
        if self._definitions is None:
            self._definitions = self.uow.fields.all(self.tenant_id)
        self._load_known([k for item in batch for k in item.record.keys])
        return [self._resolve(item) for item in batch]

    def survivor_of(self, customer_id: int) -> int:
        current = self._customers.get(customer_id)
        while current is not None and current.row["merged_into_id"] is not None:
            customer_id = current.row["merged_into_id"]
            current = self._customers.get(customer_id)
        return customer_id

    def update_customer(self, customer_id: int, *, at: datetime, **values: Any) -> None:
        self._customers[customer_id].set(at, **values)

    def flush(self) -> None:
        t = self.tenant_id
        bulk = self.bulk
        bulk.insert("customers", [{"id": c.id, "tenant_id": t, **c.row, "merged_into_id": None} for c in self._created])
        updates = [{"id": c.id, "merged_into_id": c.row["merged_into_id"]} for c in self._created if c.row["merged_into_id"] is not None]
        updates += [{"id": c.id, **{k: c.row[k] for k in c.dirty}} for c in self._customers.values() if not c.new and c.dirty]
        bulk.update_by_id("customers", t, updates)
        bulk.insert("customer_identities", list(self._identity_rows.values()))
        bulk.insert("timeline_events", list(self._event_rows.values()))
        for table, moves in self._moves.items():
            bulk.update_by_id(table, t, [{"id": i, "customer_id": to} for i, to in moves.items()])
        bulk.move_customer_tags(t, self._tag_moves)
        bulk.insert("customer_merges", self._merge_rows)
        bulk.release_ids()
        self._reset()

    # lookups
    def _load_known(self, keys: list[IdentityKey]) -> None:
        """Customers in the database holding any of ``keys``, with all their identities."""
        unknown = list({k for k in keys if k not in self._owner})
        owners = self.bulk.owners(self.tenant_id, unknown)
        ids = sorted({i for i in owners.values() if i not in self._customers})
        if not ids:
            return
        identities = self.uow.identities.for_customers(self.tenant_id, ids)
        for customer in self.uow.customers.many(self.tenant_id, ids):
            state = _Customer(customer.id, _row_of(customer), new=False)
            state.identities = [(i.id, i.key) for i in identities[customer.id]]
            self._customers[customer.id] = state
            for _, key in state.identities:
                self._owner[key] = customer.id

    def _full(self, state: _Customer) -> _Customer:
        """Load what a merge moves, for a customer from the database."""
        if state.relations is None:
            t, c = self.tenant_id, state.id
            state.relations = [(r.id, r.staff_id) for r in self.uow.relations.for_customer(t, c)]
            state.tags = self.uow.tags.tag_ids_of(t, [c])[c]
            state.events = sorted(self.uow.timeline.ids_for(t, c)) + state.events
            state.stage_changes = self.uow.stages.history_ids(t, c)
        return state

    # the rule, as oneid.resolve applies it
    def _resolve(self, item: Incoming) -> int:
        keys = sorted(set(item.record.keys))
        owners = {k: self._owner[k] for k in keys if k in self._owner}
        matched = sorted(set(owners.values()))
        fields = self._clean_fields(item.record.fields)
        now, source = item.at, item.source
        if not matched:
            profile = item.record.profile.values()
            row = {"name": profile.get("name", ""), "gender": int(profile.get("gender") or 0), "avatar": profile.get("avatar"),
                   "birthday": profile.get("birthday"), "region": profile.get("region"), "stage_id": None, "owner_staff_id": None,
                   "fields": fields, "added_at": now, "merged_into_id": None, "created_at": now, "updated_at": now}
            state = _Customer(self.bulk.new_id("customers"), row, new=True, relations=[], tags=set(), stage_changes=[])
            self._customers[state.id] = state
            self._created.append(state)
            self._add_identities(state, keys, source, now)
            self._event(state, EventKind.CREATED, now, source=source, identities=[f"{k.kind.value}:{k.masked()}" for k in keys])
            return state.id

        survivor = self._customers[matched[0]]
        if len(matched) > 1:
            shared = ", ".join(sorted({f"{k.kind.value}:{k.masked()}" for k in owners}))
            survivor = self._merge_many([self._customers[i] for i in matched], f"a {source} record shares {shared}", now)
        new_keys = [k for k in keys if k not in owners]
        self._add_identities(survivor, new_keys, source, now)
        for key in new_keys:
            self._event(survivor, EventKind.IDENTITY_ADDED, now, kind=key.kind.value, value=key.masked(), source=source)
        self._apply_changes(survivor, item.record.profile.values(), fields, now)
        return survivor.id

    def _clean_fields(self, values: dict[str, Any]) -> dict[str, Any]:
        if not values:
            return {}
        assert self._definitions is not None
        return {k: v for k, v in clean_values(self._definitions, values, partial=True).items() if v is not None}

    def _add_identities(self, state: _Customer, keys: list[IdentityKey], source: str, now: datetime) -> None:
        for key in keys:
            identity_id = self.bulk.new_id("customer_identities")
            self._identity_rows[identity_id] = {
                "id": identity_id, "tenant_id": self.tenant_id, "customer_id": state.id, "kind": key.kind.value,
                "value": key.value, "source": source, "created_at": now,
            }
            state.identities.append((identity_id, key))
            self._owner[key] = state.id

    def _event(self, state: _Customer, event: EventKind, at: datetime, /, **data: Any) -> None:
        event_id = self.bulk.new_id("timeline_events")
        self._event_rows[event_id] = {
            "id": event_id, "tenant_id": self.tenant_id, "customer_id": state.id, "kind": event.value, "occurred_at": at,
            "actor": self.actor, "data": data,
        }
        state.events.append(event_id)

    def _apply_changes(self, state: _Customer, profile: dict[str, Any], fields: dict[str, Any], now: datetime) -> None:
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

    def _merge_many(self, found: list[_Customer], reason: str, now: datetime) -> _Customer:
        chosen = choose_survivor([MergeCandidate(c.id, c.row["created_at"]) for c in found])
        survivor = self._customers[chosen.id]
        for merged in sorted((c for c in found if c.id != chosen.id), key=lambda c: c.id):
            self._merge_pair(survivor, merged, reason, now)
        return survivor

    def _merge_pair(self, survivor: _Customer, merged: _Customer, reason: str, now: datetime) -> None:
        s, m = self._full(survivor), self._full(merged)
        assert s.relations is not None and m.relations is not None and s.tags is not None and m.tags is not None
        assert m.stage_changes is not None and s.stage_changes is not None
        identities = sorted(m.identities, key=lambda pair: (pair[1].kind.value, pair[0]))
        followed = {staff_id for _, staff_id in s.relations}
        relations = [r for r in m.relations if r[1] not in followed]
        tag_ids = sorted(m.tags - s.tags)
        event_ids, stage_ids = list(m.events), list(m.stage_changes)
        filled = {k: m.row[k] for k in _FILLABLE if _empty(s.row[k]) and not _empty(m.row[k])}
        fields_filled = {k: v for k, v in m.row["fields"].items() if k not in s.row["fields"]}
        earlier_added = m.row["added_at"] < s.row["added_at"]

        for identity_id, key in identities:
            self._move("customer_identities", self._identity_rows, identity_id, s.id)
            self._owner[key] = s.id
        s.identities += identities
        m.identities = []
        for relation in relations:
            self._moves["staff_relations"][relation[0]] = s.id
        s.relations += relations
        m.relations = [r for r in m.relations if r not in relations]
        self._tag_moves += [(m.id, s.id, tag) for tag in tag_ids]
        s.tags |= set(tag_ids)
        m.tags -= set(tag_ids)
        for event_id in event_ids:
            self._move("timeline_events", self._event_rows, event_id, s.id)
        s.events += event_ids
        m.events = []
        for stage_change in stage_ids:
            self._moves["stage_changes"][stage_change] = s.id
        s.stage_changes += stage_ids
        m.stage_changes = []

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
            "identities": [i for i, _ in identities], "relations": [r for r, _ in relations], "tags": tag_ids,
            "timeline": event_ids, "stage_changes": stage_ids, "filled": {k: _jsonable(v) for k, v in filled.items()},
            "fields_filled": sorted(fields_filled), "added_at": previous_added.isoformat() if earlier_added else None,
        }
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
