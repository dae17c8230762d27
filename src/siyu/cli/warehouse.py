"""``siyu warehouse sync|status`` and ``siyu analytics rfm|cohorts|channels|private-domain|funnel|staff|ltv|smart-tags``,
as the system actor.

The analyses take ``--store``, ``--region`` and ``--channel`` ids, the dashboards' scope
(:mod:`siyu.analytics.scope`); each must be one of the tenant's, else the command stops with
exit code 2 before the warehouse is opened.

Answers print as JSON (money as strings in yuan, dates ISO), so they can be piped into jq or
a spreadsheet.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from siyu.cli.analytics import analytics_app  # the one `siyu analytics` group: its analyses live here

if TYPE_CHECKING:
    from siyu.analytics.scope import Scope
    from siyu.bootstrap import Context
    from siyu.domain.access import Actor

warehouse_app = typer.Typer(help="The analytics warehouse: sync and status.", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="The tenant's slug")]
Day = Annotated[str | None, typer.Option(help="A business day, YYYY-MM-DD (Asia/Shanghai)")]
StoreId = Annotated[int | None, typer.Option("--store", min=1, help="Only this store's customers and orders (its id)")]
RegionId = Annotated[int | None, typer.Option("--region", min=1, help="Only the customers and orders of this region's stores (its id)")]
ChannelId = Annotated[int | None, typer.Option("--channel", min=1, help="Only the customers and orders of this channel (its id)")]
E = TypeVar("E", bound=StrEnum)


def _context() -> Context:
    from siyu.cli.main import _context as build_context
    from siyu.observability import configure_logging

    context: Context = build_context()
    configure_logging(context.settings)  # logs to stderr: stdout is the JSON answer
    return context


def _actor(context: Context, slug: str) -> Actor:
    from siyu.services import tenants
    from siyu.services.auth import system_actor

    found = tenants.find_tenant(context.uow(), slug)
    if found is None:
        typer.secho(f"error: no tenant “{slug}”; create it with `siyu tenant create`", fg="red", err=True)
        raise typer.Exit(1)
    return system_actor(found.id)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        typer.secho(f"error (--{option}): “{value}” is not a date like 2026-03-31", fg="red", err=True)
        raise typer.Exit(2) from None


def _scope(context: Context, actor: Actor, slug: str, store: int | None, region: int | None, channel: int | None) -> Scope:
    """The scope of ``--store``, ``--region`` and ``--channel``, each looked up in the tenant (the
    check the API and the console make: ``services.analytics_scopes``)."""
    from siyu.analytics.scope import Scope
    from siyu.domain.errors import InvalidInput
    from siyu.services import analytics_scopes

    try:
        analytics_scopes.check_scope(context.uow(), actor, store_id=store, region_id=region, channel_id=channel)
    except InvalidInput as refused:
        option = (refused.field or "").removesuffix("_id")
        chosen = {"store": store, "region": region, "channel": channel}.get(option)
        typer.secho(f"error (--{option}): tenant “{slug}” has no {option} {chosen}", fg="red", err=True)
        raise typer.Exit(2) from None
    return Scope(store_id=store, region_id=region, channel_id=channel)


def _choice(kind: type[E], value: str, option: str) -> E:
    try:
        return kind(value)
    except ValueError:
        typer.secho(f"error (--{option}): “{value}” is not one of {', '.join(v.value for v in kind)}", fg="red", err=True)
        raise typer.Exit(2) from None


def _plain(value: Any) -> Any:
    from siyu.analytics.typed_rows import TypedRows

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, TypedRows):  # RFM's and LTV's customers: their rows, built as they are written
        return [dataclasses.asdict(row) for row in value]
    raise TypeError(type(value))


def _print(value: Any) -> None:
    data = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


@warehouse_app.command("sync")
def sync(
    tenant: Tenant,
    full: Annotated[bool, typer.Option("--full", help="Fingerprint every block, not only those the change capture marked")] = False,
) -> None:
    """Copy what changed in the operational store into the warehouse (incremental)."""
    from siyu.services import warehouse_sync

    context = _context()
    actor = _actor(context, tenant)
    with context.warehouse() as wh:
        report = warehouse_sync.sync_tenant(context.uow(), wh, actor.tenant_id, full=full)
    checked = f", checked whole: {', '.join(report.full_sources)}" if report.full_sources else ""
    typer.echo(f"synced {tenant}: {report.rows_read} rows read, {report.rows_written} written, "
               f"{report.blocks_changed} blocks changed, version {report.version}, {report.seconds:.2f} s{checked}")


@warehouse_app.command("status")
def status(tenant: Tenant) -> None:
    """When the tenant was last synced."""
    from siyu.services import warehouse_freshness

    context = _context()
    actor = _actor(context, tenant)
    with context.warehouse() as wh:
        _print(warehouse_freshness.warehouse_status(actor, wh))


def _answer(make_query: Callable[[], Any], actor: Actor, context: Context) -> Any:
    from siyu.domain.errors import DomainError

    try:
        query = make_query()  # the parameters are checked here
        with context.warehouse() as wh:
            return query.answer(actor, wh).result
    except DomainError as exc:
        typer.secho(f"error: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc


@analytics_app.command("rfm")
def rfm(tenant: Tenant, as_of: Day = None, store: StoreId = None, region: RegionId = None, channel: ChannelId = None) -> None:
    """RFM scores and segments: the segment counts, then every scored customer."""
    from siyu.analytics.rfm import RfmQuery

    context = _context()
    actor = _actor(context, tenant)
    day = _day(as_of, "as-of")
    scope = _scope(context, actor, tenant, store, region, channel)
    _print(_answer(lambda: RfmQuery(tenant_id=actor.tenant_id, as_of=day, scope=scope), actor, context))


@analytics_app.command("cohorts")
def cohorts(
    tenant: Tenant,
    since: Annotated[str, typer.Option(help="First cohort month (any day in it)")],
    until: Annotated[str, typer.Option(help="Last cohort month (any day in it)")],
    months: Annotated[int, typer.Option(min=0, max=36, help="Months followed after the cohort month")] = 12,
    as_of: Day = None,
    store: StoreId = None,
    region: RegionId = None,
    channel: ChannelId = None,
) -> None:
    """Cohorts by month of add and channel: still-friend and repurchase rates by month."""
    from siyu.analytics.cohorts import CohortQuery

    context = _context()
    actor = _actor(context, tenant)
    first, last, day = _day(since, "since"), _day(until, "until"), _day(as_of, "as-of")
    scope = _scope(context, actor, tenant, store, region, channel)
    _print(_answer(lambda: CohortQuery(tenant_id=actor.tenant_id, since=first, until=last, months=months, as_of=day,  # type: ignore[arg-type]
                                       scope=scope),
                   actor, context))


@analytics_app.command("channels")
def channels(
    tenant: Tenant,
    start: Annotated[str, typer.Option(help="First business day of the period")],
    end: Annotated[str, typer.Option(help="Last business day of the period")],
    as_of: Day = None,
    store: StoreId = None,
    region: RegionId = None,
    channel: ChannelId = None,
) -> None:
    """Channel ROI for a period: adds, still friends, buyers, GMV, cost, CAC, ROI, deletion rate."""
    from siyu.analytics.channels import ChannelQuery

    context = _context()
    actor = _actor(context, tenant)
    first, last, day = _day(start, "start"), _day(end, "end"), _day(as_of, "as-of")
    scope = _scope(context, actor, tenant, store, region, channel)
    result = _answer(lambda: ChannelQuery(tenant_id=actor.tenant_id, start=first, end=last, as_of=day, scope=scope),  # type: ignore[arg-type]
                     actor, context)
    _print([{**dataclasses.asdict(c), "still_friend_rate_7d": c.still_friend_rate_7d, "still_friend_rate_30d": c.still_friend_rate_30d,
             "deletion_rate": c.deletion_rate, "cac": c.cac, "cost_per_buyer": c.cost_per_buyer, "roi": c.roi}
            for c in result.channels])


@analytics_app.command("private-domain")
def private_domain(
    tenant: Tenant,
    since: Annotated[str, typer.Option(help="First month (any day in it)")],
    until: Annotated[str, typer.Option(help="Last month (any day in it)")],
    store: StoreId = None,
    region: RegionId = None,
    channel: ChannelId = None,
) -> None:
    """Private-domain GMV against total GMV, by month."""
    from siyu.analytics.private_domain import PrivateDomainShareQuery

    context = _context()
    actor = _actor(context, tenant)
    first, last = _day(since, "since"), _day(until, "until")
    scope = _scope(context, actor, tenant, store, region, channel)
    result = _answer(lambda: PrivateDomainShareQuery(tenant_id=actor.tenant_id, since=first, until=last, scope=scope),  # type: ignore[arg-type]
                     actor, context)
    _print([{**dataclasses.asdict(m), "share": m.share} for m in result.months])


@analytics_app.command("funnel")
def funnel(
    tenant: Tenant,
    start: Annotated[str, typer.Option(help="First business day of the period")],
    end: Annotated[str, typer.Option(help="Last business day of the period")],
    window_days: Annotated[int, typer.Option(min=1, max=365, help="Conversion window from awareness, in days")] = 30,
    by: Annotated[str, typer.Option(help="Breakdown: none, channel, store, staff or region")] = "none",
    store: StoreId = None,
    region: RegionId = None,
    channel: ChannelId = None,
) -> None:
    """The AIPL funnel: awareness, interest, purchase, loyalty and the conversion between them."""
    from siyu.analytics.funnel import Breakdown, FunnelQuery

    context = _context()
    actor = _actor(context, tenant)
    first, last = _day(start, "start"), _day(end, "end")
    breakdown = _choice(Breakdown, by, "by")
    scope = _scope(context, actor, tenant, store, region, channel)
    result = _answer(lambda: FunnelQuery(tenant_id=actor.tenant_id, start=first, end=last, window_days=window_days,  # type: ignore[arg-type]
                                         by=breakdown, scope=scope), actor, context)
    _print({"start": result.start, "end": result.end, "window_days": result.window_days, "by": result.by.value,
            "total": result.total.as_dict(), "groups": [g.as_dict() for g in result.groups]})


@analytics_app.command("staff")
def staff(
    tenant: Tenant,
    start: Annotated[str, typer.Option(help="First business day of the period")],
    end: Annotated[str, typer.Option(help="Last business day of the period")],
    level: Annotated[str, typer.Option(help="staff, store, region or nation")] = "staff",
    store: StoreId = None,
    region: RegionId = None,
    channel: ChannelId = None,
) -> None:
    """Staff and stores: adds, deletions, customers served, attributed GMV, repurchase, ranked."""
    from siyu.analytics.staff import Level, StaffQuery

    context = _context()
    actor = _actor(context, tenant)
    first, last = _day(start, "start"), _day(end, "end")
    chosen = _choice(Level, level, "level")
    scope = _scope(context, actor, tenant, store, region, channel)
    result = _answer(lambda: StaffQuery(tenant_id=actor.tenant_id, start=first, end=last, level=chosen, scope=scope),  # type: ignore[arg-type]
                     actor, context)
    _print([{**dataclasses.asdict(r), "repurchase_rate": r.repurchase_rate} for r in result.rows])


@analytics_app.command("ltv")
def ltv(tenant: Tenant, as_of: Day = None, store: StoreId = None, region: RegionId = None, channel: ChannelId = None) -> None:
    """Lifetime value fitted on the tenant's purchases: the fit, then every customer's P(alive),
    predicted purchases and value over 90 and 365 days."""
    from siyu.analytics.lifetime_value import LtvQuery

    context = _context()
    actor = _actor(context, tenant)
    day = _day(as_of, "as-of")
    scope = _scope(context, actor, tenant, store, region, channel)
    _print(_answer(lambda: LtvQuery(tenant_id=actor.tenant_id, as_of=day, scope=scope), actor, context))


@analytics_app.command("smart-tags")
def smart_tags(
    tenant: Tenant,
    as_of: Day = None,
    churn_threshold: Annotated[float, typer.Option(help="Tag customers whose P(alive) is below this as churn risk")] = 0.3,
) -> None:
    """Refresh the customers' scores, the RFM and churn-risk smart tags and the segments kept as
    tags from the warehouse now (the sync task does it too)."""
    from siyu.domain.errors import DomainError
    from siyu.tasks import refresh_smart_tags

    context = _context()
    actor = _actor(context, tenant)
    day = _day(as_of, "as-of")
    try:
        with context.warehouse() as wh:
            report = refresh_smart_tags(context.uow(), wh, actor.tenant_id, as_of=day, churn_threshold=churn_threshold)
    except DomainError as exc:
        typer.secho(f"error: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    _print(report)
