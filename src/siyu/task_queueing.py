"""Handing work to the worker: the uploads and requests the console and the API queue.

Each helper checks what it can at once (permission, the file), records what the worker will
read, then enqueues the task ``siyu.tasks.register_tasks`` registered on the context; an actor
travels through the queue as plain data (:func:`actor_fields`, :func:`actor_from`).
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING

import structlog

from siyu.adapters.files.uploads import SHEET_SUFFIXES, store_upload
from siyu.domain.access import Actor, Permission, Role
from siyu.domain.errors import InvalidInput, Unavailable
from siyu.domain.imports import ImportRun
from siyu.domain.order_imports import OrderImportRun
from siyu.domain.welcome import WelcomeMessage
from siyu.services import imports, order_imports

if TYPE_CHECKING:
    from siyu.bootstrap import Context

log = structlog.get_logger("siyu.tasks")


def queue_customer_import(context: Context, actor: Actor, upload: IO[bytes], *, filename: str, dry_run: bool,
                          encoding: str | None) -> ImportRun:
    """Take an uploaded customer file and hand it to the worker: the console's and the API's
    upload. The file is stored (streamed, at most ``import_max_mb``) and checked (CSV or XLSX,
    its encoding, an identity column) before the run is recorded, so a bad file is refused at
    once and leaves nothing behind; then ``run_customer_import`` reads it."""
    actor.require(Permission.CUSTOMERS_MANAGE)  # before anything is written to disk
    name, stored = _store_sheet(context, upload, filename)
    try:
        expected = imports.check_file(context.uow(), actor, stored, encoding=encoding)
        import_id = imports.start_import(context.uow(), actor, filename=name, dry_run=dry_run, rows_expected=expected,
                                         upload=stored, encoding=encoding)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    try:
        context.tasks["run_customer_import"](actor_fields(actor), import_id, str(stored), encoding)
    except Exception as exc:
        stored.unlink(missing_ok=True)
        failure = _queue_down(exc)
        imports.fail_import(context.uow(), actor, import_id, failure)
        raise failure from exc
    return imports.get_import(context.uow(), actor, import_id)


def queue_order_import(context: Context, actor: Actor, upload: IO[bytes], *, filename: str, dry_run: bool,
                       encoding: str | None, source: str | None) -> OrderImportRun:
    """Take an uploaded order file and hand it to the worker (``run_order_import``), as
    :func:`queue_customer_import` does for customers: stored, checked (CSV or XLSX, its encoding,
    the needed columns) and refused at once when it cannot be imported at all."""
    actor.require(Permission.ORDERS_MANAGE)
    name, stored = _store_sheet(context, upload, filename)
    try:
        expected = order_imports.check_file(context.uow(), actor, stored, encoding=encoding, source=source)
        import_id = order_imports.start_import(context.uow(), actor, filename=name, dry_run=dry_run, source=source,
                                               rows_expected=expected, upload=stored, encoding=encoding)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    try:
        context.tasks["run_order_import"](actor_fields(actor), import_id, str(stored), encoding)
    except Exception as exc:
        stored.unlink(missing_ok=True)
        failure = _queue_down(exc)
        order_imports.fail_import(context.uow(), actor, import_id, failure)
        raise failure from exc
    return order_imports.get_import(context.uow(), actor, import_id)


def _store_sheet(context: Context, upload: IO[bytes], filename: str) -> tuple[str, Path]:
    """The upload's own name, and where it was stored (streamed, at most ``import_max_mb``)."""
    name = PurePath(filename or "").name
    suffix = PurePath(name).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise InvalidInput("file.not_sheet", "choose a .csv or .xlsx file", field="file")
    return name, store_upload(upload, context.settings.data_dir / "uploads", suffix=suffix,
                              max_bytes=context.settings.import_max_mb << 20)


def _queue_down(exc: Exception) -> Unavailable:
    """The queue is down: the run would wait forever, so it fails now, with the reason."""
    return Unavailable("queue.unavailable", "the worker queue could not take the import (%(reason)s); upload the file again",
                       reason=type(exc).__name__)


def queue_warehouse_sync(context: Context, actor: Actor) -> None:
    """Ask the worker to sync the actor's tenant into the warehouse now (``analytics.sync``)."""
    actor.require(Permission.ANALYTICS_SYNC)
    context.tasks["sync_tenant_warehouse"](actor.tenant_id)


def queue_welcome_media(context: Context, actor: Actor, message: WelcomeMessage) -> None:
    """After a welcome message is saved (console and API): the worker uploads its files ahead of the first add.
    The save has committed already, so a queue that is down is logged, not raised: the hourly
    ``refresh_welcome_media`` (or the first add) uploads them anyway."""
    if not message.material_ids:
        return
    try:
        context.tasks["warm_welcome_media"](actor.tenant_id, message.id)
    except Exception as exc:  # noqa: BLE001 - the welcome is saved; its files are uploaded later
        log.warning("welcome media warm-up could not be queued", tenant_id=actor.tenant_id, message_id=message.id,
                    error=type(exc).__name__)


def actor_fields(actor: Actor) -> dict[str, object]:
    """An actor as plain data, to travel through the queue."""
    return {"tenant_id": actor.tenant_id, "role": actor.role.value, "user_id": actor.user_id, "token_id": actor.token_id,
            "staff_id": actor.staff_id, "store_id": actor.store_id, "name": actor.name}


def actor_from(fields: dict[str, object]) -> Actor:
    return Actor(**{**fields, "role": Role(str(fields["role"]))})  # type: ignore[arg-type]


