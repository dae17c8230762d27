"""``siyu import orders`` and ``siyu orders match``: orders from files, and matching, as the system actor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from siyu.cli import customers as customer_cli
from siyu.cli.customers import _fail, _tenant_actor, import_app
from siyu.domain.errors import DomainError

if TYPE_CHECKING:
    from siyu.bootstrap import Context
    from siyu.domain.access import Actor
    from siyu.domain.order_imports import OrderImportRun

orders_app = typer.Typer(help="Orders and behaviour events.", no_args_is_help=True)
FIRST_ERRORS = 20


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV or XLSX file; one row per order line")],
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count everything, save nothing")] = False,
    source: Annotated[str | None, typer.Option(help="The orders' source when the file has no source column (store, mall ...)")] = None,
    encoding: Annotated[str | None, typer.Option(help="The CSV's encoding when it is not UTF-8, e.g. gbk")] = None,
) -> None:
    """Import orders. Importing a file again changes nothing; changed orders are updated and
    new refunds added. Customers are found by their identities, never created: orders that
    match nobody are kept and listed as unmatched. Every bad row is reported; the run and its
    report are kept, as for an upload in the console (导入订单)."""
    from siyu.services import order_imports

    context = customer_cli._context()
    actor = _tenant_actor(context, tenant)
    try:
        run = order_imports.import_orders(context.uow(), actor, file, dry_run=dry_run, source=source, encoding=encoding)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    _report(context, actor, run)


def _report(context: Context, actor: Actor, run: OrderImportRun) -> None:
    from siyu.domain.paging import PageRequest
    from siyu.services import order_imports

    counts = run.counts
    verb = "would be" if run.dry_run else "were"
    typer.echo(f"{'dry run of ' if run.dry_run else ''}order import {run.id} ({run.filename}): {run.status.value}")
    if run.message:
        typer.echo(f"  {run.message}")
    typer.echo(f"  rows: {counts.rows_total:,} read, {counts.rows_good:,} good, {counts.rows_bad:,} bad")
    typer.echo(f"  orders that {verb} created: {counts.orders_created:,}, updated: {counts.orders_updated:,}, "
               f"unchanged: {counts.orders_unchanged:,}, rejected: {counts.orders_rejected:,}")
    typer.echo(f"  refunds added: {counts.refunds_added:,}; orders matching no customer yet: {counts.orders_unmatched:,}")
    if not run.errors:
        return
    typer.echo(f"  problems ({run.errors:,}):")
    first = order_imports.list_import_errors(context.uow(), actor, run.id, PageRequest(page_size=FIRST_ERRORS))
    for error in first.items:
        where = f"row {error.row}" + (f", {error.column}" if error.column else "")
        value = f" “{error.value}”" if error.value else ""
        typer.echo(f"    {where}{value}: {error.reason}")
    if run.errors > FIRST_ERRORS:
        typer.echo(f"    ... and {run.errors - FIRST_ERRORS:,} more (the console's 导入订单 page has them all)")


@orders_app.command("match")
def match(tenant: Annotated[str, typer.Option(help="The tenant's slug")]) -> None:
    """Match unmatched orders and events to customers whose identities are known now."""
    from siyu.services import order_matching

    context = customer_cli._context()
    counts = order_matching.match_unmatched(context.uow(), _tenant_actor(context, tenant))
    typer.echo(f"orders matched: {counts.orders_matched:,}, events matched: {counts.events_matched:,}; "
               f"moved off merged-away customers: {counts.orders_followed:,} orders, {counts.events_followed:,} events")
