from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customer_tags, customers, tag_groups, tags
from siyu.domain.tags import AppliedTag, Tag, TagGroup


def _tag(row: Any) -> Tag:
    return Tag(id=row.id, group_id=row.group_id, group_name=row.group_name, name=row.name, position=row.position)


def _tag_query(tenant_id: int):  # type: ignore[no-untyped-def]
    return (
        select(tags.c.id, tags.c.group_id, tag_groups.c.name.label("group_name"), tags.c.name, tags.c.position)
        .join(tag_groups, and_(tag_groups.c.tenant_id == tags.c.tenant_id, tag_groups.c.id == tags.c.group_id))
        .where(tags.c.tenant_id == tenant_id)
    )


class TagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # groups and tags
    def add_group(self, tenant_id: int, name: str, *, now: datetime) -> TagGroup:
        position = self.session.execute(
            select(func.coalesce(func.max(tag_groups.c.position), 0)).where(tag_groups.c.tenant_id == tenant_id)
        ).scalar_one() + 1
        new_id = self.session.execute(
            insert(tag_groups).values(tenant_id=tenant_id, name=name, position=position, created_at=now)
        ).inserted_primary_key[0]  # type: ignore[index]
        return TagGroup(id=new_id, name=name, position=position)

    def find_group(self, tenant_id: int, *, name: str | None = None, group_id: int | None = None) -> TagGroup | None:
        g = tag_groups.c
        query = select(tag_groups).where(g.tenant_id == tenant_id)
        query = query.where(g.name == name) if name is not None else query.where(g.id == group_id)
        row = self.session.execute(query).one_or_none()
        return TagGroup(id=row.id, name=row.name, position=row.position) if row else None

    def add_tag(self, tenant_id: int, group_id: int, name: str, *, now: datetime) -> int:
        position = self.session.execute(
            select(func.coalesce(func.max(tags.c.position), 0)).where(tags.c.tenant_id == tenant_id, tags.c.group_id == group_id)
        ).scalar_one() + 1
        return self.session.execute(  # type: ignore[no-any-return]
            insert(tags).values(tenant_id=tenant_id, group_id=group_id, name=name, position=position, created_at=now)
        ).inserted_primary_key[0]

    def rename_tag(self, tenant_id: int, tag_id: int, name: str) -> None:
        self.session.execute(update(tags).where(tags.c.tenant_id == tenant_id, tags.c.id == tag_id).values(name=name))

    def delete_tag(self, tenant_id: int, tag_id: int) -> None:
        self.session.execute(delete(customer_tags).where(customer_tags.c.tenant_id == tenant_id, customer_tags.c.tag_id == tag_id))
        self.session.execute(delete(tags).where(tags.c.tenant_id == tenant_id, tags.c.id == tag_id))

    def count(self, tenant_id: int) -> int:
        return self.session.execute(select(func.count()).select_from(tags).where(tags.c.tenant_id == tenant_id)).scalar_one()

    def get(self, tenant_id: int, tag_id: int) -> Tag | None:
        row = self.session.execute(_tag_query(tenant_id).where(tags.c.id == tag_id)).one_or_none()
        return _tag(row) if row else None

    def find(self, tenant_id: int, group_name: str, name: str) -> Tag | None:
        row = self.session.execute(
            _tag_query(tenant_id).where(tag_groups.c.name == group_name, tags.c.name == name)
        ).one_or_none()
        return _tag(row) if row else None

    def all(self, tenant_id: int) -> list[Tag]:
        rows = self.session.execute(_tag_query(tenant_id).order_by(tag_groups.c.position, tags.c.position, tags.c.id)).all()
        return [_tag(r) for r in rows]

    def by_ids(self, tenant_id: int, ids: list[int]) -> dict[int, Tag]:
        if not ids:
            return {}
        return {r.id: _tag(r) for r in self.session.execute(_tag_query(tenant_id).where(tags.c.id.in_(ids))).all()}

    # applications
    def applied(self, tenant_id: int, customer_id: int) -> list[AppliedTag]:
        t = customer_tags.c
        rows = self.session.execute(
            select(t.tag_id, t.source, t.applied_by, t.applied_at).where(t.tenant_id == tenant_id, t.customer_id == customer_id)
        ).all()
        found = self.by_ids(tenant_id, [r.tag_id for r in rows])
        applied = [AppliedTag(found[r.tag_id], r.source, r.applied_by, r.applied_at) for r in rows]
        return sorted(applied, key=lambda a: (a.tag.group_name, a.tag.position))

    def tag_ids_of(self, tenant_id: int, customer_ids: list[int]) -> dict[int, set[int]]:
        t = customer_tags.c
        out: dict[int, set[int]] = {cid: set() for cid in customer_ids}
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start : start + 500]
            for r in self.session.execute(select(t.customer_id, t.tag_id).where(t.tenant_id == tenant_id, t.customer_id.in_(chunk))).all():
                out[r.customer_id].add(r.tag_id)
        return out

    def holders(self, tenant_id: int, tag_ids: list[int]) -> dict[int, set[int]]:
        """Every customer holding any of ``tag_ids``, with which of them."""
        t = customer_tags.c
        out: dict[int, set[int]] = {}
        if tag_ids:
            for r in self.session.execute(select(t.customer_id, t.tag_id).where(t.tenant_id == tenant_id, t.tag_id.in_(tag_ids))):
                out.setdefault(r.customer_id, set()).add(r.tag_id)
        return out

    def live_among(self, tenant_id: int, customer_ids: list[int]) -> set[int]:
        """Those of ``customer_ids`` that exist in the tenant and are not merged away (taggable)."""
        c = customers.c
        found: set[int] = set()
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start : start + 500]
            found.update(self.session.execute(
                select(c.id).where(c.tenant_id == tenant_id, c.id.in_(chunk), c.merged_into_id.is_(None))).scalars())
        return found

    def apply(self, tenant_id: int, rows: list[tuple[int, int]], *, source: str, applied_by: str | None, now: datetime) -> None:
        """Insert (customer_id, tag_id) pairs; the caller passes only pairs not applied yet."""
        if rows:
            self.session.execute(
                insert(customer_tags),
                [{"tenant_id": tenant_id, "customer_id": c, "tag_id": t, "source": source, "applied_by": applied_by, "applied_at": now}
                 for c, t in rows],
            )

    def remove(self, tenant_id: int, customer_id: int, tag_ids: list[int]) -> None:
        t = customer_tags.c
        self.session.execute(
            delete(customer_tags).where(t.tenant_id == tenant_id, t.customer_id == customer_id, t.tag_id.in_(tag_ids))
        )

    def remove_pairs(self, tenant_id: int, pairs: list[tuple[int, int]]) -> None:
        """Delete (customer_id, tag_id) pairs in bulk: one statement per tag and 500 customers."""
        t = customer_tags.c
        by_tag: dict[int, list[int]] = {}
        for customer_id, tag_id in pairs:
            by_tag.setdefault(tag_id, []).append(customer_id)
        for tag_id, ids in by_tag.items():
            ids.sort()
            for start in range(0, len(ids), 500):
                self.session.execute(delete(customer_tags).where(
                    t.tenant_id == tenant_id, t.tag_id == tag_id, t.customer_id.in_(ids[start : start + 500])))

    def move(self, tenant_id: int, from_customer: int, to_customer: int, tag_ids: list[int]) -> None:
        if tag_ids:
            t = customer_tags.c
            self.session.execute(
                update(customer_tags)
                .where(t.tenant_id == tenant_id, t.customer_id == from_customer, t.tag_id.in_(tag_ids))
                .values(customer_id=to_customer)
            )
