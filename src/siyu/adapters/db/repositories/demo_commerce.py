"""Reads the demo's order generator needs: customers with their keys and first relation, by id."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customer_identities, customers, staff_relations

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class DemoBuyer:
    customer_id: int
    added_at: datetime
    keys: dict[str, str]  # kind -> value (one of each kind)
    staff_id: int | None  # the first staff member who added them
    channel_state: str | None


class DemoCommerceReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def buyers(self, tenant_id: int, after_id: int, limit: int) -> list[DemoBuyer]:
        """Live customers with id > ``after_id``, in id order."""
        c, i, r = customers.c, customer_identities.c, staff_relations.c
        rows = self.session.execute(
            select(c.id, c.added_at).where(c.tenant_id == tenant_id, c.merged_into_id.is_(None), c.id > after_id).order_by(c.id).limit(limit)
        ).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        keys: dict[int, dict[str, str]] = {cid: {} for cid in ids}
        for row in self.session.execute(
            select(i.customer_id, i.kind, i.value).where(i.tenant_id == tenant_id, i.customer_id.in_(ids)).order_by(i.id)
        ):
            keys[row.customer_id].setdefault(row.kind, row.value)
        first: dict[int, tuple[int, str | None]] = {}
        for row in self.session.execute(
            select(r.customer_id, r.staff_id, r.channel_state).where(r.tenant_id == tenant_id, r.customer_id.in_(ids)).order_by(r.added_at, r.id)
        ):
            first.setdefault(row.customer_id, (row.staff_id, row.channel_state))
        return [
            DemoBuyer(row.id, row.added_at, keys[row.id], *(first.get(row.id) or (None, None)))
            for row in rows
        ]

    def adds_by_month(self, tenant_id: int) -> Counter[tuple[str, int, int]]:
        """(channel state, year, month in China Standard Time) -> relations added."""
        r = staff_relations.c
        counts: Counter[tuple[str, int, int]] = Counter()
        for row in self.session.execute(
            select(r.channel_state, r.added_at).where(r.tenant_id == tenant_id, r.channel_state.is_not(None))
        ):
            local = row.added_at.astimezone(SHANGHAI)
            counts[(row.channel_state, local.year, local.month)] += 1
        return counts
