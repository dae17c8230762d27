"""The analytics dashboards (数据分析): overview, RFM, cohorts, channel ROI, private-domain share
(the funnel, staff and LTV pages are ``siyu.web.routes.analytics_more``, on the same helpers).

Each page asks the warehouse's query classes (``siyu.analytics``) the same question the API
asks — the default periods come from ``siyu.analytics.periods``, shared with
``siyu.api.routes.analytics`` — and shows the typed result as charts (Apache ECharts, vendored
under ``static/vendor``) and tables; ``/analytics/<page>.csv`` writes the same tables as CSV
(``siyu.web.dashboards``). Every page and its CSV take ``store``, ``region`` and ``channel``
(``siyu.analytics.scope``; each page's hint says what they narrow there). A busy warehouse (a sync holding the DuckDB file) gets a friendly
page that says to try again, not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from siyu.analytics import periods
from siyu.analytics.base import AnalyticsQuery
from siyu.analytics.frame import today_in_shanghai
from siyu.analytics.rfm import RfmQuery, Segment
from siyu.analytics.scope import Scope
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput, Unavailable
from siyu.services import analytics_scopes, warehouse_freshness
from siyu.services.warehouse_freshness import SyncStatus
from siyu.task_queueing import queue_warehouse_sync
from siyu.web import dashboards as d
from siyu.web.console import get_console
from siyu.web.forms import Paging, filter_choice, filter_id, query_string
from siyu.web.i18n import N_, Language
from siyu.web.lookups import all_channels, all_regions, all_stores
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer

router = APIRouter()
TABS = (
    ("/analytics", N_("Overview")),
    ("/analytics/funnel", N_("Funnel")),
    ("/analytics/channels", N_("Channels")),
    ("/analytics/rfm", N_("RFM")),
    ("/analytics/ltv", N_("Lifetime value")),
    ("/analytics/cohorts", N_("Cohorts")),
    ("/analytics/staff", N_("Staff and stores")),
    ("/analytics/private-domain", N_("Private-domain share")),
)


@dataclass(frozen=True)
class Answers:
    status: SyncStatus
    results: dict[str, Any]


def _day(raw: str | None, field: str) -> date | None:
    value = (raw or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")  # <input type="month"> sends YYYY-MM
    except ValueError:
        raise InvalidInput("date.invalid", "“%(value)s” is not a date (YYYY-MM-DD)", field=field, value=value) from None


def scope_of(store: str | None, region: str | None, channel: str | None) -> Scope:
    """The store, region and channel pickers (anything that is not an id narrows nothing)."""
    return Scope(store_id=filter_id(store), region_id=filter_id(region), channel_id=filter_id(channel))


def scope_filters(scope: Scope) -> dict[str, str]:
    return {"store": str(scope.store_id or ""), "region": str(scope.region_id or ""), "channel": str(scope.channel_id or "")}


def _scope_choices(request: Request, actor: Actor) -> dict[str, Any]:
    """The pickers' options: every store, region and channel of the tenant, by name."""
    context = get_console(request).context
    return {"scope_stores": sorted(((s.id, s.name) for s in all_stores(context, actor)), key=lambda s: s[1]),
            "scope_regions": sorted(((r.id, r.name) for r in all_regions(context, actor)), key=lambda r: r[1]),
            "scope_channels": sorted(((c.id, c.name) for c in all_channels(context, actor)), key=lambda c: c[1])}


def _ask(request: Request, actor: Actor, queries: Callable[[], Mapping[str, AnalyticsQuery[Any]]]) -> Answers:
    """Run the queries for the actor in one opening of the warehouse, with its sync status."""
    actor.require(Permission.ANALYTICS_VIEW)
    context = get_console(request).context
    chosen = queries()  # bad filters fail here, before the warehouse is opened
    for scope in {q.scope for q in chosen.values() if isinstance(getattr(q, "scope", None), Scope)}:
        # so does a store, region or channel not the tenant's
        analytics_scopes.check_scope(context.uow(), actor, store_id=scope.store_id, region_id=scope.region_id,
                                     channel_id=scope.channel_id)
    with context.warehouse() as wh:
        status = warehouse_freshness.warehouse_status(actor, wh)
        results = {name: q.answer(actor, wh, context.analytics_cache).result for name, q in chosen.items()}
    return Answers(status=status, results=results)


