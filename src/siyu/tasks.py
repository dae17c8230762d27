"""Background tasks, registered on the context's Huey instance.

The web process registers them to enqueue; ``siyu worker`` registers the same ones to run
them. Each task calls a service; none touches tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING

import structlog
from huey import crontab
from huey.constants import EmptyData

from siyu.adapters.files.uploads import store_upload
from siyu.domain.access import Actor, Permission, Role
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.imports import ImportRun
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.warehouse import Warehouse
from siyu.analytics.smart_tags import CHURN_THRESHOLD, smart_tag_rules
from siyu.services import housekeeping, imports, order_matching, smart_tags, warehouse_sync, wecom_events

if TYPE_CHECKING:
    from siyu.bootstrap import Context

HEARTBEAT_KEY = "siyu:worker:heartbeat"
log = structlog.get_logger("siyu.tasks")
IMPORT_SUFFIXES = (".csv", ".xlsx")


def refresh_smart_tags(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int, *, as_of: date | None = None,
                       churn_threshold: float = CHURN_THRESHOLD) -> smart_tags.SmartTagReport:
    """RFM and churn-risk tags from the warehouse onto the tenant's customers (after each sync)."""
    rules = smart_tag_rules(warehouse, tenant_id, as_of=as_of, churn_threshold=churn_threshold)
    return smart_tags.apply_rule_tags(uow, tenant_id, rules)


def register_tasks(context: Context) -> dict[str, Callable[..., object]]:
    huey = context.huey

    @huey.periodic_task(crontab(minute="*/15"), name="purge_expired_sessions")
    def purge_expired_sessions() -> int:
        return housekeeping.purge_expired_sessions(context.uow())

    @huey.periodic_task(crontab(minute="*"), name="heartbeat")
    def heartbeat() -> str:
        stamp = housekeeping.now_iso()
        huey.storage.put_data(HEARTBEAT_KEY, stamp.encode())
        return stamp

    @huey.periodic_task(crontab(minute="*/15"), name="sync_warehouse")
    def sync_warehouse() -> int:
        """Copy what changed into the analytics warehouse, every tenant, and refresh each tenant's
        smart tags from it; returns rows written."""
        with context.warehouse() as warehouse:
            reports = warehouse_sync.sync_all_tenants(context.uow(), warehouse)
            for report in reports:
                try:
                    refresh_smart_tags(context.uow(), warehouse, report.tenant_id)
                except DomainError as exc:  # one tenant's tags (e.g. at WeCom's tag limit) must not stop the others
                    log.warning("smart tags not refreshed", tenant_id=report.tenant_id, code=exc.code, reason=exc.message)
            return sum(r.rows_written for r in reports)

    @huey.task(name="run_customer_import")
    def run_customer_import(actor: dict[str, object], import_id: int, path: str, encoding: str | None) -> str:
        """Run an uploaded import for the person who started it; the upload is removed after."""
        upload = Path(path)
        try:
            run = imports.run_import(context.uow(), actor_from(actor), import_id, upload, encoding=encoding)
        finally:
            upload.unlink(missing_ok=True)
        if not run.dry_run and run.rows_good:
            match_orders(actor)  # new identities may be what unmatched orders and events were waiting for
        return run.status.value

    @huey.task(name="refresh_wecom_contact", retries=3, retry_delay=30)
    def refresh_wecom_contact(tenant_id: int, external_userid: str) -> int:
        """After a contact callback was answered: fetch the customer's details from WeCom."""
        done = wecom_events.refresh_contact(context.uow(), context.secret_box, context.wecom_channel, tenant_id, external_userid)
        return done.customer_id
    @huey.periodic_task(crontab(minute="*/10"), name="match_orders_everywhere")
    def match_orders_everywhere() -> int:
        """Every ten minutes: unmatched orders and events of every tenant, against the identities known now."""
        return sum(c.orders_matched + c.events_matched for c in order_matching.match_everywhere(context.uow).values())

    @huey.task(name="match_orders")
    def match_orders(actor: dict[str, object]) -> dict[str, int]:
        """Match unmatched orders and events of the actor's tenant (see services.order_matching.match_unmatched)."""
        counts = order_matching.match_unmatched(context.uow(), actor_from(actor))
        return {"orders_matched": counts.orders_matched, "events_matched": counts.events_matched,
                "orders_followed": counts.orders_followed, "events_followed": counts.events_followed}

    return {
        "purge_expired_sessions": purge_expired_sessions,
        "heartbeat": heartbeat,
        "sync_warehouse": sync_warehouse,
        "run_customer_import": run_customer_import,
        "refresh_wecom_contact": refresh_wecom_contact,
        "match_orders": match_orders,
        "match_orders_everywhere": match_orders_everywhere,
    }


def queue_customer_import(context: Context, actor: Actor, upload: IO[bytes], *, filename: str, dry_run: bool,
                          encoding: str | None) -> ImportRun:
    """Take an uploaded customer file and hand it to the worker: the console's and the API's
    upload. The file is stored (streamed, at most ``import_max_mb``) and checked (CSV or XLSX,
    its encoding, an identity column) before the run is recorded, so a bad file is refused at
    once and leaves nothing behind; then ``run_customer_import`` reads it."""
    actor.require(Permission.CUSTOMERS_MANAGE)  # before anything is written to disk
    name = PurePath(filename or "").name
    suffix = PurePath(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise InvalidInput("file.not_sheet", "choose a .csv or .xlsx file", field="file")
    stored = store_upload(upload, context.settings.data_dir / "uploads", suffix=suffix,
                          max_bytes=context.settings.import_max_mb << 20)
    try:
        expected = imports.check_file(context.uow(), actor, stored, encoding=encoding)
        import_id = imports.start_import(context.uow(), actor, filename=name, dry_run=dry_run, rows_expected=expected)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    context.tasks["run_customer_import"](actor_fields(actor), import_id, str(stored), encoding)
    return imports.get_import(context.uow(), actor, import_id)


def actor_fields(actor: Actor) -> dict[str, object]:
    """An actor as plain data, to travel through the queue."""
    return {"tenant_id": actor.tenant_id, "role": actor.role.value, "user_id": actor.user_id, "token_id": actor.token_id,
            "staff_id": actor.staff_id, "store_id": actor.store_id, "name": actor.name}


def actor_from(fields: dict[str, object]) -> Actor:
    return Actor(**{**fields, "role": Role(str(fields["role"]))})  # type: ignore[arg-type]


def last_heartbeat(context: Context) -> datetime | None:
    raw = context.huey.storage.peek_data(HEARTBEAT_KEY)
    if raw is EmptyData or raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.decode())
    except (AttributeError, ValueError):
        return None
