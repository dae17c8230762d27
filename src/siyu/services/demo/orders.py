"""The demo brand's orders, channels with their monthly costs, and behaviour events.

Read back from the database after the customers are written (so it works whatever wrote
them), and generated deterministically from the seed: the same brand gets the same orders.
About half of the customers buy; buyers come back with a chance that grows with each order
(first and repeat purchases); store customers buy in their guide's store with the guide
credited, online ones in the mall, the mini-program or on Tmall; a few orders are refunded in
full or in part; a few Tmall orders carry a phone no customer has (they stay unmatched, as
in life). Everything goes through the ordinary order and event services.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from siyu.adapters.db.repositories.demo_commerce import SHANGHAI, DemoBuyer, DemoCommerceReader
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.channels import ChannelDraft, CostDraft
from siyu.domain.orders import OrderOutcome
from siyu.services import channels, events, orders
from siyu.services.auth import system_actor
from siyu.services.demo.catalogue import CHANNELS
from siyu.services.demo.organisation import DemoOrganisation

READ_BATCH = 1000
MENU: tuple[tuple[str, str, Decimal, float], ...] = (  # sku, name, price, weight
    ("LATTE", "拿铁", Decimal("32.00"), 30), ("AMERICANO", "美式", Decimal("26.00"), 18), ("FLATWHITE", "澳白", Decimal("34.00"), 10),
    ("COLDBREW", "冷萃", Decimal("36.00"), 8), ("POUROVER", "手冲", Decimal("48.00"), 6), ("CAKE", "芝士蛋糕", Decimal("38.00"), 10),
    ("SANDWICH", "鸡肉三明治", Decimal("29.00"), 8), ("BEANS", "山茶拼配咖啡豆 250g", Decimal("98.00"), 7),
    ("DRIPBAG", "挂耳咖啡 10 片", Decimal("69.00"), 6),
)
EVENT_NAMES: tuple[tuple[str, float], ...] = (
    ("miniprogram_visit", 50), ("link_open", 20), ("coupon_received", 12), ("coupon_used", 8), ("live_view", 10),
)


@dataclass(frozen=True, slots=True)
class OrdersSummary:
    channels: int
    costs: int
    orders: int
    unmatched: int
    refunds: int
    events: int


def load_orders(
    new_uow: Callable[[], SqlUnitOfWork], organisation: DemoOrganisation, *, seed: int, today: date
) -> OrdersSummary:
    tenant_id = organisation.tenant_id
    actor = system_actor(tenant_id)
    rng = random.Random(f"orders-{seed}")
    made = _channels(new_uow, actor)
    costs = _costs(new_uow, actor, made, today)
    store_of = {g.staff_id: (s.code, g.wecom_userid) for s in organisation.stores for g in s.guides}
    end = datetime(today.year, today.month, today.day, tzinfo=SHANGHAI).astimezone(UTC)
    now = end + timedelta(days=1)
    placed = unmatched = refunds = tracked = 0
    after = rank = 0
    while True:
        with new_uow() as uow:
            buyers = DemoCommerceReader(uow.session).buyers(tenant_id, after, READ_BATCH)
        if not buyers:
            break
        after = buyers[-1].customer_id
        batch: list[dict[str, Any]] = []
        event_batch: list[dict[str, Any]] = []
        for buyer in buyers:
            rank += 1  # names orders and events by the customer's rank, not their id: the same in every database
            batch += _orders_of(rng, buyer, rank, store_of, end)
            event_batch += _events_of(rng, buyer, rank, end)
        batch += [_stranger_order(rng, f"{rank}-{n}", end) for n in range(max(1, len(batch) // 40))]
        for start in range(0, len(batch), orders.MAX_BATCH):
            results = orders.record_orders(new_uow(), actor, batch[start : start + orders.MAX_BATCH], now=now)
            written = [r for r in results if r.outcome is not OrderOutcome.REJECTED]
            assert len(written) == len(results), [r for r in results if r.outcome is OrderOutcome.REJECTED][:3]
            placed += len(written)
            unmatched += sum(1 for r in written if r.customer_id is None)
            refunds += sum(r.refunds_added for r in written)
        for start in range(0, len(event_batch), events.MAX_BATCH):
            tracked += len(events.track_events(new_uow(), actor, event_batch[start : start + events.MAX_BATCH], now=now))
    return OrdersSummary(len(made), costs, placed, unmatched, refunds, tracked)


def _channels(new_uow: Callable[[], SqlUnitOfWork], actor: Any) -> dict[str, int]:
    made: dict[str, int] = {}
    for c in CHANNELS:
        draft = ChannelDraft.parse(name=c.name, state=c.state, group_name="门店" if not c.online else "线上")
        made[c.state] = channels.create_channel(new_uow(), actor, draft).id
    return made


def _costs(new_uow: Callable[[], SqlUnitOfWork], actor: Any, made: dict[str, int], today: date) -> int:
    """One cost per channel and month: what each add cost (the catalogue's figure) times the adds."""
    with new_uow() as uow:
        adds = DemoCommerceReader(uow.session).adds_by_month(actor.tenant_id)
    count = 0
    for (state, year, month), n in sorted(adds.items()):
        if state not in made:
            continue
        per_add = next(c.cost_per_add for c in CHANNELS if c.state == state)
        last = min(date(year, month, calendar.monthrange(year, month)[1]), today)
        amount = (Decimal(str(per_add)) * n).quantize(Decimal("0.01"))
        draft = CostDraft.parse(period_start=date(year, month, 1), period_end=last, amount=amount, note="演示数据")
        channels.add_cost(new_uow(), actor, made[state], draft)
        count += 1
    return count


def _key(buyer: DemoBuyer, rng: random.Random) -> dict[str, str]:
    for kind in ("phone", "member_no", "unionid", "openid"):
        if kind in buyer.keys and rng.random() < 0.9:
            return {kind: buyer.keys[kind]}
    return dict(list(buyer.keys.items())[:1])


def _orders_of(rng: random.Random, buyer: DemoBuyer, rank: int, store_of: dict[int, tuple[str, str]], end: datetime) -> list[dict[str, Any]]:
    if not buyer.keys or rng.random() > 0.55:
        return []
    out: list[dict[str, Any]] = []
    at = buyer.added_at + timedelta(hours=rng.expovariate(1 / 72))
    chance = 0.35
    in_store = buyer.staff_id in store_of and rng.random() < 0.7
    while at < end and len(out) < 40:
        out.append(_order(rng, buyer, f"D{rank}-{len(out) + 1}", at, store_of, in_store=in_store))
        if rng.random() > chance:
            break
        chance = min(0.85, chance + 0.1)
        at += timedelta(days=rng.expovariate(1 / 24))
    return out


def _order(rng: random.Random, buyer: DemoBuyer, order_id: str, at: datetime, store_of: dict[int, tuple[str, str]], *,
           in_store: bool) -> dict[str, Any]:
    lines = []
    for _ in range(1 + int(rng.random() < 0.45) + int(rng.random() < 0.15)):
        sku, name, price, _ = rng.choices(MENU, weights=[m[3] for m in MENU])[0]
        quantity = 1 + int(rng.random() < 0.25)
        lines.append({"sku": sku, "name": name, "quantity": quantity, "amount": str(price * quantity)})
    total = sum(Decimal(x["amount"]) for x in lines)
    if rng.random() < 0.3:
        total = max(Decimal("1.00"), total - Decimal(rng.choice((5, 10, 15))))  # a coupon
    body: dict[str, Any] = {
        "order_id": order_id, "ordered_at": at.isoformat(), "amount": str(total),
        "identities": _key(buyer, rng), "lines": lines,
    }
    if in_store:
        code, userid = store_of[buyer.staff_id]  # type: ignore[index]
        body.update(source="store", store_code=code, staff_userid=userid)
    else:
        source = rng.choices(("mall", "miniprogram", "tmall"), weights=(40, 45, 15))[0]
        body["source"] = source
        if source == "tmall":
            body["channel"] = "ch-tmall-card"
        if buyer.staff_id in store_of and rng.random() < 0.5:
            body["staff_userid"] = store_of[buyer.staff_id][1]  # a guide's link: credited online
    if buyer.channel_state and "channel" not in body:
        body["channel"] = buyer.channel_state
    roll = rng.random()
    if roll < 0.04:
        body["refunds"] = [{"refund_id": f"{body['order_id']}-R1", "amount": str(total), "refunded_at": (at + timedelta(days=1)).isoformat()}]
    elif roll < 0.07 and len(lines) > 1:
        part = Decimal(lines[-1]["amount"]).min(total)
        body["refunds"] = [{"refund_id": f"{body['order_id']}-R1", "amount": str(part), "refunded_at": (at + timedelta(hours=6)).isoformat()}]
    return body


def _stranger_order(rng: random.Random, n: str, end: datetime) -> dict[str, Any]:
    at = end - timedelta(days=rng.uniform(1, 700))
    amount = rng.choice(("69.00", "98.00", "138.00"))
    return {"source": "tmall", "order_id": f"T{n}", "ordered_at": at.isoformat(), "amount": amount, "channel": "ch-tmall-card",
            "identities": {"phone": f"170{rng.randrange(10**8):08d}"}, "lines": [{"sku": "BEANS", "quantity": 1, "amount": amount}]}


def _events_of(rng: random.Random, buyer: DemoBuyer, rank: int, end: datetime) -> list[dict[str, Any]]:
    kind = next((k for k in ("openid", "unionid", "phone") if k in buyer.keys), None)
    if kind is None:
        return []
    out = []
    for n in range(int(rng.expovariate(1 / 3))):
        at = buyer.added_at + timedelta(days=rng.uniform(0, max(1.0, (end - buyer.added_at).days)))
        if at >= end:
            continue
        name = rng.choices([e[0] for e in EVENT_NAMES], weights=[e[1] for e in EVENT_NAMES])[0]
        out.append({"event_id": f"demo-{rank}-{n}", "name": name, "occurred_at": at.isoformat(),
                    "identity": {"kind": kind, "value": buyer.keys[kind]}, "source": "miniprogram",
                    "properties": {"page": rng.choice(("/home", "/menu", "/coupon", "/live"))}})
    return out
