"""Writing a batch of good import rows by the OneID rule, in a few statements per batch.

:func:`siyu.services.oneid.resolve` row by row is the rule; calling it for a million rows
costs a dozen queries each. Here every identity key of the batch is looked up in one pass,
and rows are split:

- *new*: no key is known -> customers, identities, tags, stage history, relations and
  timeline rows are inserted in bulk;
- *attach*: the keys lead to exactly one existing customer, which no other row of the batch
  touches -> the same changes ``resolve`` + tags + stage + owner would make, computed in
  Python against the customers read in one query, then written in bulk;
- *slow*: everything else (keys of several customers, i.e. a merge; a customer or a key that
  another row of the batch also touches) -> ``oneid.resolve`` and the single-row services,
  in row order. These rows share no customer and no key with the bulk rows, so the order
  between the two groups cannot change the result.

``tests/integration/test_import_equivalence.py`` imports one messy file both ways and compares.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from siyu.adapters.db.repositories.customer_batches import PROFILE_COLUMNS, CustomerBatchRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import Customer, Gender, RelationState, TagSource
from siyu.domain.identities import IdentityKey, IdentityKind, IdentitySource
from siyu.domain.import_columns import ImportRow
from siyu.domain.tags import Stage
from siyu.domain.timeline import EventKind
from siyu.services import oneid
from siyu.services.relations import follow_in
from siyu.services.stages import move_in
from siyu.services.tags import apply_in

SOURCE = IdentitySource.IMPORT.value
TAG_SOURCE = TagSource.IMPORT.value
_CHUNK = 500
# Enum members' .value is a slow property in Python 3.11; a million rows read it millions of times.
_KINDS = {kind: kind.value for kind in IdentityKind}
_EVENTS = {kind: kind.value for kind in EventKind}


@dataclass(frozen=True, slots=True)
class BatchContext:
    tenant_id: int
    actor: str
    now: datetime
    stages: dict[int, Stage]
    tag_labels: dict[int, str]


@dataclass(slots=True)
class BatchOutcome:
    created: int = 0
    updated: int = 0
    merged: int = 0


@dataclass(slots=True)
class _Changes:
    """What the batch's new and attached rows change, gathered for the bulk statements."""

    identities: list[tuple[int, str, str]] = field(default_factory=list)
    tags: list[tuple[int, int]] = field(default_factory=list)
    stage_changes: list[tuple[int, int | None, int]] = field(default_factory=list)
    new_relations: list[tuple[int, int]] = field(default_factory=list)
    reactivated: list[int] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # EVENT_COLUMNS
    shared: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)  # event data many rows repeat


def write_batch(uow: SqlUnitOfWork, ctx: BatchContext, rows: list[ImportRow], *, fast: bool = True) -> BatchOutcome:
    """Inside an open unit of work; the caller commits (or, for a dry run, does not)."""
    outcome = BatchOutcome()
    if not fast:
        for row in rows:
            _write_slowly(uow, ctx, row, outcome)
        return outcome
    batch = CustomerBatchRepository(uow.session)
    row_keys = [set(r.record.keys) for r in rows]
    owners = batch.owners(ctx.tenant_id, set().union(*row_keys))
    repeated = {k for k, uses in Counter(k for keys in row_keys for k in keys).items() if uses > 1}
    touched = [{owners[k] for k in keys if k in owners} if owners else set() for keys in row_keys]
    customer_uses = Counter(c for found in touched for c in found)
    new: list[ImportRow] = []
    attach: list[tuple[ImportRow, int]] = []
    slow: list[ImportRow] = []
    for row, keys, found in zip(rows, row_keys, touched, strict=True):
        if len(found) > 1 or any(customer_uses[c] > 1 for c in found) or (repeated and not repeated.isdisjoint(keys)):
            slow.append(row)
        elif found:
            attach.append((row, next(iter(found))))
        else:
            new.append(row)
    changes = _Changes()
    _create(batch, ctx, new, changes)
    outcome.created += len(new)
    outcome.updated += _attach(uow, ctx, attach, owners, changes)
    _flush(batch, ctx, changes)
    for row in slow:
        _write_slowly(uow, ctx, row, outcome)
    return outcome


