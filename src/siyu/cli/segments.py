"""``siyu segments refresh``: keep segments' smart tags up to date now, as the system actor.

By default the tenant is synced into the warehouse first and then everything that follows a
sync runs (scores, RFM and churn-risk tags, every segment kept as a tag, in dependency order),
exactly as the worker does on schedule; ``--no-sync`` refreshes only the segments' tags from
the warehouse as it stands. Without ``--tenant``, every tenant. Prints one JSON report per
tenant: each segment's members, tags added and removed, and when.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from siyu.cli import warehouse as base  # its _context, _actor and JSON printing (tests replace base._context)
from siyu.cli.warehouse import Day

segments_app = typer.Typer(help="Segments (人群): smart tags kept from segment rules.", no_args_is_help=True)


@segments_app.command("refresh")
def refresh(
    tenant: Annotated[str | None, typer.Option(help="The tenant's slug (default: every tenant)")] = None,
    sync: Annotated[bool, typer.Option(help="Sync the warehouse first, then refresh every smart tag")] = True,
    as_of: Day = None,
) -> None:
    """Refresh the segments kept as smart tags now (the worker does it after each sync)."""
    from siyu.domain.errors import DomainError
    from siyu.services import warehouse_sync
    from siyu.services.auth import system_actor
    from siyu.tasks import refresh_segments, refresh_smart_tags

    context = base._context()
    day = base._day(as_of, "as-of")
    actors = [base._actor(context, tenant)] if tenant else [system_actor(t) for t in warehouse_sync.tenant_ids(context.uow())]
    out = []
    try:
        with context.warehouse() as wh:
            for actor in actors:
                if sync:
                    warehouse_sync.sync_tenant(context.uow(), wh, actor.tenant_id)
                    reports = refresh_smart_tags(context.uow(), wh, actor.tenant_id, as_of=day).segments
                else:
                    reports = tuple(refresh_segments(context.uow(), wh, actor, as_of=day))
                out.append({"tenant_id": actor.tenant_id, "segments": [dataclasses.asdict(r) for r in reports]})
    except DomainError as exc:
        typer.secho(f"error: {exc.message}", fg="red", err=True)
        raise typer.Exit(1) from exc
    base._print(out)
