"""``siyu wecom``: a tenant's WeCom link from the terminal."""

from __future__ import annotations

from typing import Annotated

import typer

wecom_app = typer.Typer(help="The tenant's WeCom (企业微信) link.", no_args_is_help=True)


def _context():  # type: ignore[no-untyped-def]
    from siyu.cli.main import _context as build_context

    return build_context()


@wecom_app.command("check")
def check(
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    locale: Annotated[str, typer.Option(help="zh_CN or en")] = "zh_CN",
) -> None:
    """Check the WeCom settings against WeCom itself and say exactly what to fix."""
    from siyu.cli.customers import _tenant_actor
    from siyu.services import wecom_check

    context = _context()
    report = wecom_check.check_wecom(context.uow(), context.secret_box, context.wecom_channel, _tenant_actor(context, tenant))
    for item in report.checks:
        typer.secho(f"{'✓' if item.ok else '✗'} {item.name}: {item.message(locale)}", fg="green" if item.ok else "red")
    if not report.ok:
        raise typer.Exit(1)


@wecom_app.command("sync")
def sync(
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    full: Annotated[bool, typer.Option("--full", help="Rewrite every relation (incremental skips unchanged ones)")] = False,
) -> None:
    """Sync staff, corp tags (both ways), customers and groups from WeCom, here and now.

    An unfinished run (interrupted, or still marked running) is resumed where it stopped."""
    from siyu.cli.customers import _tenant_actor
    from siyu.domain.wecom_sync import COUNTS, SyncStatus
    from siyu.services import wecom_sync

    context = _context()
    actor = _tenant_actor(context, tenant)
    started = wecom_sync.start_sync(context.uow(), actor, full=full)
    if started.status is not SyncStatus.RUNNING or started.position.get("step", "staff") != "staff":
        typer.echo(f"resuming run {started.id} at {started.step.value}")
    run = wecom_sync.run_sync(context.uow(), context.secret_box, context.wecom_channel, actor.tenant_id, started.id)
    typer.echo(f"run {run.id}: {run.status.value}" + (f" — {run.error}" if run.error else ""))
    for name in COUNTS:
        if run.count(name):
            typer.echo(f"  {name}: {run.count(name)}")
    if run.unknown_userids:
        typer.echo(f"  staff unknown to Siyu (add them under staff): {', '.join(run.unknown_userids[:20])}")
    if run.status is not SyncStatus.DONE:
        raise typer.Exit(1)