def _show(request: Request, viewer: CurrentViewer, template: str, queries: Callable[[], Mapping[str, AnalyticsQuery[Any]]],
          view: Callable[[Language, dict[str, Any]], dict[str, Any]], filters: dict[str, str],
          choices: Callable[[Language], dict[str, Any]] | None = None) -> Response:
    """The page with its answers; a busy warehouse or a bad filter says so on the page."""
    language = language_for(request)
    viewer.actor.require(Permission.ANALYTICS_VIEW)
    scope_query = query_string({key: filters.get(key) for key in ("store", "region", "channel")})
    base = {"tabs": TABS, "filters": filters, "scope_query": scope_query, "display": lambda v, k: d.display(language, v, k),
            **_scope_choices(request, viewer.actor), **(choices(language) if choices else {})}
    try:
        answers = _ask(request, viewer.actor, queries)
    except Unavailable:
        return page(request, template, {**base, "busy": True}, status_code=503)
    except InvalidInput as exc:
        return page(request, template, {**base, "problem": language.error(exc), "problem_code": exc.code}, status_code=400)
    return page(request, template, {**base, "status": answers.status, **view(language, answers.results)})


def _csv(request: Request, viewer: CurrentViewer, queries: Callable[[], Mapping[str, AnalyticsQuery[Any]]],
         table: Callable[[Language, dict[str, Any]], d.Table]) -> Response:
    """The page's table as CSV; a busy warehouse is a 503 with a plain message."""
    language = language_for(request)
    try:
        answers = _ask(request, viewer.actor, queries)
    except Unavailable as exc:
        return Response(language.error(exc), status_code=503, media_type="text/plain; charset=utf-8")
    except InvalidInput as exc:  # a bad date, or a store, region or channel not the tenant's
        return Response(language.error(exc), status_code=400, media_type="text/plain; charset=utf-8")
    chosen = table(language, answers.results)
    return d.csv_response(language, chosen, chosen.name)


# -- overview ----------------------------------------------------------------------------------

def _overview_queries(actor: Actor, scope: Scope) -> Callable[[], Mapping[str, AnalyticsQuery[Any]]]:
    today = today_in_shanghai()
    return lambda: {"rfm": RfmQuery(tenant_id=actor.tenant_id, scope=scope),
                    "channels": periods.channel_query(actor.tenant_id, scope=scope),
                    "share": periods.private_domain_query(actor.tenant_id, since=today, until=today, scope=scope)}


HEADLINES = (
    d.Column("buyers", N_("Buying customers"), N_("Live customers with at least one purchase (an order not fully refunded) so far; the RFM page scores them."), "count"),
    d.Column("adds", N_("Adds this month"), N_("Adds through every channel this month so far: per channel, live customers by their earliest add (a customer added through two channels counts in each)."), "count"),
    d.Column("gmv", N_("GMV this month"), N_("Net GMV (paid minus refunded) of every purchase this month, unmatched orders included."), "money"),
    d.Column("private_gmv", N_("Private-domain GMV this month"), N_("Net GMV of this month's purchases whose customer was a friend (a staff relation alive) when ordering."), "money"),
    d.Column("share", N_("Private-domain share this month"), N_("Private-domain GMV / GMV (empty for a month with no GMV)."), "rate"),
)


def _headline_values(results: dict[str, Any]) -> tuple[Any, ...]:
    month = results["share"].months[0] if results["share"].months else None
    return (len(results["rfm"].customers), sum(c.adds for c in results["channels"].channels),
            month.gmv if month else 0, month.private_gmv if month else 0, month.share if month else None)


def _headlines(language: Language, results: dict[str, Any]) -> d.Table:
    columns = (d.Column("measure", N_("Measure"), N_("What is counted"), "text"), d.Column("value", N_("Value"), N_("The number"), "text"))
    rows = tuple((language.gettext(c.label), v) for c, v in zip(HEADLINES, _headline_values(results), strict=True))
    return d.Table("overview", columns, rows)


