"""``siyu import customers`` and ``siyu export customers``: files in and out, as the system actor."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from siyu.domain.errors import DomainError

if TYPE_CHECKING:
    from siyu.bootstrap import Context
    from siyu.domain.access import Actor
    from siyu.domain.imports import ImportRun

import_app = typer.Typer(help="Bring data in from files.", no_args_is_help=True)
export_app = typer.Typer(help="Write data out to files.", no_args_is_help=True)
FIRST_ERRORS = 20


def _context() -> Context:
    from siyu.cli.main import _context as build_context

    return build_context()  # type: ignore[no-any-return]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(1)


def _tenant_actor(context: Context, slug: str) -> Actor:
    from siyu.services import tenants
    from siyu.services.auth import system_actor

    found = tenants.find_tenant(context.uow(), slug)
    if found is None:
        raise _fail(f"no tenant “{slug}”; create it with `siyu tenant create`")
    return system_actor(found.id)


@import_app.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV or XLSX file; the header is row 1")],
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count everything, save nothing but the report")] = False,
    encoding: Annotated[str | None, typer.Option(help="The CSV's encoding when it is not UTF-8, e.g. gbk")] = None,
) -> None:
    """Import customers by the OneID rule: known identities attach, shared ones merge, new ones
    create. Good rows go in; every bad row is reported. Running the same file again is safe."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from siyu.services import imports

    context = _context()
    actor = _tenant_actor(context, tenant)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task("checking" if dry_run else "importing", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=max(total, done) if total is not None else None)

        try:
            run = imports.import_customers(context.uow(), actor, file, dry_run=dry_run, encoding=encoding, progress=progress)
        except DomainError as exc:
            raise _fail(exc.message) from exc
    _report(context, actor, run)
    if run.status.value == "failed":
        raise typer.Exit(1)


def _report(context: Context, actor: Actor, run: ImportRun) -> None:
    from siyu.domain.paging import PageRequest
    from siyu.services import imports

    verb = "would be" if run.dry_run else "were"
    typer.echo(f"{'dry run of ' if run.dry_run else ''}import {run.id} ({run.filename}): {run.status.value}")
    if run.message:
        typer.secho(f"  {run.message}", fg="red")
    typer.echo(f"  rows: {run.rows_total:,} read, {run.rows_good:,} good, {run.rows_bad:,} bad")
    typer.echo(f"  customers that {verb} created: {run.customers_created:,}, updated: {run.customers_updated:,}, "
               f"merged away: {run.customers_merged:,}")
    if not run.errors:
        return
    first = imports.list_import_errors(context.uow(), actor, run.id, PageRequest(page_size=FIRST_ERRORS))
    typer.echo(f"  problems ({run.errors:,}):")
    for error in first.items:
        where = f"row {error.row}" + (f", {error.column}" if error.column else "")
        value = f" “{error.value}”" if error.value else ""
        typer.echo(f"    {where}{value}: {error.reason}")
    if run.errors > len(first.items):
        typer.echo(f"    ... and {run.errors - len(first.items):,} more: GET /api/v1/imports/{run.id}/errors")


@export_app.command("customers")
def export_customers(
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    out: Annotated[Path, typer.Option(dir_okay=False, help="The file to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv (UTF-8 with BOM, opens in Excel) or xlsx")] = "csv",
    q: Annotated[str | None, typer.Option(help="Name, phone, email, member number or remark")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="组/标签 (repeat for any of several tags)")] = None,
    stage: Annotated[str | None, typer.Option(help="A stage name")] = None,
) -> None:
    """Export the customers matching the filters (all of them without filters)."""
    from siyu.services import exports, stages, tags
    from siyu.services.customers import CustomerFilter

    try:
        sheet_format = exports.SheetFormat(fmt.lower())
    except ValueError:
        raise _fail("--format is csv or xlsx") from None
    context = _context()
    actor = _tenant_actor(context, tenant)
    known_tags = {t.label: t.id for t in tags.list_tags(context.uow(), actor)}
    missing = [label for label in tag or () if label not in known_tags]
    if missing:
        raise _fail(f"no tag “{missing[0]}” (write tags as 组/标签)")
    stage_id = None
    if stage is not None:
        stage_id = next((s.id for s in stages.list_stages(context.uow(), actor) if s.name == stage), None)
        if stage_id is None:
            raise _fail(f"no stage “{stage}”")
    flt = CustomerFilter(q=q, tag_ids=tuple(known_tags[label] for label in tag or ()), stage_id=stage_id)
    try:
        with open(out, "wb") as handle:
            written = exports.export_customers(context.uow(), actor, flt, handle, fmt=sheet_format)
    except DomainError as exc:
        out.unlink(missing_ok=True)
        raise _fail(exc.message) from exc
    typer.echo(f"{written:,} customers written to {out}")
