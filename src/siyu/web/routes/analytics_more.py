"""The AIPL funnel, staff and stores, and lifetime-value dashboards (数据分析, continued).

The same pattern as ``siyu.web.routes.analytics``: each page asks the query the API asks
(``siyu.analytics.periods`` holds the default periods both use), shows the typed result as
charts and tables, and ``/analytics/<page>.csv?table=...`` writes each table as CSV
(``siyu.web.dashboards_funnel``, ``_staff``, ``_ltv``). A fit the LTV models cannot make (too
little history) is said on the page in the person's language, as any bad filter is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.analytics import periods
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.funnel import MAX_WINDOW_DAYS, Breakdown
from siyu.analytics.lifetime_value import LtvQuery
from siyu.analytics.scope import Scope
from siyu.analytics.staff import Level
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput
from siyu.domain.paging import Page
from siyu.web import dashboards as d
from siyu.web import dashboards_funnel as df
from siyu.web import dashboards_ltv as dl
from siyu.web import dashboards_staff as ds
from siyu.web.console import get_console
from siyu.web.forms import Paging, filter_choice
from siyu.web.i18n import Language
from siyu.web.lookups import all_regions, all_stores
from siyu.web.routes.analytics import _csv, _day, _show, scope_filters, scope_of
from siyu.web.session import CurrentViewer

router = APIRouter()
Queries = Callable[[], Mapping[str, AnalyticsQuery[Any]]]


# -- funnel ------------------------------------------------------------------------------------

def _window(raw: str | None) -> int:
    value = (raw or "").strip()
    if not value:
        return 30
    if not value.isdigit() or not 1 <= int(value) <= MAX_WINDOW_DAYS:
        raise InvalidInput("analytics.window_out_of_range", "the conversion window is 1 to %(max)s days",
                           field="window_days", max=MAX_WINDOW_DAYS)
    return int(value)


def _funnel_query(actor: Actor, start: str | None, end: str | None, window_days: str | None, by: Breakdown, scope: Scope) -> Queries:
    return lambda: {"funnel": periods.funnel_query(actor.tenant_id, _day(start, "start"), _day(end, "end"), _window(window_days), by,
                                                   scope)}


@router.get("/analytics/funnel")
def funnel(request: Request, viewer: CurrentViewer, start: str | None = None, end: str | None = None,
           window_days: str | None = None, by: str | None = None, store: str | None = None, region: str | None = None,
           channel: str | None = None) -> Response:
    breakdown, scope = filter_choice(Breakdown, by) or Breakdown.NONE, scope_of(store, region, channel)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        result = results["funnel"]
        stages = df.stage_table(language, result.total)
        groups = df.group_table(language, result)
        return {"result": result, "stages": stages, "groups": groups, "funnel_chart": df.funnel_chart(language, stages),
                "groups_chart": df.groups_chart(language, groups)}
    filters = {"start": start or "", "end": end or "", "window_days": (window_days or "").strip(), "by": breakdown.value,
               **scope_filters(scope)}
    return _show(request, viewer, "analytics/funnel.html", _funnel_query(viewer.actor, start, end, window_days, breakdown, scope), view,
                 filters, lambda language: {"breakdowns": [(b.value, language.gettext(label)) for b, label in df.BREAKDOWN_LABELS.items()],
                                            "max_window": MAX_WINDOW_DAYS})


@router.get("/analytics/funnel.csv")
def funnel_csv(request: Request, viewer: CurrentViewer, table: str = "stages", start: str | None = None, end: str | None = None,
               window_days: str | None = None, by: str | None = None, store: str | None = None, region: str | None = None,
               channel: str | None = None) -> Response:
    breakdown, scope = filter_choice(Breakdown, by) or Breakdown.NONE, scope_of(store, region, channel)

    def make(language: Language, results: dict[str, Any]) -> d.Table:
        if table == "groups":
            return df.group_table(language, results["funnel"])
        return df.stage_table(language, results["funnel"].total)
    return _csv(request, viewer, _funnel_query(viewer.actor, start, end, window_days, breakdown, scope), make)


# -- staff and stores --------------------------------------------------------------------------

def _staff_query(actor: Actor, start: str | None, end: str | None, level: Level, scope: Scope) -> Queries:
    return lambda: {"staff": periods.staff_query(actor.tenant_id, _day(start, "start"), _day(end, "end"), level, scope)}


def _places(request: Request, actor: Actor) -> tuple[dict[int, str], dict[int, str]]:
    """Store and region names by id (the warehouse's rows carry the ids)."""
    actor.require(Permission.ANALYTICS_VIEW)
    context = get_console(request).context
    return ({s.id: s.name for s in all_stores(context, actor)}, {r.id: r.name for r in all_regions(context, actor)})


@router.get("/analytics/staff")
def staff(request: Request, viewer: CurrentViewer, start: str | None = None, end: str | None = None, level: str | None = None,
          region: str | None = None, store: str | None = None, channel: str | None = None) -> Response:
    chosen, scope = filter_choice(Level, level) or Level.STAFF, scope_of(store, region, channel)
    stores, regions = _places(request, viewer.actor)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        result = results["staff"]
        table = ds.staff_table(language, chosen, result.rows, stores, regions)
        return {"result": result, "table": table, "gmv_chart": ds.gmv_chart(language, table),
                "people_chart": ds.people_chart(language, table)}
    filters = {"start": start or "", "end": end or "", "level": chosen.value, **scope_filters(scope)}
    return _show(request, viewer, "analytics/staff.html", _staff_query(viewer.actor, start, end, chosen, scope), view, filters,
                 lambda language: {"levels": [(lv.value, language.gettext(label)) for lv, label in ds.LEVEL_LABELS.items()]})


@router.get("/analytics/staff.csv")
def staff_csv(request: Request, viewer: CurrentViewer, start: str | None = None, end: str | None = None, level: str | None = None,
              region: str | None = None, store: str | None = None, channel: str | None = None) -> Response:
    chosen = filter_choice(Level, level) or Level.STAFF
    stores, regions = _places(request, viewer.actor)
    return _csv(request, viewer, _staff_query(viewer.actor, start, end, chosen, scope_of(store, region, channel)),
                lambda language, results: ds.staff_table(language, chosen, results["staff"].rows, stores, regions))


# -- lifetime value ----------------------------------------------------------------------------

def _ltv_query(actor: Actor, as_of: str | None, scope: Scope) -> Queries:
    return lambda: {"ltv": LtvQuery(tenant_id=actor.tenant_id, as_of=_day(as_of, "as_of"), scope=scope)}


@router.get("/analytics/ltv")
def lifetime_value(request: Request, viewer: CurrentViewer, paging: Paging, as_of: str | None = None, risk: str = "",
                   sort: str = "customer", store: str | None = None, region: str | None = None,
                   channel: str | None = None) -> Response:
    only_risk, order, scope = risk == "1", sort if sort in dl.SORTS else "customer", scope_of(store, region, channel)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        result = results["ltv"]
        shown = dl.chosen_customers(result, only_risk, order)
        listed = Page(items=tuple(shown[paging.offset: paging.offset + paging.page_size]), total=len(shown), page=paging.page,
                        page_size=paging.page_size)
        alive = dl.alive_table(result)
        return {"result": result, "headlines": list(zip(dl.HEADLINES, dl.headline_values(result), strict=True)),
                "fit": dl.fit_table(result), "alive": alive, "alive_chart": dl.alive_chart(language, alive),
                "customers": dl.customer_table(listed.items), "listed": listed}
    filters = {"as_of": as_of or "", "risk": "1" if only_risk else "", "sort": order, **scope_filters(scope)}
    return _show(request, viewer, "analytics/ltv.html", _ltv_query(viewer.actor, as_of, scope), view, filters,
                 lambda language: {"sorts": [(key, language.gettext(label)) for key, label in dl.SORTS.items()]})


@router.get("/analytics/ltv.csv")
def lifetime_value_csv(request: Request, viewer: CurrentViewer, table: str = "summary", as_of: str | None = None,
                       risk: str = "", sort: str = "customer", store: str | None = None, region: str | None = None,
                       channel: str | None = None) -> Response:
    tables: dict[str, Callable[[Language, Any], d.Table]] = {
        "summary": dl.headline_table, "fit": lambda _, r: dl.fit_table(r), "alive": lambda _, r: dl.alive_table(r),
        "customers": lambda _, r: dl.customer_table(dl.chosen_customers(r, risk == "1", sort)),
    }
    make = tables.get(table, dl.headline_table)
    return _csv(request, viewer, _ltv_query(viewer.actor, as_of, scope_of(store, region, channel)),
                lambda language, results: make(language, results["ltv"]))
