"""``siyu``: set up, run and operate Siyu from a terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from siyu.domain.access import Role
from siyu.domain.errors import DomainError

if TYPE_CHECKING:
    from siyu.bootstrap import Context

app = typer.Typer(help="Siyu (私域): private-domain operations for WeCom brands.", no_args_is_help=True)
db_app = typer.Typer(help="The operational database: migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Console users.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (brands).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(tenant_app, name="tenant")
from siyu.cli.customers import export_app, import_app  # noqa: E402 (the commands live in their own module)

app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
from siyu.cli.analytics import analytics_app  # noqa: E402

app.add_typer(analytics_app, name="analytics")
from siyu.cli.wecom import wecom_app  # noqa: E402

app.add_typer(wecom_app, name="wecom")
from siyu.cli.orders import orders_app  # noqa: E402

app.add_typer(orders_app, name="orders")
from siyu.cli.warehouse import warehouse_app  # noqa: E402 (also adds its analyses to `siyu analytics`)

app.add_typer(warehouse_app, name="warehouse")
from siyu.cli.segments import segments_app  # noqa: E402

app.add_typer(segments_app, name="segments")


def _context():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from siyu import bootstrap

    try:
        return bootstrap.build()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            typer.secho(f"bad setting ({where}): {error['msg'].removeprefix('Value error, ')}", fg="red", err=True)
        raise typer.Exit(2) from exc


def _fail(exc: DomainError) -> typer.Exit:
    where = f" ({exc.field})" if exc.field else ""
    typer.secho(f"error{where}: {exc.message}", fg="red", err=True)
    return typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from siyu.adapters.db import migrate
    from siyu.config import get_settings

    settings = get_settings()
    migrate.upgrade(settings.resolved_database_url, revision=revision)
    typer.echo(f"database at {revision}: {_safe_url(settings.resolved_database_url)}")


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree (run in CI)."""
    from siyu.adapters.db import migrate
    from siyu.config import get_settings

    migrate.check(get_settings().resolved_database_url)
    typer.echo("models and migrations agree")


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Option(help="Short id: lowercase letters, digits, dashes")],
    name: Annotated[str, typer.Option(help="The brand's display name")],
) -> None:
    """Create a tenant (a brand)."""
    from siyu.services import tenants

    context = _context()
    try:
        tenant = tenants.create_tenant(context.uow(), slug=slug, name=name)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(f"tenant {tenant.slug} created (id {tenant.id})")


@user_app.command("create")
def user_create(
    tenant: Annotated[str, typer.Option(help="The tenant's slug")],
    login: Annotated[str, typer.Option(help="Sign-in name, usually an email")],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[Role, typer.Option(help="admin, operator, store_manager or guide")] = Role.ADMIN,
    staff_id: Annotated[int | None, typer.Option(help="The staff member this user is (required for store roles)")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="SIYU_NEW_PASSWORD")] = "",
) -> None:
    """Create a console user. The password is prompted for (or read from SIYU_NEW_PASSWORD)."""
    from siyu.services import tenants, users
    from siyu.services.auth import system_actor

    context = _context()
    found = tenants.find_tenant(context.uow(), tenant)
    if found is None:
        typer.secho(f"error: no tenant “{tenant}”; create it with `siyu tenant create`", fg="red", err=True)
        raise typer.Exit(1)
    try:
        user = users.create_user(
            context.uow(), system_actor(found.id), login=login, name=name, password=password, role=role, staff_id=staff_id
        )
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(f"user {user.login} ({user.role.value}) created in {found.slug}")


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same brand")] = 7,
    customers: Annotated[int, typer.Option(min=1, help="How many people the brand has met (2,000 loads in seconds; 1,000,000 in minutes)")] = 2_000,
) -> None:
    """Migrate the database and load the demo brand (safe to run again), then print the logins."""
    from contextlib import nullcontext

    from siyu.adapters.db import migrate
    from siyu.config import get_settings
    from siyu.services.demo import load_demo_brand

    migrate.upgrade(get_settings().resolved_database_url)
    context = _context()
    bar = typer.progressbar(length=customers, label="customers") if customers >= 20_000 else nullcontext()
    try:
        with bar as progress:
            summary = load_demo_brand(context.uow, seed=seed, customers=customers, progress=progress.update if progress else None,
                                      box=context.secret_box, channels=context.wecom_channel)
    except DomainError as exc:
        raise _fail(exc) from exc
    if summary.created:
        typer.echo(f"demo brand loaded: {summary.regions} regions, {summary.stores} stores, {summary.staff} staff")
        if summary.customers is not None:
            c = summary.customers
            typer.echo(
                f"  {c.people:,} people -> {c.records:,} source records -> {c.customers:,} customers "
                f"({c.merged:,} merged by OneID), {c.identities:,} identities"
            )
            typer.echo(
                f"  {c.relations:,} relations to guides ({c.relations_ended:,} since deleted), {c.tags_applied:,} tags, "
                f"{c.stage_changes:,} stage changes, {c.timeline_events:,} timeline events"
            )
        if summary.orders is not None:
            o = summary.orders
            typer.echo(f"  {o.orders:,} orders ({o.unmatched:,} match no customer, {o.refunds:,} refunds), {o.events:,} events, "
                       f"{o.channels} channels with {o.costs:,} monthly costs")
        if summary.replies is not None:
            r = summary.replies
            typer.echo(f"  an experiment over {r.assigned:,} customers and {r.tasks:,} guide tasks, "
                       f"with {r.replies:,} customer replies (message_replied events)")
    else:
        typer.echo("demo brand already loaded")
    _sync_demo(context, summary.tenant_id)
    typer.echo(f"\nConsole: {context.settings.base_url}   API docs: {context.settings.base_url}/docs")
    for entry in summary.logins:
        typer.echo(f"  {entry.description:<36} login: {entry.login:<22} password: {entry.password}")


def _sync_demo(context: Context, tenant_id: int) -> None:
    """Copy the demo brand into the analytics warehouse, so the dashboards have numbers at once
    (the worker's ``sync_warehouse`` keeps it up to date every 15 minutes after)."""
    from siyu.services import warehouse_sync

    try:
        with context.warehouse() as wh:
            report = warehouse_sync.sync_tenant(context.uow(), wh, tenant_id)
    except DomainError as exc:
        raise _fail(exc) from exc
    typer.echo(f"  analytics warehouse synced: {report.rows_written:,} rows written in {report.seconds:.1f} s")


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    worker: Annotated[bool, typer.Option(help="Also start a background worker, stopped with the server")] = False,
) -> None:
    """Serve the console and the API (and, with --worker, run the worker beside it)."""
    import uvicorn

    from siyu.app import create_app

    context = _context()
    child = None
    if worker:
        child = subprocess.Popen([sys.executable, "-m", "siyu", "worker", "--parent-pid", str(os.getpid())],
                                 env=os.environ.copy())
    try:
        uvicorn.run(create_app(context), host=host, port=port, log_level="warning", access_log=False)
    finally:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


@app.command("worker")
def worker(
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker threads")] = 2,
    parent_pid: Annotated[int | None, typer.Option(hidden=True, help="Stop when this process is gone (set by serve)")] = None,
) -> None:
    """Run the background worker (mass sends, journeys, syncs, housekeeping)."""
    from siyu.observability import configure_logging
    from siyu.worker import run_worker

    context = _context()
    configure_logging(context.settings)
    run_worker(context, workers=workers, parent_pid=parent_pid)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
