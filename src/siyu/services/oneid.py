"""OneID: every write path resolves a person's identities the same way.

- A record whose keys match no customer creates one.
- A record whose keys match one customer attaches to it (new keys added, profile updated).
- A record whose keys match several customers merges them into one survivor first.

The survivor rule lives in :func:`siyu.domain.customers.choose_survivor` (the customer known
longest). Every merge records exactly what moved, so :func:`undo_merge` can put it back.
These functions run inside a unit of work the caller has opened; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.customers import Customer, CustomerRecord, MergeCandidate, choose_survivor
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.fields import clean_values
from siyu.domain.identities import IdentityKey
from siyu.domain.timeline import EventKind

# Profile columns a merge may fill on the survivor when the survivor has none.
_FILLABLE = ("name", "gender", "avatar", "birthday", "region", "member_level", "stage_id", "owner_staff_id")


@dataclass(frozen=True, slots=True)
class Resolution:
    customer_id: int
    created: bool
    merged_ids: tuple[int, ...]
    keys_added: tuple[IdentityKey, ...]
    changed: bool


def resolve(
    uow: SqlUnitOfWork, tenant_id: int, record: CustomerRecord, *, source: str, actor: str, now: datetime,
    added_at: datetime | None = None, detail: Mapping[str, Any] | None = None,
) -> Resolution:
    """Create, attach or merge. ``detail`` is added to the CREATED event's data when the record
    creates a customer (an import says there what the row applied: tags, stage, owner, fields)."""
    keys = sorted(set(record.keys))
    owners = uow.identities.owners(tenant_id, keys)
    matched = sorted(set(owners.values()))
    fields = _clean_fields(uow, tenant_id, record.fields) if record.fields else {}
    if not matched:
        profile = record.profile.values()
        customer_id = uow.customers.add(tenant_id, now=now, added_at=added_at, fields=fields, **profile)
        uow.identities.add(tenant_id, customer_id, keys, source=source, now=now)
        uow.timeline.add(
            tenant_id, customer_id, EventKind.CREATED, actor=actor, at=now, source=source,
            identities=[f"{k.kind.value}:{k.masked()}" for k in keys], **(detail or {}),
        )
        return Resolution(customer_id, True, (), tuple(keys), True)

    survivor_id = matched[0]
    merged: list[int] = []
    if len(matched) > 1:
        shared = ", ".join(sorted({f"{k.kind.value}:{k.masked()}" for k in owners}))
        survivor_id, merged = merge_many(uow, tenant_id, matched, reason=f"a {source} record shares {shared}", actor=actor, now=now)
    new_keys = [k for k in keys if k not in owners]
    uow.identities.add(tenant_id, survivor_id, new_keys, source=source, now=now)
    for key in new_keys:
        uow.timeline.add(tenant_id, survivor_id, EventKind.IDENTITY_ADDED, actor=actor, at=now, kind=key.kind.value, value=key.masked(), source=source)
    changed = apply_changes(uow, tenant_id, survivor_id, record.profile.values(), fields, actor=actor, now=now)
    return Resolution(survivor_id, False, tuple(merged), tuple(new_keys), changed or bool(new_keys) or bool(merged))


def _clean_fields(uow: SqlUnitOfWork, tenant_id: int, values: dict[str, Any]) -> dict[str, Any]:
    cleaned = clean_values(uow.fields.all(tenant_id), values, partial=True)
    return {k: v for k, v in cleaned.items() if v is not None}


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def apply_changes(
    uow: SqlUnitOfWork, tenant_id: int, customer_id: int, profile: dict[str, Any], fields: dict[str, Any], *, actor: str, now: datetime
) -> bool:
    """Newer non-empty values win; each change goes on the timeline with before and after."""
    current = uow.customers.get_any(tenant_id, customer_id)
    assert current is not None
    changes = {k: v for k, v in profile.items() if getattr(current, k) != v}
    new_fields = {k: v for k, v in fields.items() if current.fields.get(k) != v}
    if changes:
        uow.customers.update(tenant_id, customer_id, now=now, **changes)
        uow.timeline.add(
            tenant_id, customer_id, EventKind.PROFILE_CHANGED, actor=actor, at=now,
            changes={k: [_jsonable(getattr(current, k)), _jsonable(v)] for k, v in changes.items()},
        )
    if new_fields:
        uow.customers.update(tenant_id, customer_id, now=now, fields={**current.fields, **new_fields})
        uow.timeline.add(
            tenant_id, customer_id, EventKind.FIELDS_CHANGED, actor=actor, at=now,
            changes={k: [current.fields.get(k), v] for k, v in new_fields.items()},
        )
    return bool(changes or new_fields)


def merge_many(uow: SqlUnitOfWork, tenant_id: int, ids: list[int], *, reason: str, actor: str, now: datetime) -> tuple[int, list[int]]:
    found = uow.customers.many(tenant_id, ids)
    survivor = choose_survivor([MergeCandidate(c.id, c.created_at) for c in found])
    merged = sorted(c.id for c in found if c.id != survivor.id)
    for merged_id in merged:
        merge_pair(uow, tenant_id, survivor.id, merged_id, reason=reason, actor=actor, now=now)
    return survivor.id, merged


def merge_pair(uow: SqlUnitOfWork, tenant_id: int, survivor_id: int, merged_id: int, *, reason: str, actor: str, now: datetime) -> int:
    """Move everything of ``merged_id`` onto ``survivor_id`` and remember what moved."""
    survivor = uow.customers.get_any(tenant_id, survivor_id)
    merged = uow.customers.get_any(tenant_id, merged_id)
    if survivor is None or merged is None:
        raise NotFound("customer.not_found", "no such customer")
    if survivor_id == merged_id or survivor.merged_into_id is not None or merged.merged_into_id is not None:
        raise Conflict("merge.not_mergeable", "only two different customers that are not merged already can be merged")

    identity_ids = [i.id for i in uow.identities.for_customer(tenant_id, merged_id)]
    followed = {r.staff_id for r in uow.relations.for_customer(tenant_id, survivor_id)}
    relation_ids = [r.id for r in uow.relations.for_customer(tenant_id, merged_id) if r.staff_id not in followed]
    tag_sets = uow.tags.tag_ids_of(tenant_id, [survivor_id, merged_id])
    tag_ids = sorted(tag_sets[merged_id] - tag_sets[survivor_id])
    event_ids = uow.timeline.ids_for(tenant_id, merged_id)
    stage_ids = uow.stages.history_ids(tenant_id, merged_id)
    order_ids = uow.orders.ids_for_customer(tenant_id, merged_id)
    tracked_ids = uow.events.ids_for_customer(tenant_id, merged_id)
    filled = {k: getattr(merged, k) for k in _FILLABLE if _empty(getattr(survivor, k)) and not _empty(getattr(merged, k))}
    fields_filled = {k: v for k, v in merged.fields.items() if k not in survivor.fields}
    earlier_added = merged.added_at < survivor.added_at

    uow.identities.move(tenant_id, identity_ids, survivor_id)
    uow.relations.move(tenant_id, relation_ids, survivor_id)
    uow.tags.move(tenant_id, merged_id, survivor_id, tag_ids)
    uow.timeline.move(tenant_id, event_ids, survivor_id)
    uow.stages.move_history(tenant_id, stage_ids, survivor_id)
    uow.orders.move(tenant_id, order_ids, survivor_id, now=now)
    uow.events.move(tenant_id, tracked_ids, survivor_id, now=now)
    updates: dict[str, Any] = dict(filled)
    if fields_filled:
        updates["fields"] = {**survivor.fields, **fields_filled}
    if earlier_added:
        updates["added_at"] = merged.added_at
    if updates:
        uow.customers.update(tenant_id, survivor_id, now=now, **updates)
    uow.customers.update(tenant_id, merged_id, now=now, merged_into_id=survivor_id)

    moved = {
        "identities": identity_ids, "relations": relation_ids, "tags": tag_ids, "timeline": event_ids,
        "stage_changes": stage_ids, "filled": {k: _jsonable(v) for k, v in filled.items()},
        "fields_filled": sorted(fields_filled), "added_at": survivor.added_at.isoformat() if earlier_added else None,
    }
    moved.update({k: v for k, v in (("orders", order_ids), ("events", tracked_ids)) if v})  # only when there are: as bulk merges
    merge_id = uow.merges.add(tenant_id, survivor_id=survivor_id, merged_id=merged_id, reason=reason, actor=actor, moved=moved, now=now)
    uow.timeline.add(tenant_id, survivor_id, EventKind.MERGED, actor=actor, at=now, merge_id=merge_id, merged_id=merged_id, reason=reason)
    return merge_id


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == 0  # 0 is Gender.UNKNOWN; no id is 0


def undo_merge(uow: SqlUnitOfWork, tenant_id: int, merge_id: int, *, actor: str, now: datetime) -> Customer:
    """Put back exactly what the merge moved; values edited since the merge are kept."""
    record = uow.merges.get(tenant_id, merge_id)
    if record is None:
        raise NotFound("merge.not_found", "no such merge")
    if record.undone_at is not None:
        raise Conflict("merge.undone_already", "this merge was undone already")
    survivor = uow.customers.get_any(tenant_id, record.survivor_id)
    merged = uow.customers.get_any(tenant_id, record.merged_id)
    assert survivor is not None and merged is not None
    if survivor.merged_into_id is not None:
        raise Conflict("merge.merged_again", "customer %(id)s was merged again since; undo that merge first", id=survivor.id)
    moved = record.moved
    uow.identities.move(tenant_id, moved["identities"], merged.id)
    uow.relations.move(tenant_id, moved["relations"], merged.id)
    uow.tags.move(tenant_id, survivor.id, merged.id, moved["tags"])
    uow.timeline.move(tenant_id, moved["timeline"], merged.id)
    uow.stages.move_history(tenant_id, moved["stage_changes"], merged.id)
    uow.orders.move(tenant_id, moved.get("orders", []), merged.id, now=now)  # merges older than orders have none
    uow.events.move(tenant_id, moved.get("events", []), merged.id, now=now)
    restore: dict[str, Any] = {}
    for key, value in moved["filled"].items():
        if _jsonable(getattr(survivor, key)) == value:
            restore[key] = 0 if key == "gender" else None
    kept_fields = {k: v for k, v in survivor.fields.items() if not (k in moved["fields_filled"] and merged.fields.get(k) == v)}
    if kept_fields != survivor.fields:
        restore["fields"] = kept_fields
    if moved.get("added_at") and survivor.added_at == merged.added_at:
        restore["added_at"] = datetime.fromisoformat(moved["added_at"])
    if restore:
        uow.customers.update(tenant_id, survivor.id, now=now, **restore)
    uow.customers.update(tenant_id, merged.id, now=now, merged_into_id=None)
    uow.merges.mark_undone(tenant_id, merge_id, now)
    for customer_id, other in ((survivor.id, merged.id), (merged.id, survivor.id)):
        uow.timeline.add(tenant_id, customer_id, EventKind.UNMERGED, actor=actor, at=now, merge_id=merge_id, other_id=other)
    back = uow.customers.get_any(tenant_id, merged.id)
    assert back is not None
    return back


def check_keys_free(uow: SqlUnitOfWork, tenant_id: int, customer_id: int, keys: list[IdentityKey]) -> None:
    """For manual edits: a key already held by another customer is a conflict, not a silent merge."""
    for key, owner in uow.identities.owners(tenant_id, keys).items():
        if owner != customer_id:
            raise InvalidInput("identity.taken", "%(kind)s %(value)s belongs to customer %(owner)s; merge them instead",
                               field=key.kind.value, kind=key.kind.value, value=key.masked(), owner=owner)
