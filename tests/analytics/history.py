"""Hand-built histories for the analytics tests: rows written the way the product writes them
(services where they exist, the operational tables for orders, channels and costs)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, update

from siyu.adapters.db.tables.commerce import channel_costs, channels, events, orders
from siyu.bootstrap import Context
from siyu.domain.customers import RelationState
from siyu.services import relations
from siyu.domain.access import Actor
from siyu.domain.organisation import Staff
from tests import factories
from tests.factories import uid

SHANGHAI = timedelta(hours=8)


def sh(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A wall-clock time in Shanghai, as the UTC instant it is."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC) - SHANGHAI


def brand_with_two_guides(ctx: Context) -> tuple[Actor, Staff, Staff]:
    """A new tenant's admin, and two guides of one store."""
    _, admin = factories.tenant(ctx)
    shop = factories.store(ctx, admin)
    return admin, factories.member(ctx, admin, store_id=shop.id), factories.member(ctx, admin, store_id=shop.id)


def channel(ctx: Context, tenant_id: int, name: str, state: str) -> int:
    with ctx.uow() as uow:
        now = datetime.now(UTC)
        cid = uow.session.execute(insert(channels).values(
            tenant_id=tenant_id, name=name, state=state, created_at=now, updated_at=now).returning(channels.c.id)).scalar_one()
        uow.commit()
    return int(cid)


def cost(ctx: Context, tenant_id: int, channel_id: int, start: date, end: date, amount: str) -> None:
    with ctx.uow() as uow:
        now = datetime.now(UTC)
        uow.session.execute(insert(channel_costs).values(
            tenant_id=tenant_id, channel_id=channel_id, period_start=start, period_end=end, amount=Decimal(amount),
            created_at=now, updated_at=now))
        uow.commit()


def order(ctx: Context, tenant_id: int, customer_id: int | None, at: datetime, amount: str, *, refunded: str = "0",
          channel_id: int | None = None, staff_id: int | None = None, store_id: int | None = None) -> int:
    paid, back = Decimal(amount), Decimal(refunded)
    status = "paid" if back == 0 else "refunded" if back == paid else "partially_refunded"
    with ctx.uow() as uow:
        now = datetime.now(UTC)
        oid = uow.session.execute(insert(orders).values(
            tenant_id=tenant_id, source="mall", source_order_id=uid(12), customer_id=customer_id, identities={},
            channel_id=channel_id, staff_id=staff_id, store_id=store_id, ordered_at=at, amount=paid, refunded_amount=back, status=status, digest=uid(16),
            created_at=now, updated_at=now).returning(orders.c.id)).scalar_one()
        uow.commit()
    return int(oid)


def refund(ctx: Context, tenant_id: int, order_id: int, refunded: str, status: str) -> None:
    with ctx.uow() as uow:
        uow.session.execute(update(orders).where(orders.c.tenant_id == tenant_id, orders.c.id == order_id).values(
            refunded_amount=Decimal(refunded), status=status, updated_at=datetime.now(UTC)))
        uow.commit()


def event(ctx: Context, tenant_id: int, customer_id: int | None, at: datetime, name: str = "page_view") -> None:
    with ctx.uow() as uow:
        now = datetime.now(UTC)
        uow.session.execute(insert(events).values(
            tenant_id=tenant_id, event_id=uid(16), name=name, occurred_at=at, customer_id=customer_id, properties={},
            received_at=now, created_at=now, updated_at=now))
        uow.commit()


def follow(ctx: Context, tenant_id: int, customer_id: int, staff_id: int, at: datetime, state: str | None = None) -> None:
    with ctx.uow() as uow:
        relations.follow_in(uow, tenant_id, customer_id, staff_id, at=at, actor="test", channel_state=state)
        uow.commit()


def delete(ctx: Context, tenant_id: int, customer_id: int, staff_id: int, at: datetime) -> None:
    with ctx.uow() as uow:
        relations.end_in(uow, tenant_id, customer_id, staff_id, RelationState.DELETED_BY_CUSTOMER, at=at, actor="test")
        uow.commit()


def group_code(ctx: Context, tenant_id: int, channel_id: int, owners: dict[str, int | None]) -> int:
    """A group code of the channel whose pool is ``owners``' groups (chat id -> owner staff id;
    None: a group Siyu has no row for)."""
    with ctx.uow() as uow:
        now = datetime.now(UTC)
        for chat_id, owner in owners.items():
            if owner is not None:
                uow.wecom_sync.add_group_chat(tenant_id, chat_id=chat_id, name=f"群{chat_id}", owner_userid=f"u{owner}",
                                              owner_staff_id=owner, status=0, members=10, external_members=9, fingerprint="-",
                                              synced_at=now)
        code_id = uow.group_codes.add(tenant_id, now=now, channel_id=channel_id, name=f"群码{uid(4)}", state=f"g{uid(8)}",
                                      chat_ids=list(owners), threshold=190, auto_create_room=False, room_base_name="",
                                      room_base_id=None)
        uow.commit()
    return int(code_id)


def group_join(ctx: Context, tenant_id: int, code_id: int, chat_id: str, members: int, at: datetime) -> None:
    with ctx.uow() as uow:
        uow.group_codes.add_join(tenant_id, code_id, chat_id, members=members, at=at)
        uow.commit()
