"""Which customers a segment rule matches *now*, on the operational store.

Journeys and send planning ask this for the customers in hand; the warehouse answer
(``siyu.analytics.segments``) is as of the last sync. The query itself lives with the
segments repository (``adapters/db/repositories/segment_matching.py``); a test holds the two
sides to the same customers.
"""

from __future__ import annotations

from datetime import date

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.days import today_in_shanghai
from siyu.domain.segments import SegmentRule
from siyu.services import clock


def matching_customers(uow: SqlUnitOfWork, tenant_id: int, rule: SegmentRule, customer_ids: set[int] | None = None, *,
                       today: date | None = None) -> set[int]:
    """Inside an open unit of work: the live customers (of ``customer_ids``, or all) the rule matches."""
    if customer_ids is not None and not customer_ids:
        return set()
    return uow.segments.matching(tenant_id, rule, customer_ids, today or today_in_shanghai(clock.utcnow()),
                                 field_kinds=lambda: {key: f.kind for key, f in uow.fields.all(tenant_id).items()})
