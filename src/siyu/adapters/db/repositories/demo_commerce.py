"""Reads the demo's generators need: customers with their keys and first relation, by id; and
what the live demo's customers answer (sends delivered and guide tasks done lately)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customer_identities, customers, guide_tasks, mass_send_targets, staff, staff_relations

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class DemoBuyer:
    customer_id: int
    added_at: datetime
    keys: dict[str, str]  # kind -> value (one of each kind)
    staff_id: int | None  # the first staff member who added them
    channel_state: str | None


@dataclass(frozen=True, slots=True)
class Reached:
    """A customer the brand reached lately: a delivered mass send or a done guide task about them."""

    key: str  # "send-{send}-{customer}" or "task-{task}": what a reply to it is named after
    at: datetime  # delivered / done
    keys: dict[str, str]  # the customer's identities, kind -> value
    staff_userid: str | None


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

    def reached_since(self, tenant_id: int, since: datetime) -> list[Reached]:
        """Sends delivered and tasks done at or after ``since``, about a customer, oldest first."""
        t, g, st = mass_send_targets.c, guide_tasks.c, staff.c
        sent = self.session.execute(
            select(t.mass_send_id, t.customer_id, t.sent_at, st.wecom_userid)
            .outerjoin(staff, (st.tenant_id == t.tenant_id) & (st.id == t.staff_id))
            .where(t.tenant_id == tenant_id, t.status == "sent", t.sent_at >= since)).all()
        done = self.session.execute(
            select(g.id, g.customer_id, g.closed_at, st.wecom_userid)
            .join(staff, (st.tenant_id == g.tenant_id) & (st.id == g.staff_id))
            .where(g.tenant_id == tenant_id, g.state == "done", g.closed_at >= since, g.customer_id.is_not(None))).all()
        ids = sorted({r.customer_id for r in sent} | {r.customer_id for r in done})
        keys: dict[int, dict[str, str]] = {cid: {} for cid in ids}
        i = customer_identities.c
        for start in range(0, len(ids), 900):
            for row in self.session.execute(select(i.customer_id, i.kind, i.value).where(
                    i.tenant_id == tenant_id, i.customer_id.in_(ids[start : start + 900])).order_by(i.id)):
                keys[row.customer_id].setdefault(row.kind, row.value)
        found = [Reached(f"send-{r.mass_send_id}-{r.customer_id}", r.sent_at, keys[r.customer_id], r.wecom_userid) for r in sent]
        found += [Reached(f"task-{r.id}", r.closed_at, keys[r.customer_id], r.wecom_userid) for r in done]
        return sorted(found, key=lambda r: (r.at, r.key))
