from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customer_identities, staff_relations, transfer_items, transfers, wecom_group_chats
from siyu.domain.customers import RelationState
from siyu.domain.paging import Page, PageRequest
from siyu.domain.transfers import ItemStatus, Transfer, TransferItem, TransferStatus


def _transfer(r: Any) -> Transfer:
    return Transfer(id=r.id, resigned=r.resigned, handover_staff_id=r.handover_staff_id, takeover_staff_id=r.takeover_staff_id,
                    status=TransferStatus(r.status), message=r.message, counts=dict(r.counts), actor=r.actor,
                    created_at=r.created_at, finished_at=r.finished_at)


def _item(r: Any) -> TransferItem:
    return TransferItem(id=r.id, customer_id=r.customer_id, external_userid=r.external_userid, status=ItemStatus(r.status),
                        reason=r.reason, updated_at=r.updated_at)


class TransferRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> int:
        return self.session.execute(insert(transfers).values(  # type: ignore[no-any-return]
            tenant_id=tenant_id, status=TransferStatus.SUBMITTING.value, counts={}, created_at=now, updated_at=now, **values,
        )).inserted_primary_key[0]

    def get(self, tenant_id: int, transfer_id: int) -> Transfer | None:
        t = transfers.c
        row = self.session.execute(select(transfers).where(t.tenant_id == tenant_id, t.id == transfer_id)).one_or_none()
        return _transfer(row) if row else None

    def save(self, tenant_id: int, transfer_id: int, **values: Any) -> None:
        t = transfers.c
        self.session.execute(update(transfers).where(t.tenant_id == tenant_id, t.id == transfer_id).values(**values))

    def page(self, tenant_id: int, request: PageRequest) -> Page[Transfer]:
        t = transfers.c
        total = self.session.execute(select(func.count()).select_from(transfers).where(t.tenant_id == tenant_id)).scalar_one()
        rows = self.session.execute(select(transfers).where(t.tenant_id == tenant_id).order_by(t.id.desc())
                                    .offset(request.offset).limit(request.page_size)).all()
        return Page([_transfer(r) for r in rows], total, request.page, request.page_size)

    def unfinished(self) -> list[tuple[int, int]]:
        """(tenant, transfer) of every transfer not done yet, for the worker's polling."""
        t = transfers.c
        return [(r.tenant_id, r.id) for r in self.session.execute(
            select(t.tenant_id, t.id).where(t.status != TransferStatus.DONE.value).order_by(t.id))]

    # items
    def add_items(self, tenant_id: int, transfer_id: int, rows: list[tuple[int, str, str, str | None]], *, now: datetime) -> None:
        if rows:
            self.session.execute(insert(transfer_items), [
                {"tenant_id": tenant_id, "transfer_id": transfer_id, "customer_id": c, "external_userid": e, "status": s, "reason": r,
                 "updated_at": now} for c, e, s, r in rows])

    def items(self, tenant_id: int, transfer_id: int, *, status: ItemStatus | None = None, limit: int | None = None) -> list[TransferItem]:
        i = transfer_items.c
        query = select(transfer_items).where(i.tenant_id == tenant_id, i.transfer_id == transfer_id)
        if status is not None:
            query = query.where(i.status == status.value)
        rows = self.session.execute(query.order_by(i.id).limit(limit)).all()
        return [_item(r) for r in rows]

    def item_page(self, tenant_id: int, transfer_id: int, request: PageRequest) -> Page[TransferItem]:
        i = transfer_items.c
        where = (i.tenant_id == tenant_id) & (i.transfer_id == transfer_id)
        total = self.session.execute(select(func.count()).select_from(transfer_items).where(where)).scalar_one()
        rows = self.session.execute(select(transfer_items).where(where).order_by(i.id).offset(request.offset).limit(request.page_size)).all()
        return Page([_item(r) for r in rows], total, request.page, request.page_size)

    def set_item(self, tenant_id: int, item_id: int, status: ItemStatus, reason: str | None, *, now: datetime) -> None:
        i = transfer_items.c
        self.session.execute(update(transfer_items).where(i.tenant_id == tenant_id, i.id == item_id)
                             .values(status=status.value, reason=reason, updated_at=now))

    def status_counts(self, tenant_id: int, transfer_id: int) -> dict[str, int]:
        i = transfer_items.c
        rows = self.session.execute(select(i.status, func.count()).where(i.tenant_id == tenant_id, i.transfer_id == transfer_id)
                                    .group_by(i.status)).all()
        return {status: n for status, n in rows}

    def recent_onjob_moves(self, tenant_id: int, customer_ids: list[int], since: datetime) -> dict[int, int]:
        """How often each customer was moved by an on-job transfer (accepted by WeCom) since ``since``."""
        i, t = transfer_items.c, transfers.c
        moved = (ItemStatus.WAITING.value, ItemStatus.DONE.value)
        rows = self.session.execute(
            select(i.customer_id, func.count()).join(transfers, (t.tenant_id == i.tenant_id) & (t.id == i.transfer_id))
            .where(i.tenant_id == tenant_id, i.customer_id.in_(customer_ids), i.status.in_(moved), i.updated_at >= since,
                   t.resigned.is_(False)).group_by(i.customer_id)
        ).all() if customer_ids else []
        return {c: n for c, n in rows}

    # what a transfer moves
    def followed_by(self, tenant_id: int, staff_id: int, customer_ids: list[int] | None) -> list[tuple[int, str]]:
        """(customer, external_userid) of the active relations of this staff member (WeCom customers only)."""
        r, ci = staff_relations.c, customer_identities.c
        query = (select(r.customer_id, ci.value).join(customer_identities, (ci.tenant_id == r.tenant_id) & (ci.customer_id == r.customer_id)
                                                      & (ci.kind == "wecom_external"))
                 .where(r.tenant_id == tenant_id, r.staff_id == staff_id, r.state == RelationState.ACTIVE.value))
        if customer_ids is not None:
            query = query.where(r.customer_id.in_(customer_ids))
        return [(row.customer_id, row.value) for row in self.session.execute(query.order_by(r.customer_id))]

    def group_chats_of(self, tenant_id: int, staff_id: int) -> list[str]:
        g = wecom_group_chats.c
        return list(self.session.execute(select(g.chat_id).where(g.tenant_id == tenant_id, g.owner_staff_id == staff_id)
                                         .order_by(g.id)).scalars())

    def set_group_owner(self, tenant_id: int, chat_ids: list[str], staff_id: int, userid: str) -> None:
        g = wecom_group_chats.c
        if chat_ids:
            self.session.execute(update(wecom_group_chats).where(g.tenant_id == tenant_id, g.chat_id.in_(chat_ids))
                                 .values(owner_staff_id=staff_id, owner_userid=userid))