@router.get("/analytics")
def overview(request: Request, viewer: CurrentViewer, store: str | None = None, region: str | None = None,
             channel: str | None = None) -> Response:
    scope = scope_of(store, region, channel)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        segments = d.rfm_segments(results["rfm"])
        return {"headlines": list(zip(HEADLINES, _headline_values(results), strict=True)), "segments": segments,
                "segment_chart": d.bar_chart(language, segments, "segment", ("customers",))}
    return _show(request, viewer, "analytics/overview.html", _overview_queries(viewer.actor, scope), view, scope_filters(scope))


@router.get("/analytics/overview.csv")
def overview_csv(request: Request, viewer: CurrentViewer, store: str | None = None, region: str | None = None,
                 channel: str | None = None) -> Response:
    return _csv(request, viewer, _overview_queries(viewer.actor, scope_of(store, region, channel)), _headlines)


@router.post("/analytics/sync")
def sync_now(request: Request, viewer: CurrentViewer) -> Response:
    queue_warehouse_sync(get_console(request).context, viewer.actor)
    response = redirect("/analytics")
    flash(request, response, N_("Sync started: the numbers include the newest data once it finishes (usually within a minute)."))
    return response


# -- RFM ---------------------------------------------------------------------------------------

def _rfm_query(actor: Actor, as_of: str | None, scope: Scope) -> Callable[[], Mapping[str, AnalyticsQuery[Any]]]:
    return lambda: {"rfm": RfmQuery(tenant_id=actor.tenant_id, as_of=_day(as_of, "as_of"), scope=scope)}


@router.get("/analytics/rfm")
def rfm(request: Request, viewer: CurrentViewer, paging: Paging, as_of: str | None = None, segment: str | None = None,
        store: str | None = None, region: str | None = None, channel: str | None = None) -> Response:
    chosen, scope = filter_choice(Segment, segment), scope_of(store, region, channel)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        result = results["rfm"]
        listed = result.page(paging, segment=chosen)
        segments = d.rfm_segments(result)
        return {"result": result, "segments": segments, "grid": d.rfm_grid(result),
                "segment_chart": d.bar_chart(language, segments, "segment", ("customers",)),
                "customers": d.rfm_customers(listed.items), "listed": listed, "segment": chosen}
    filters = {"as_of": as_of or "", "segment": chosen.value if chosen else "", **scope_filters(scope)}
    return _show(request, viewer, "analytics/rfm.html", _rfm_query(viewer.actor, as_of, scope), view, filters,
                 lambda language: {"segment_labels": {s: language.gettext(label) for s, label in d.SEGMENT_LABELS.items()}})


@router.get("/analytics/rfm.csv")
def rfm_csv(request: Request, viewer: CurrentViewer, table: str = "segments", as_of: str | None = None,
            segment: str | None = None, store: str | None = None, region: str | None = None,
            channel: str | None = None) -> Response:
    chosen = filter_choice(Segment, segment)
    tables: dict[str, Callable[[Any], d.Table]] = {
        "segments": d.rfm_segments, "grid": d.rfm_grid,
        "customers": lambda r: d.rfm_customers(r.in_segment(chosen)),
    }
    make = tables.get(table, d.rfm_segments)
    return _csv(request, viewer, _rfm_query(viewer.actor, as_of, scope_of(store, region, channel)),
                lambda _, results: make(results["rfm"]))


# -- cohorts -----------------------------------------------------------------------------------

def _cohort_query(actor: Actor, since: str | None, until: str | None, scope: Scope) -> Callable[[], Mapping[str, AnalyticsQuery[Any]]]:
    return lambda: {"cohorts": periods.cohort_query(actor.tenant_id, _day(since, "since"), _day(until, "until"), scope=scope)}


