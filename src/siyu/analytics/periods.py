"""The questions as their callers ask them: the default periods of the API and the console.

One place for "no dates given means ...", so ``GET /api/v1/analytics/...`` and the console's
dashboards answer the same question for the same request.
"""

from __future__ import annotations

from datetime import date, timedelta

from siyu.analytics.channels import ChannelQuery
from siyu.analytics.cohorts import CohortQuery
from siyu.analytics.frame import today_in_shanghai
from siyu.analytics.funnel import Breakdown, FunnelQuery
from siyu.analytics.private_domain import PrivateDomainShareQuery
from siyu.analytics.scope import EVERYTHING, Scope
from siyu.analytics.staff import Level, StaffQuery


def twelve_months_to(today: date) -> date:
    """The first day of the month eleven months before ``today``'s: twelve months with today's."""
    return (today.replace(day=1) - timedelta(days=330)).replace(day=1)


def cohort_query(tenant_id: int, since: date | None = None, until: date | None = None, months: int = 12,
                 as_of: date | None = None, scope: Scope = EVERYTHING) -> CohortQuery:
    """Cohorts of the given months of add (default: the last twelve months, this one included)."""
    today = as_of or today_in_shanghai()
    return CohortQuery(tenant_id=tenant_id, since=since or twelve_months_to(today), until=until or today, months=months,
                       as_of=as_of, scope=scope)


def channel_query(tenant_id: int, start: date | None = None, end: date | None = None,
                  as_of: date | None = None, scope: Scope = EVERYTHING) -> ChannelQuery:
    """Channel ROI of a period of business days (default: this month so far)."""
    today = as_of or today_in_shanghai()
    return ChannelQuery(tenant_id=tenant_id, start=start or today.replace(day=1), end=end or today, as_of=as_of, scope=scope)


def private_domain_query(tenant_id: int, since: date | None = None, until: date | None = None,
                         scope: Scope = EVERYTHING) -> PrivateDomainShareQuery:
    """Private-domain share by month (default: the last twelve months, this one included)."""
    today = today_in_shanghai()
    return PrivateDomainShareQuery(tenant_id=tenant_id, since=since or twelve_months_to(today), until=until or today, scope=scope)


def funnel_query(tenant_id: int, start: date | None = None, end: date | None = None, window_days: int = 30,
                 by: Breakdown = Breakdown.NONE, scope: Scope = EVERYTHING) -> FunnelQuery:
    """The AIPL funnel of a period of business days (default: this month so far)."""
    today = today_in_shanghai()
    return FunnelQuery(tenant_id=tenant_id, start=start or today.replace(day=1), end=end or today, window_days=window_days, by=by,
                       scope=scope)


def staff_query(tenant_id: int, start: date | None = None, end: date | None = None, level: Level = Level.STAFF,
                scope: Scope = EVERYTHING) -> StaffQuery:
    """Staff and store performance of a period of business days (default: this month so far)."""
    today = today_in_shanghai()
    return StaffQuery(tenant_id=tenant_id, start=start or today.replace(day=1), end=end or today, level=level, scope=scope)
