"""The WeCom sync's rows: its runs, the customer groups, and the sync's marks on relations and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customers, staff, staff_relations, tag_groups, tags, wecom_group_chats, wecom_settings, wecom_sync_runs
from siyu.domain.customers import RelationState
from siyu.domain.paging import Page, PageRequest
from siyu.domain.wecom_sync import SyncRun, SyncStatus

UNFINISHED = (SyncStatus.RUNNING.value, SyncStatus.INTERRUPTED.value)


def _run(row: Any) -> SyncRun:
    return SyncRun(id=row.id, tenant_id=row.tenant_id, full=row.full, status=SyncStatus(row.status), position=dict(row.position),
                   userids=list(row.userids), unknown_userids=list(row.unknown_userids), counts=dict(row.counts), error=row.error,
                   actor=row.actor, created_at=row.created_at, updated_at=row.updated_at, finished_at=row.finished_at)


class WeComSyncRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- runs ----
    def add_run(self, tenant_id: int, *, full: bool, actor: str, now: datetime, position: dict[str, Any]) -> int:
        return self.session.execute(insert(wecom_sync_runs).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, full=full, status=SyncStatus.RUNNING.value, position=position, userids=[], unknown_userids=[],
            counts={}, actor=actor, created_at=now, updated_at=now,
        )).inserted_primary_key[0]

    def get_run(self, tenant_id: int, run_id: int) -> SyncRun | None:
        s = wecom_sync_runs.c
        row = self.session.execute(select(wecom_sync_runs).where(s.tenant_id == tenant_id, s.id == run_id)).one_or_none()
        return _run(row) if row else None

    def unfinished(self, tenant_id: int) -> SyncRun | None:
        s = wecom_sync_runs.c
        row = self.session.execute(
            select(wecom_sync_runs).where(s.tenant_id == tenant_id, s.status.in_(UNFINISHED)).order_by(s.id.desc()).limit(1)
        ).one_or_none()
        return _run(row) if row else None

    def save_run(self, tenant_id: int, run_id: int, **values: Any) -> None:
        s = wecom_sync_runs.c
        self.session.execute(update(wecom_sync_runs).where(s.tenant_id == tenant_id, s.id == run_id).values(**values))

    def runs(self, tenant_id: int, request: PageRequest) -> Page[SyncRun]:
        s = wecom_sync_runs.c
        total = self.session.execute(select(func.count()).select_from(wecom_sync_runs).where(s.tenant_id == tenant_id)).scalar_one()
        rows = self.session.execute(
            select(wecom_sync_runs).where(s.tenant_id == tenant_id).order_by(s.id.desc()).offset(request.offset).limit(request.page_size)
        ).all()
        return Page([_run(r) for r in rows], total, request.page, request.page_size)

    def linked_tenants(self) -> list[int]:
        """Tenants with a customer-contact secret stored: the ones a scheduled sync visits."""
        w = wecom_settings.c
        return list(self.session.execute(select(w.tenant_id).where(w.contact_secret.is_not(None)).order_by(w.tenant_id)).scalars())

    # ---- staff ----
    def staff_by_userid(self, tenant_id: int, userids: list[str]) -> dict[str, int]:
        st = staff.c
        found: dict[str, int] = {}
        for start in range(0, len(userids), 500):
            chunk = userids[start : start + 500]
            for r in self.session.execute(select(st.wecom_userid, st.id).where(st.tenant_id == tenant_id, st.wecom_userid.in_(chunk))):
                found[r.wecom_userid] = r.id
        return found

    # ---- tags ----
    def tag_links(self, tenant_id: int) -> list[dict[str, Any]]:
        """Every Siyu tag with its group and both WeCom ids (None when not linked yet)."""
        t, g = tags.c, tag_groups.c
        rows = self.session.execute(
            select(t.id, t.name, t.wecom_tag_id, g.id.label("group_id"), g.name.label("group_name"), g.wecom_group_id)
            .join(tag_groups, (g.tenant_id == t.tenant_id) & (g.id == t.group_id))
            .where(t.tenant_id == tenant_id).order_by(g.position, t.position, t.id)
        ).all()
        return [dict(r._mapping) for r in rows]

    def groups(self, tenant_id: int) -> list[dict[str, Any]]:
        g = tag_groups.c
        return [dict(r._mapping) for r in self.session.execute(
            select(g.id, g.name, g.wecom_group_id).where(g.tenant_id == tenant_id)).all()]

    def link_group(self, tenant_id: int, group_id: int, wecom_group_id: str) -> None:
        g = tag_groups.c
        self.session.execute(update(tag_groups).where(g.tenant_id == tenant_id, g.id == group_id).values(wecom_group_id=wecom_group_id))

    def link_tag(self, tenant_id: int, tag_id: int, wecom_tag_id: str) -> None:
        t = tags.c
        self.session.execute(update(tags).where(t.tenant_id == tenant_id, t.id == tag_id).values(wecom_tag_id=wecom_tag_id))

    def group_by_wecom_id(self, tenant_id: int, wecom_group_id: str) -> int | None:
        g = tag_groups.c
        return self.session.execute(select(g.id).where(g.tenant_id == tenant_id, g.wecom_group_id == wecom_group_id)).scalar_one_or_none()

    def rename_group(self, tenant_id: int, group_id: int, name: str) -> None:
        g = tag_groups.c
        self.session.execute(update(tag_groups).where(g.tenant_id == tenant_id, g.id == group_id).values(name=name))

    def tag_by_wecom_id(self, tenant_id: int, wecom_tag_id: str) -> dict[str, Any] | None:
        t = tags.c
        row = self.session.execute(select(t.id, t.name, t.group_id).where(t.tenant_id == tenant_id, t.wecom_tag_id == wecom_tag_id)
                                   ).one_or_none()
        return dict(row._mapping) if row else None

    def tags_in_group(self, tenant_id: int, group_id: int) -> list[int]:
        t = tags.c
        return list(self.session.execute(select(t.id).where(t.tenant_id == tenant_id, t.group_id == group_id)).scalars())

    def delete_group(self, tenant_id: int, group_id: int) -> None:
        """A tag group and (the foreign key cascades) its tags; call after their customers' tags are gone."""
        g = tag_groups.c
        self.session.execute(tag_groups.delete().where(g.tenant_id == tenant_id, g.id == group_id))

    def tag_sources(self, tenant_id: int, customer_ids: list[int]) -> dict[int, dict[int, str]]:
        """customer -> {tag id: source} for these customers."""
        from siyu.adapters.db.tables import customer_tags

        c = customer_tags.c
        out: dict[int, dict[int, str]] = {cid: {} for cid in customer_ids}
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start : start + 500]
            for r in self.session.execute(select(c.customer_id, c.tag_id, c.source).where(c.tenant_id == tenant_id, c.customer_id.in_(chunk))):
                out[r.customer_id][r.tag_id] = r.source
        return out

    # ---- relations ----
    def relation_marks(self, tenant_id: int, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
        """(customer, staff) -> the relation's id, state, fields and fingerprint, for the pairs that exist."""
        r = staff_relations.c
        out: dict[tuple[int, int], dict[str, Any]] = {}
        customer_ids = sorted({c for c, _ in pairs})
        wanted = set(pairs)
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start : start + 500]
            rows = self.session.execute(select(r.id, r.customer_id, r.staff_id, r.state, r.wecom_fingerprint, r.add_way, r.channel_state,
                                               r.remark, r.description, r.added_at)
                                        .where(r.tenant_id == tenant_id, r.customer_id.in_(chunk))).all()
            for row in rows:
                if (row.customer_id, row.staff_id) in wanted:
                    out[(row.customer_id, row.staff_id)] = dict(row._mapping)
        return out

    def add_relations(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(staff_relations), rows)

    # ---- customers ----
    def owners_of(self, tenant_id: int, customer_ids: list[int]) -> dict[int, int | None]:
        c = customers.c
        out: dict[int, int | None] = {}
        for start in range(0, len(customer_ids), 500):
            chunk = customer_ids[start : start + 500]
            out.update({r.id: r.owner_staff_id for r in self.session.execute(
                select(c.id, c.owner_staff_id).where(c.tenant_id == tenant_id, c.id.in_(chunk)))})
        return out

    def set_owner(self, tenant_id: int, customer_ids: list[int], staff_id: int, *, now: datetime) -> None:
        """Unowned customers among these get ``staff_id`` as their owner."""
        c = customers.c
        self.session.execute(update(customers).where(c.tenant_id == tenant_id, c.id.in_(customer_ids), c.owner_staff_id.is_(None))
                             .values(owner_staff_id=staff_id, updated_at=now))

    def mark_seen(self, tenant_id: int, run_id: int, relation_ids: list[int]) -> None:
        r = staff_relations.c
        for start in range(0, len(relation_ids), 500):
            chunk = relation_ids[start : start + 500]
            self.session.execute(update(staff_relations).where(r.tenant_id == tenant_id, r.id.in_(chunk)).values(wecom_seen_run_id=run_id))

    def unseen_active(self, tenant_id: int, run_id: int, staff_ids: list[int], *, limit: int) -> list[tuple[int, int]]:
        """(customer, staff) of active relations of these staff that this run did not see."""
        r = staff_relations.c
        rows = self.session.execute(
            select(r.customer_id, r.staff_id).where(
                r.tenant_id == tenant_id, r.staff_id.in_(staff_ids), r.state == RelationState.ACTIVE.value,
                or_(r.wecom_seen_run_id.is_(None), r.wecom_seen_run_id != run_id),
            ).order_by(r.id).limit(limit)
        ).all()
        return [(row.customer_id, row.staff_id) for row in rows]

    # ---- customer groups ----
    def group_chat(self, tenant_id: int, chat_id: str) -> dict[str, Any] | None:
        gc = wecom_group_chats.c
        row = self.session.execute(select(gc.id, gc.fingerprint, gc.status, gc.dismissed_at)
                                   .where(gc.tenant_id == tenant_id, gc.chat_id == chat_id)).one_or_none()
        return dict(row._mapping) if row else None

    def add_group_chat(self, tenant_id: int, **values: Any) -> None:
        self.session.execute(insert(wecom_group_chats).values(tenant_id=tenant_id, **values))

    def update_group_chat(self, tenant_id: int, row_id: int, **values: Any) -> None:
        gc = wecom_group_chats.c
        self.session.execute(update(wecom_group_chats).where(gc.tenant_id == tenant_id, gc.id == row_id).values(**values))

    def group_chats(self, tenant_id: int, request: PageRequest) -> Page[dict[str, Any]]:
        gc = wecom_group_chats.c
        total = self.session.execute(select(func.count()).select_from(wecom_group_chats).where(gc.tenant_id == tenant_id)).scalar_one()
        rows = self.session.execute(select(wecom_group_chats).where(gc.tenant_id == tenant_id).order_by(gc.id)
                                    .offset(request.offset).limit(request.page_size)).all()
        return Page([dict(r._mapping) for r in rows], total, request.page, request.page_size)
