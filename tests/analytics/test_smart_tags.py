"""RFM and churn-risk smart tags written back to customers: bulk, idempotent, only changes
written, each change on the timeline."""

from __future__ import annotations

from datetime import date

from siyu.adapters.warehouse import Warehouse
from siyu.analytics.lifetime_value import LtvQuery
from siyu.analytics.smart_tags import CHURN_TAG, LTV_GROUP, RFM_GROUP, RFM_TAGS
from siyu.analytics.rfm import Segment
from siyu.bootstrap import Context
from siyu.domain.paging import PageRequest
from siyu.services import warehouse_sync
from siyu.services.tags import apply_in, ensure_tag
from siyu.tasks import refresh_smart_tags
from tests import factories
from tests.analytics import history as h
from tests.analytics.test_lifetime_value import AS_OF as LTV_AS_OF
from tests.analytics.test_lifetime_value import ltv_history

AS_OF = date(2026, 3, 31)


def _tags(context: Context, tenant_id: int, customer_id: int) -> dict[str, tuple[str, str]]:
    with context.uow() as uow:
        return {a.tag.name: (a.tag.group_name, a.source) for a in uow.tags.applied(tenant_id, customer_id)}


def _timeline(context: Context, tenant_id: int, customer_id: int) -> list[tuple[str, str]]:
    with context.uow() as uow:
        page = uow.timeline.for_customer(tenant_id, customer_id, PageRequest(page=1, page_size=50))
    return [(e.kind.value, e.data["tag"]) for e in page.items if e.kind.value in ("tagged", "untagged")]


def test_rfm_tags_follow_the_segments_and_write_only_changes(context: Context, warehouse: Warehouse) -> None:
    tenant, admin = factories.tenant(context)
    t = tenant.id
    a, b, c = factories.customers_of(context, admin, 3)
    # n = 3. A: 03-31 (recency 0), twice; B: 03-30 once; C: 01-01 once.
    # R (rank of recency, longest ago first): C 0 -> 1, B 1 -> 2, A 2 -> 4 (1 + floor(5 * 2 / 3))
    # F (frequency, then more recent, ...): C 0 -> 1, B 1 -> 2, A 2 -> 4
    # segments: A (4, 4) loyal; B (2, 2) hibernating; C (1, 1) hibernating
    h.order(context, t, a.id, h.sh(2026, 3, 31), "10.00")
    h.order(context, t, a.id, h.sh(2026, 3, 20), "10.00")
    h.order(context, t, b.id, h.sh(2026, 3, 30), "10.00")
    h.order(context, t, c.id, h.sh(2026, 1, 1), "10.00")
    # C carries an RFM tag put by hand that the rule does not want: the rule corrects it
    with context.uow() as uow:
        champions = ensure_tag(uow, t, RFM_GROUP, RFM_TAGS[Segment.CHAMPIONS]).id
        apply_in(uow, t, {c.id: [champions]}, add=True, source="manual", actor="someone")
        uow.commit()
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)

    first = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    loyal, sleeping = RFM_TAGS[Segment.LOYAL], RFM_TAGS[Segment.HIBERNATING]
    assert _tags(context, t, a.id) == {loyal: (RFM_GROUP, "rule")}
    assert _tags(context, t, b.id) == {sleeping: (RFM_GROUP, "rule")}
    assert _tags(context, t, c.id) == {sleeping: (RFM_GROUP, "rule")}
    # added: A loyal, B and C hibernating = 3; removed: C's champions = 1. No LTV fit yet: only RFM.
    assert (first.added, first.removed, first.groups) == (3, 1, {RFM_GROUP: 3})
    # C's timeline: the hand-put tag, then the rule's two changes (same instant: compared as a set)
    assert sorted(_timeline(context, t, c.id)) == sorted([("tagged", f"{RFM_GROUP}/{RFM_TAGS[Segment.CHAMPIONS]}"),
                                                          ("tagged", f"{RFM_GROUP}/{sleeping}"),
                                                          ("untagged", f"{RFM_GROUP}/{RFM_TAGS[Segment.CHAMPIONS]}")])

    # nothing changed: nothing written, no timeline entry
    again = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    assert (again.added, again.removed) == (0, 0) and len(_timeline(context, t, a.id)) == 1

    # B buys twice more on 03-31: n = 3; recency A 0, B 0 (tie: both position 1 -> R 1 + floor(5/3) = 2),
    # C 0 -> 1. F: C 1 -> 1, A (2) 1 -> 2, B (3) 2 -> 4: A (2, 2) hibernating, B (2, 4) at risk
    h.order(context, t, b.id, h.sh(2026, 3, 31, 9), "10.00")
    h.order(context, t, b.id, h.sh(2026, 3, 31, 10), "10.00")
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    moved = refresh_smart_tags(context.uow(), warehouse, t, as_of=AS_OF)
    assert _tags(context, t, a.id) == {sleeping: (RFM_GROUP, "rule")}
    assert _tags(context, t, b.id) == {RFM_TAGS[Segment.AT_RISK]: (RFM_GROUP, "rule")}
    assert (moved.added, moved.removed) == (2, 2)  # A and B each lose one tag and gain one; C unchanged


def test_churn_risk_tags_from_p_alive(context: Context, warehouse: Warehouse) -> None:
    t, ids = ltv_history(context)
    warehouse_sync.sync_tenant(context.uow(), warehouse, t)
    ltv = LtvQuery(tenant_id=t, as_of=LTV_AS_OF).run(warehouse)
    alive = sorted(c.probability_alive for c in ltv.customers)
    # a threshold between the two lowest P(alive): exactly the customer with the lowest is at risk
    threshold = (alive[0] + alive[1]) / 2
    lowest = next(c.customer_id for c in ltv.customers if c.probability_alive == alive[0])
    report = refresh_smart_tags(context.uow(), warehouse, t, as_of=LTV_AS_OF, churn_threshold=threshold)
    assert report.groups[LTV_GROUP] == 1
    at_risk = {c for c in ids.values() if CHURN_TAG in _tags(context, t, c)}
    assert at_risk == {lowest} and _tags(context, t, lowest)[CHURN_TAG] == (LTV_GROUP, "rule")
    assert ltv.of(ids["b"]).probability_alive == 1.0 and ids["b"] not in at_risk  # type: ignore[union-attr]
    # a higher threshold takes in the second lowest too; nothing is removed
    wider = refresh_smart_tags(context.uow(), warehouse, t, as_of=LTV_AS_OF, churn_threshold=(alive[1] + alive[2]) / 2)
    assert (wider.added, wider.removed) == (1, 0)
