"""A brand's customer data as plain values that do not depend on row ids: rows are named by
their rank within the tenant (ids grow in insertion order), staff by WeCom userid, stages by
name and tags by label. Two brands built from the same records the same way compare equal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select

from siyu.adapters.db.tables import (
    customer_identities,
    customer_merges,
    customer_tags,
    customers,
    stage_changes,
    stages,
    staff,
    staff_relations,
    tag_groups,
    tags,
    timeline_events,
)


def _rows(connection: Connection, table: Table, tenant_id: int) -> list[Any]:
    query = select(table).where(table.c.tenant_id == tenant_id)
    if "id" in table.c:
        query = query.order_by(table.c.id)
    return list(connection.execute(query).all())


def _ranks(rows: list[Any]) -> dict[int, int]:
    return {row.id: rank for rank, row in enumerate(rows)}


def snapshot(connection: Connection, tenant_id: int) -> dict[str, list[Any]]:
    found = {t.name: _rows(connection, t, tenant_id) for t in
             (customers, customer_identities, staff_relations, stage_changes, timeline_events, customer_merges)}
    customer = _ranks(found["customers"])
    identity = _ranks(found["customer_identities"])
    relation = _ranks(found["staff_relations"])
    stage_change = _ranks(found["stage_changes"])
    event = _ranks(found["timeline_events"])
    merge = _ranks(found["customer_merges"])
    userid = {r.id: r.wecom_userid for r in _rows(connection, staff, tenant_id)}
    stage = {r.id: r.name for r in _rows(connection, stages, tenant_id)}
    group = {r.id: r.name for r in _rows(connection, tag_groups, tenant_id)}
    label = {r.id: f"{group[r.group_id]}/{r.name}" for r in _rows(connection, tags, tenant_id)}

    def data(values: dict[str, Any]) -> dict[str, Any]:
        named = {"merge_id": merge, "merged_id": customer, "staff_id": userid, "tag_id": label}
        return {k: named[k][v] if k in named and v is not None else v for k, v in values.items()}

    def moved(values: dict[str, Any]) -> dict[str, Any]:
        return {
            **values,
            "identities": sorted(identity[i] for i in values["identities"]),
            "relations": sorted(relation[i] for i in values["relations"]),
            "tags": sorted(label[i] for i in values["tags"]),
            "timeline": sorted(event[i] for i in values["timeline"]),
            "stage_changes": sorted(stage_change[i] for i in values["stage_changes"]),
        }

    return {
        "customers": [
            (c.name, c.gender, c.avatar, c.birthday, c.region, stage.get(c.stage_id), userid.get(c.owner_staff_id), c.fields,
             c.added_at, c.created_at, c.updated_at, customer.get(c.merged_into_id))
            for c in found["customers"]
        ],
        "identities": [(customer[i.customer_id], i.kind, i.value, i.source, i.created_at) for i in found["customer_identities"]],
        "relations": [
            (customer[r.customer_id], userid[r.staff_id], r.state, r.added_at, r.add_way, r.channel_state, r.remark, r.ended_at)
            for r in found["staff_relations"]
        ],
        "tags": sorted(
            (customer[t.customer_id], label[t.tag_id], t.source, t.applied_by, t.applied_at) for t in _rows(connection, customer_tags, tenant_id)
        ),
        "stage_changes": [
            (customer[s.customer_id], stage.get(s.from_stage_id), stage.get(s.to_stage_id), s.actor, s.changed_at)
            for s in found["stage_changes"]
        ],
        "timeline": [(customer[e.customer_id], e.kind, e.occurred_at, e.actor, data(e.data)) for e in found["timeline_events"]],
        "merges": [
            (customer[m.survivor_id], customer[m.merged_id], m.reason, m.actor, m.created_at, moved(m.moved), m.undone_at)
            for m in found["customer_merges"]
        ],
    }