def _create(batch: CustomerBatchRepository, ctx: BatchContext, rows: list[ImportRow], changes: _Changes) -> None:
    values = []
    for row in rows:
        profile = row.record.profile
        values.append((profile.name or "", int(profile.gender or Gender.UNKNOWN), profile.avatar, profile.birthday,
                       profile.region, row.fields, row.stage_id, row.owner_id))  # PROFILE_COLUMNS
    ids = batch.add_customers(ctx.tenant_id, values, now=ctx.now)
    for row, customer_id in zip(rows, ids, strict=True):
        keys = _sorted_keys(row)
        changes.identities.extend((customer_id, _KINDS[k.kind], k.value) for k in keys)
        changes.events.append(_event(ctx, customer_id, EventKind.CREATED, source=SOURCE,
                                     identities=[f"{_KINDS[k.kind]}:{k.masked()}" for k in keys]))
        _tag(ctx, customer_id, row.tag_ids, changes)
        if row.stage_id is not None:
            _stage(ctx, customer_id, None, row.stage_id, changes)
        if row.owner_id is not None:
            changes.new_relations.append((customer_id, row.owner_id))
            changes.events.append(_shared_event(ctx, changes, customer_id, EventKind.RELATION_ADDED, staff_id=row.owner_id, channel_state=None))


def _attach(uow: SqlUnitOfWork, ctx: BatchContext, rows: list[tuple[ImportRow, int]], owners: dict[IdentityKey, int], changes: _Changes) -> int:
    """What ``oneid.resolve`` + ``apply_in`` + ``move_in`` + ``follow_in`` do for a row whose keys
    lead to one customer; returns how many customers changed."""
    ids = [customer_id for _, customer_id in rows]
    current: dict[int, Customer] = {}
    for start in range(0, len(ids), _CHUNK):
        current.update({c.id: c for c in uow.customers.many(ctx.tenant_id, ids[start : start + _CHUNK])})
    applied = uow.tags.tag_ids_of(ctx.tenant_id, ids)
    relations = CustomerBatchRepository(uow.session).relations(
        ctx.tenant_id, [(customer_id, row.owner_id) for row, customer_id in rows if row.owner_id is not None]
    )
    updated = 0
    for row, customer_id in rows:
        customer = current[customer_id]
        before = len(changes.identities) + len(changes.tags) + len(changes.stage_changes) + len(changes.events)
        new_keys = [k for k in _sorted_keys(row) if k not in owners]
        for key in new_keys:
            changes.identities.append((customer_id, key.kind.value, key.value))
            changes.events.append(_event(ctx, customer_id, EventKind.IDENTITY_ADDED, kind=key.kind.value, value=key.masked(), source=SOURCE))
        values = {name: getattr(customer, name) for name in PROFILE_COLUMNS}
        profile = {k: v for k, v in row.record.profile.values().items() if getattr(customer, k) != v}
        fields = {k: v for k, v in row.fields.items() if customer.fields.get(k) != v}
        if profile:
            values.update(profile)
            changes.events.append(_event(ctx, customer_id, EventKind.PROFILE_CHANGED,
                                         changes={k: [_jsonable(getattr(customer, k)), _jsonable(v)] for k, v in profile.items()}))
        if fields:
            values["fields"] = {**customer.fields, **fields}
            changes.events.append(_event(ctx, customer_id, EventKind.FIELDS_CHANGED,
                                         changes={k: [customer.fields.get(k), v] for k, v in fields.items()}))
        _tag(ctx, customer_id, tuple(t for t in row.tag_ids if t not in applied[customer_id]), changes)
        if row.stage_id is not None and row.stage_id != customer.stage_id:
            values["stage_id"] = row.stage_id
            _stage(ctx, customer_id, customer.stage_id, row.stage_id, changes)
        if row.owner_id is not None:
            _follow(ctx, customer, row.owner_id, relations.get((customer_id, row.owner_id)), values, changes)
        after = len(changes.identities) + len(changes.tags) + len(changes.stage_changes) + len(changes.events)
        if values != {name: getattr(customer, name) for name in PROFILE_COLUMNS}:
            values["id"] = customer_id
            values["gender"] = int(values["gender"])
            changes.updates.append(values)
        if after != before or "id" in values:
            updated += 1
    return updated


def _follow(ctx: BatchContext, customer: Customer, staff_id: int, relation: tuple[int, RelationState] | None,
            values: dict[str, Any], changes: _Changes) -> None:
    owner = customer.owner_staff_id
    if relation is None or relation[1] is not RelationState.ACTIVE:
        if relation is None:
            changes.new_relations.append((customer.id, staff_id))
        else:
            changes.reactivated.append(relation[0])
        changes.events.append(_shared_event(ctx, changes, customer.id, EventKind.RELATION_ADDED, staff_id=staff_id, channel_state=None))
        owner = staff_id if owner is None else owner  # follow_in makes a new follower the owner of an unowned customer
    if owner != staff_id:
        changes.events.append(_event(ctx, customer.id, EventKind.PROFILE_CHANGED, changes={"owner_staff_id": [owner, staff_id]}))
    values["owner_staff_id"] = staff_id


