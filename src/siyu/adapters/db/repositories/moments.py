"""Moments tasks and their senders; also the two lookups a task needs (staff of stores, tags' WeCom ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import moment_senders, moments, staff, stores, tags
from siyu.domain.moments import Moment, MomentSender, MomentStatus, SenderStatus
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import Page, PageRequest

OPEN = (MomentStatus.QUEUED.value, MomentStatus.SUBMITTED.value, MomentStatus.PUBLISHING.value)


def _moment(r: Any) -> Moment:
    counts = dict(r.counts or {})
    return Moment(id=r.id, text=r.text, material_ids=tuple(r.material_ids), attachments=tuple(r.attachments),
                  staff_ids=tuple(r.staff_ids), store_ids=tuple(r.store_ids), tag_ids=tuple(r.tag_ids),
                  wecom_tag_ids=tuple(str(t) for t in r.wecom_tag_ids),
                  status=MomentStatus(r.status), jobid=r.jobid, wecom_moment_id=r.wecom_moment_id, error=r.error,
                  senders=int(counts.get("senders", 0)), published=int(counts.get("published", 0)),
                  invalid=int(counts.get("invalid", 0)), actor=r.actor, created_at=r.created_at, updated_at=r.updated_at,
                  submitted_at=r.submitted_at, finished_at=r.finished_at)


def _sender(r: Any) -> MomentSender:
    return MomentSender(staff_id=r.staff_id, userid=r.userid, status=SenderStatus(r.status), published_at=r.published_at,
                        updated_at=r.updated_at)


class MomentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(insert(moments).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, status=MomentStatus.QUEUED.value, counts={}, created_at=now, updated_at=now, **values,
        )).inserted_primary_key[0]

    def get(self, tenant_id: int, moment_id: int) -> Moment | None:
        m = moments.c
        row = self.session.execute(select(moments).where(m.tenant_id == tenant_id, m.id == moment_id)).one_or_none()
        return _moment(row) if row else None

    def save(self, tenant_id: int, moment_id: int, **values: Any) -> None:
        m = moments.c
        self.session.execute(update(moments).where(m.tenant_id == tenant_id, m.id == moment_id).values(**values))

    def page(self, tenant_id: int, request: PageRequest) -> Page[Moment]:
        m = moments.c
        query = select(moments).where(m.tenant_id == tenant_id).order_by(m.created_at.desc(), m.id.desc())
        return fetch_page(self.session, query, request, _moment)

    def material_in_open_moment(self, tenant_id: int, material_id: int) -> bool:
        """Whether a task the worker still follows carries this material."""
        m = moments.c
        rows = self.session.execute(select(m.material_ids).where(m.tenant_id == tenant_id, m.status.in_(OPEN)))
        return any(material_id in (r.material_ids or ()) for r in rows)

    def unfinished(self) -> list[tuple[int, int]]:
        """(tenant, moment) of every task the worker still follows, oldest first."""
        m = moments.c
        return [(r.tenant_id, r.id) for r in self.session.execute(
            select(m.tenant_id, m.id).where(m.status.in_(OPEN)).order_by(m.id))]

    # ---- senders ----
    def add_senders(self, tenant_id: int, moment_id: int, senders: list[tuple[int, str]], *, now: datetime) -> None:
        if senders:
            self.session.execute(insert(moment_senders), [
                {"tenant_id": tenant_id, "moment_id": moment_id, "staff_id": staff_id, "userid": userid,
                 "status": SenderStatus.WAITING.value, "updated_at": now} for staff_id, userid in senders])

    def senders(self, tenant_id: int, moment_id: int) -> list[MomentSender]:
        s = moment_senders.c
        rows = self.session.execute(select(moment_senders).where(s.tenant_id == tenant_id, s.moment_id == moment_id)
                                    .order_by(s.staff_id))
        return [_sender(r) for r in rows]

    def mark(self, tenant_id: int, moment_id: int, userids: list[str], status: SenderStatus, *, now: datetime) -> int:
        """Move these senders (still waiting) to ``status``; answers how many moved."""
        if not userids:
            return 0
        s = moment_senders.c
        values: dict[str, Any] = {"status": status.value, "updated_at": now}
        if status is SenderStatus.PUBLISHED:
            values["published_at"] = now
        moved = 0
        for i in range(0, len(userids), 500):
            moved += self.session.execute(update(moment_senders).where(
                s.tenant_id == tenant_id, s.moment_id == moment_id, s.userid.in_(userids[i : i + 500]),
                s.status == SenderStatus.WAITING.value).values(**values)).rowcount
        return moved

    def sender_counts(self, tenant_id: int, moment_id: int) -> dict[str, int]:
        s = moment_senders.c
        rows = self.session.execute(select(s.status, func.count()).where(s.tenant_id == tenant_id, s.moment_id == moment_id)
                                    .group_by(s.status))
        return {str(status): int(n) for status, n in rows}

    # ---- lookups for a new task ----
    def active_staff(self, tenant_id: int, *, staff_ids: list[int], store_ids: list[int]) -> dict[int, str]:
        """{staff id: WeCom userid} of the active staff chosen, and of the active staff of the stores chosen."""
        st = staff.c
        found: dict[int, str] = {}
        for field, ids in ((st.id, staff_ids), (st.store_id, store_ids)):
            if ids:
                rows = self.session.execute(select(st.id, st.wecom_userid).where(
                    st.tenant_id == tenant_id, field.in_(ids), st.status == StaffStatus.ACTIVE.value))
                found.update({int(i): str(u) for i, u in rows})
        return found

    def known_staff(self, tenant_id: int, staff_ids: list[int]) -> set[int]:
        st = staff.c
        return set(self.session.execute(select(st.id).where(st.tenant_id == tenant_id, st.id.in_(staff_ids))).scalars()) if staff_ids else set()

    def known_stores(self, tenant_id: int, store_ids: list[int]) -> set[int]:
        so = stores.c
        return set(self.session.execute(select(so.id).where(so.tenant_id == tenant_id, so.id.in_(store_ids))).scalars()) if store_ids else set()

    def wecom_tag_ids(self, tenant_id: int, tag_ids: list[int]) -> dict[int, str | None]:
        t = tags.c
        if not tag_ids:
            return {}
        rows = self.session.execute(select(t.id, t.wecom_tag_id).where(t.tenant_id == tenant_id, t.id.in_(tag_ids)))
        return {int(i): (str(w) if w else None) for i, w in rows}