@router.get("/analytics/cohorts")
def cohorts(request: Request, viewer: CurrentViewer, since: str | None = None, until: str | None = None,
            channel: str = "", store: str | None = None, region: str | None = None) -> Response:
    scope = scope_of(store, region, channel)  # "none" (adds through no channel) narrows the rows shown, not the query

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        result = results["cohorts"]
        shown = d.chosen_cohorts(result, channel)
        return {"result": result, "cohorts": shown,
                "chart_height": max(340, 26 * len(shown) + 110),
                "friend_chart": d.cohort_heatmap(language, shown, "still_friend_rate"),
                "repurchase_chart": d.cohort_heatmap(language, shown, "repurchase_rate"),
                "label": lambda c: d.cohort_label(language, c)}
    filters = {"since": (since or "")[:7], "until": (until or "")[:7], **scope_filters(scope), "channel": channel}
    return _show(request, viewer, "analytics/cohorts.html", _cohort_query(viewer.actor, since, until, scope), view, filters)


@router.get("/analytics/cohorts.csv")
def cohorts_csv(request: Request, viewer: CurrentViewer, since: str | None = None, until: str | None = None,
                channel: str = "", store: str | None = None, region: str | None = None) -> Response:
    return _csv(request, viewer, _cohort_query(viewer.actor, since, until, scope_of(store, region, channel)),
                lambda language, results: d.cohort_table(language, d.chosen_cohorts(results["cohorts"], channel)))


# -- channels ----------------------------------------------------------------------------------

def _channel_query(actor: Actor, start: str | None, end: str | None, scope: Scope) -> Callable[[], Mapping[str, AnalyticsQuery[Any]]]:
    return lambda: {"channels": periods.channel_query(actor.tenant_id, _day(start, "start"), _day(end, "end"), scope=scope)}


@router.get("/analytics/channels")
def channels(request: Request, viewer: CurrentViewer, start: str | None = None, end: str | None = None,
             store: str | None = None, region: str | None = None, channel: str | None = None) -> Response:
    scope = scope_of(store, region, channel)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        table = d.channel_table(results["channels"])
        return {"result": results["channels"], "table": table,
                "adds_chart": d.bar_chart(language, table, "name", ("adds", "buyers")),
                "money_chart": d.bar_chart(language, table, "name", ("gmv", "cost"), line="roi")}
    filters = {"start": start or "", "end": end or "", **scope_filters(scope)}
    return _show(request, viewer, "analytics/channels.html", _channel_query(viewer.actor, start, end, scope), view, filters)


@router.get("/analytics/channels.csv")
def channels_csv(request: Request, viewer: CurrentViewer, start: str | None = None, end: str | None = None,
                 store: str | None = None, region: str | None = None, channel: str | None = None) -> Response:
    return _csv(request, viewer, _channel_query(viewer.actor, start, end, scope_of(store, region, channel)),
                lambda _, results: d.channel_table(results["channels"]))


# -- private-domain share ----------------------------------------------------------------------

def _share_query(actor: Actor, since: str | None, until: str | None, scope: Scope) -> Callable[[], Mapping[str, AnalyticsQuery[Any]]]:
    return lambda: {"share": periods.private_domain_query(actor.tenant_id, _day(since, "since"), _day(until, "until"), scope)}


@router.get("/analytics/private-domain")
def private_domain(request: Request, viewer: CurrentViewer, since: str | None = None, until: str | None = None,
                   store: str | None = None, region: str | None = None, channel: str | None = None) -> Response:
    scope = scope_of(store, region, channel)

    def view(language: Language, results: dict[str, Any]) -> dict[str, Any]:
        table = d.share_table(results["share"])
        return {"result": results["share"], "table": table,
                "chart": d.bar_chart(language, table, "month", ("gmv", "private_gmv"), line="share")}
    filters = {"since": (since or "")[:7], "until": (until or "")[:7], **scope_filters(scope)}
    return _show(request, viewer, "analytics/private_domain.html", _share_query(viewer.actor, since, until, scope), view, filters)


@router.get("/analytics/private-domain.csv")
def private_domain_csv(request: Request, viewer: CurrentViewer, since: str | None = None, until: str | None = None,
                       store: str | None = None, region: str | None = None, channel: str | None = None) -> Response:
    return _csv(request, viewer, _share_query(viewer.actor, since, until, scope_of(store, region, channel)),
                lambda _, results: d.share_table(results["share"]))