def _tag(ctx: BatchContext, customer_id: int, tag_ids: tuple[int, ...], changes: _Changes) -> None:
    for tag_id in tag_ids:
        changes.tags.append((customer_id, tag_id))
        changes.events.append(_shared_event(ctx, changes, customer_id, EventKind.TAGGED, tag_id=tag_id, tag=ctx.tag_labels[tag_id], source=TAG_SOURCE))


def _stage(ctx: BatchContext, customer_id: int, from_id: int | None, to_id: int, changes: _Changes) -> None:
    changes.stage_changes.append((customer_id, from_id, to_id))
    before = ctx.stages[from_id].name if from_id in ctx.stages else None
    changes.events.append(_shared_event(ctx, changes, customer_id, EventKind.STAGE_CHANGED, before=before, after=ctx.stages[to_id].name))


def _event(ctx: BatchContext, customer_id: int, event: EventKind, /, **data: Any) -> tuple[Any, ...]:
    return _event_with(ctx, customer_id, event, data)


def _shared_event(ctx: BatchContext, changes: _Changes, customer_id: int, event: EventKind, /, **data: Any) -> tuple[Any, ...]:
    """An event whose data many rows repeat (the same tag, stage, owner): one dict for all of
    them, so it is serialised to JSON once per batch."""
    return _event_with(ctx, customer_id, event, changes.shared.setdefault((event, *data.values()), data))


def _event_with(ctx: BatchContext, customer_id: int, event: EventKind, data: dict[str, Any]) -> tuple[Any, ...]:
    return (ctx.tenant_id, customer_id, _EVENTS[event], ctx.now, ctx.actor, data)  # EVENT_COLUMNS


def _sorted_keys(row: ImportRow) -> list[IdentityKey]:
    """The row's keys in the order ``oneid.resolve`` writes them (sorted, no repeats)."""
    keys = row.record.keys
    return list(keys) if len(keys) == 1 else sorted(set(keys), key=lambda k: (_KINDS[k.kind], k.value))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _flush(batch: CustomerBatchRepository, ctx: BatchContext, changes: _Changes) -> None:
    batch.update_customers(ctx.tenant_id, changes.updates, now=ctx.now)
    batch.add_identities(ctx.tenant_id, changes.identities, source=SOURCE, now=ctx.now)
    batch.add_tags(ctx.tenant_id, changes.tags, source=TAG_SOURCE, applied_by=ctx.actor, now=ctx.now)
    batch.add_stage_changes(ctx.tenant_id, changes.stage_changes, actor=ctx.actor, now=ctx.now)
    batch.add_relations(ctx.tenant_id, changes.new_relations, at=ctx.now)
    batch.reactivate_relations(ctx.tenant_id, changes.reactivated, at=ctx.now)
    batch.add_events(changes.events)


def _write_slowly(uow: SqlUnitOfWork, ctx: BatchContext, row: ImportRow, outcome: BatchOutcome) -> None:
    """The reference: the single-row services every write path uses."""
    resolution = oneid.resolve(uow, ctx.tenant_id, row.record, source=SOURCE, actor=ctx.actor, now=ctx.now)
    customer_id = resolution.customer_id
    changed = resolution.changed
    if row.tag_ids:
        changed |= apply_in(uow, ctx.tenant_id, {customer_id: list(row.tag_ids)}, add=True, source=TAG_SOURCE, actor=ctx.actor) > 0
    if row.stage_id is not None:
        customer = uow.customers.get_any(ctx.tenant_id, customer_id)
        assert customer is not None
        changed |= move_in(uow, ctx.tenant_id, customer, row.stage_id, ctx.stages, actor=ctx.actor)
    if row.owner_id is not None:
        changed |= follow_in(uow, ctx.tenant_id, customer_id, row.owner_id, at=ctx.now, actor=ctx.actor)
        customer = uow.customers.get_any(ctx.tenant_id, customer_id)
        assert customer is not None
        if customer.owner_staff_id != row.owner_id:
            uow.customers.update(ctx.tenant_id, customer_id, now=ctx.now, owner_staff_id=row.owner_id)
            uow.timeline.add(ctx.tenant_id, customer_id, EventKind.PROFILE_CHANGED, actor=ctx.actor, at=ctx.now,
                             changes={"owner_staff_id": [customer.owner_staff_id, row.owner_id]})
            changed = True
    if resolution.created:
        outcome.created += 1
    elif changed:
        outcome.updated += 1
    outcome.merged += len(resolution.merged_ids)
