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
