"""Background tasks, registered on the context's Huey instance.

The web process registers them to enqueue; ``siyu worker`` registers the same ones to run
them. Each task calls a service; none touches tables.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from huey import crontab
from huey.constants import EmptyData

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.warehouse import Warehouse
from siyu.analytics.segments import members_on
from siyu.analytics.smart_tags import CHURN_THRESHOLD, analyse, check_threshold, customer_scores, smart_tag_rules
from siyu.domain.access import Actor
from siyu.domain.errors import DomainError
from siyu.domain.imports import ImportStatus
from siyu.services import (
    add_friend_matching, contact_ways, group_codes, guide_tasks, housekeeping, imports, journey_runner, journey_triggers, mass_send_worker, order_imports, order_matching, smart_tags, transfers, warehouse_sync, wecom_events,
    wecom_sync, welcome, welcome_media,
)
from siyu.services import moments
from siyu.services.auth import system_actor
from siyu.services.clock import utcnow
from siyu.services.demo import DEMO_SLUG, live, replies
from siyu.task_queueing import actor_fields, actor_from

if TYPE_CHECKING:
    from siyu.bootstrap import Context

HEARTBEAT_KEY = "siyu:worker:heartbeat"
DEMO_TICK_SECONDS = 5
log = structlog.get_logger("siyu.tasks")


def refresh_smart_tags(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int, *, as_of: date | None = None,
                       churn_threshold: float = CHURN_THRESHOLD) -> smart_tags.SmartTagReport:
    """Everything that follows a sync, from the warehouse back onto the tenant's customers: the
    customers' scores (RFM segment, P(alive), predictions; copied back into the warehouse so
    rfm and ltv rules read them there too), the RFM and churn-risk tags, then every segment kept
    as a smart tag, in dependency order. One engine: ``siyu.services.smart_tags``."""
    check_threshold(churn_threshold)
    analyses = analyse(warehouse, tenant_id, as_of=as_of)
    scores = smart_tags.store_scores(uow, tenant_id, customer_scores(analyses))
    if scores.changed:
        warehouse_sync.sync_sources(uow, warehouse, tenant_id, ("customer_scores",))
    rules = smart_tags.apply_rule_tags(uow, tenant_id, smart_tag_rules(analyses, churn_threshold=churn_threshold))
    kept = smart_tags.refresh_segment_tags(uow, tenant_id, members_on(warehouse, tenant_id, as_of=as_of),
                                           tags_changed=_tags_sync(uow, warehouse, tenant_id), changed_tags=rules.changed_tags)
    return dataclasses.replace(rules, added=rules.added + sum(r.added for r in kept),
                               removed=rules.removed + sum(r.removed for r in kept), segments=tuple(kept), scores=scores)


def refresh_segments(uow: SqlUnitOfWork, warehouse: Warehouse, actor: Actor, *,
                     as_of: date | None = None) -> list[smart_tags.SegmentTagReport]:
    """On demand: the actor's tenant's segments kept as tags, from the warehouse as it stands."""
    return smart_tags.refresh_segments(uow, actor, members_on(warehouse, actor.tenant_id, as_of=as_of),
                                       tags_changed=_tags_sync(uow, warehouse, actor.tenant_id))


def _tags_sync(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int) -> Callable[[], None]:
    def sync() -> None:
        warehouse_sync.sync_sources(uow, warehouse, tenant_id, ("customer_tags",))

    return sync


def sync_and_refresh(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int) -> warehouse_sync.SyncReport:
    """One tenant's sync, then its scores and smart tags (a tenant's tags, e.g. at WeCom's tag
    limit, failing does not fail the sync)."""
    report = warehouse_sync.sync_tenant(uow, warehouse, tenant_id)
    _refresh_after(uow, warehouse, tenant_id)
    return report


def _refresh_after(uow: SqlUnitOfWork, warehouse: Warehouse, tenant_id: int) -> None:
    try:
        refresh_smart_tags(uow, warehouse, tenant_id)
    except DomainError as exc:  # one tenant's tags (e.g. at WeCom's tag limit) must not stop the others
        log.warning("smart tags not refreshed", tenant_id=tenant_id, code=exc.code, reason=exc.message)


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
                _refresh_after(context.uow(), warehouse, report.tenant_id)
            return sum(r.rows_written for r in reports)

    @huey.task(name="sync_tenant_warehouse")
    def sync_tenant_warehouse(tenant_id: int) -> int:
        """One tenant's sync, asked for now (the console's "sync now"), then its smart tags; returns rows written."""
        with context.warehouse() as warehouse:
            return sync_and_refresh(context.uow(), warehouse, tenant_id).rows_written

    @huey.task(name="run_customer_import")
    def run_customer_import(actor: dict[str, object], import_id: int, path: str, encoding: str | None) -> str:
        """Run an uploaded import for the person who started it, or resume one the worker died in,
        as ``run_order_import`` does; the upload is removed once the run has finished."""
        upload, who = Path(path), actor_from(actor)
        try:
            run = imports.run_import(context.uow(), who, import_id, upload, encoding=encoding)
        finally:
            if imports.get_import(context.uow(), who, import_id).status is not ImportStatus.RUNNING:
                upload.unlink(missing_ok=True)
        if run.status is not ImportStatus.RUNNING and not run.dry_run and run.rows_good:  # RUNNING: another worker is on it
            match_orders(actor)  # new identities may be what unmatched orders and events were waiting for
        return run.status.value

    @huey.task(name="run_order_import")
    def run_order_import(actor: dict[str, object], import_id: int, path: str, encoding: str | None) -> str:
        """Run an uploaded order import, or resume one the worker died in (the same task again,
        queued by ``resume_imports``, reads on from the run's last committed batch; while
        another worker is on the run it does nothing). The upload is removed once the run has
        finished, not before: a worker that dies leaves it for the resumed run."""
        upload, who = Path(path), actor_from(actor)
        try:
            return order_imports.run_import(context.uow(), who, import_id, upload, encoding=encoding).status.value
        finally:
            if order_imports.get_import(context.uow(), who, import_id).status is not ImportStatus.RUNNING:
                upload.unlink(missing_ok=True)

    @huey.periodic_task(crontab(minute="*/5"), name="resume_imports")
    def resume_imports() -> int:
        """Every five minutes: customer and order imports whose worker was killed (no progress
        for ``import_leases.LEASE``) queued again, as their tenant's system actor."""
        found = 0
        for service, task in ((imports, run_customer_import), (order_imports, run_order_import)):
            for run in service.abandoned(context.uow()):
                task(actor_fields(system_actor(run.tenant_id)), run.import_id, str(run.upload), run.encoding)
                found += 1
        return found

    @huey.task(name="refresh_wecom_contact", retries=3, retry_delay=30)
    def refresh_wecom_contact(tenant_id: int, external_userid: str) -> int:
        """After a contact callback was answered: fetch the customer's details from WeCom."""
        done = wecom_events.refresh_contact(context.uow(), context.secret_box, context.wecom_channel, tenant_id, external_userid)
        return done.customer_id

    @huey.task(name="fetch_wecom_change", retries=3, retry_delay=30)
    def fetch_wecom_change(tenant_id: int, kind: str, wecom_id: str) -> str:
        """After a tag or group-chat callback was answered: read the tag or group from WeCom and apply it."""
        return wecom_events.fetch_change(context.uow(), context.secret_box, context.wecom_channel, tenant_id, kind, wecom_id)

    @huey.task(name="send_welcome", priority=100)
    def send_welcome(tenant_id: int, send_id: int, welcome_code: str, external_userid: str) -> str:
        """Right after an add callback, ahead of everything else queued: WeCom's welcome code lasts 20 s."""
        done, customer_name = welcome.send_welcome(context.uow(), context.secret_box, context.wecom_channel, tenant_id, send_id,
                                                   welcome_code, external_userid=external_userid)
        after_welcome(tenant_id, send_id, external_userid, customer_name)
        return done.status.value

    @huey.task(name="after_welcome", priority=50, retries=2, retry_delay=30)
    def after_welcome(tenant_id: int, send_id: int, external_userid: str, customer_name: str) -> None:
        """The way's remark in WeCom and the way re-bound: after the welcomes waiting, before the rest."""
        welcome.after_welcome(context.uow(), context.secret_box, context.wecom_channel, tenant_id, send_id,
                              external_userid=external_userid, customer_name=customer_name)

    @huey.task(name="warm_welcome_media", retries=2, retry_delay=60)
    def warm_welcome_media(tenant_id: int, message_id: int) -> int:
        """A welcome message was saved: its files uploaded now, not inside the next add's 20 seconds."""
        return welcome_media.warm_welcome_media(context.uow(), context.secret_box, context.wecom_channel, tenant_id, message_id)

    @huey.periodic_task(crontab(minute="23"), name="refresh_welcome_media")
    def refresh_welcome_media() -> int:
        """Every hour: welcome materials' media ids that would lapse before the next round, uploaded again."""
        return sum(welcome_media.refresh_welcome_media(context.uow(), context.secret_box, context.wecom_channel).values())

    @huey.periodic_task(crontab(minute="*/5"), name="rebind_contact_ways")
    def rebind_contact_ways() -> int:
        """Every five minutes: point each live code at who should take the next add (hours, caps, midnight)."""
        return sum(contact_ways.rebind_everywhere(context.uow, context.secret_box, context.wecom_channel).values())

    @huey.periodic_task(crontab(minute="*/2"), name="recheck_group_codes")
    def recheck_group_codes() -> int:
        """Every two minutes: re-read group codes' listed groups from WeCom and re-list full ones."""
        return sum(group_codes.recheck_everywhere(context.uow, context.secret_box, context.wecom_channel).values())

    @huey.periodic_task(crontab(minute="*"), name="simulate_demo_minute")
    def simulate_demo_minute() -> int:
        """The demo brand's simulated customers: one move every 5 seconds over the next minute, and their replies."""
        if not context.settings.demo_simulator:
            return 0
        for second in range(0, 60, DEMO_TICK_SECONDS):
            simulate_demo_customer.schedule(delay=second)
        simulate_demo_replies()
        return 60 // DEMO_TICK_SECONDS

    @huey.task(name="simulate_demo_replies")
    def simulate_demo_replies() -> int:
        """The demo brand's customers answer the sends and guide tasks that reached them (message_replied events)."""
        return replies.simulate_replies(context.uow, context.secret_box, slug=DEMO_SLUG, now=utcnow())

    @huey.task(name="simulate_demo_customer")
    def simulate_demo_customer() -> str:
        done = live.simulate_tick(context.uow, context.secret_box, context.sandbox_corps, slug=DEMO_SLUG, now=time.time(),
                                  enqueue=refresh_wecom_contact, enqueue_welcome=send_welcome, enqueue_fetch=fetch_wecom_change)
        return done.outcome if done else "nothing to simulate"

    @huey.task(name="run_wecom_sync")
    def run_wecom_sync(tenant_id: int, run_id: int) -> str:
        """Run (or resume) a WeCom sync run; an interrupted one is picked up by the next schedule."""
        return wecom_sync.run_sync(context.uow(), context.secret_box, context.wecom_channel, tenant_id, run_id).status.value

    @huey.task(name="run_transfer", retries=3, retry_delay=60)
    def run_transfer(tenant_id: int, transfer_id: int) -> str:
        """Send a transfer's customers to WeCom (100 per call) and read the first results."""
        return transfers.submit_transfer(context.uow(), context.secret_box, context.wecom_channel, tenant_id, transfer_id).status.value

    @huey.periodic_task(crontab(minute="*/30"), name="poll_transfers")
    def poll_transfers() -> int:
        """Every half hour: WeCom's results for every unfinished transfer (takeovers complete within 24 h)."""
        found = transfers.unfinished(context.uow())
        for tenant_id, transfer_id in found:
            run_transfer(tenant_id, transfer_id)  # submits what is still pending, then polls
        return len(found)

    @huey.periodic_task(crontab(minute="7", hour="*/2"), name="wecom_sync_everywhere")
    def wecom_sync_everywhere() -> int:
        """Every two hours: an incremental WeCom sync of every linked tenant (or the resumption of its unfinished run)."""
        tenants = wecom_sync.due_tenants(context.uow())
        for tenant_id in tenants:
            run_wecom_sync(tenant_id, wecom_sync.start_scheduled(context.uow(), tenant_id))
        return len(tenants)

    @huey.periodic_task(crontab(minute="*/10"), name="rematch_add_friend_numbers")
    def rematch_add_friend_numbers() -> int:
        """Every ten minutes: bulk add-friend numbers still waiting, against the phones and relations known now."""
        return add_friend_matching.rematch_everywhere(context.uow())

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

    def mass_send_timing() -> mass_send_worker.Timing:
        return mass_send_worker.Timing(reconcile_after=timedelta(seconds=context.settings.mass_send_reconcile_seconds))

    @huey.task(name="advance_mass_send")
    def advance_mass_send(tenant_id: int, send_id: int) -> str | None:
        """Plan a due mass send, submit its tasks to WeCom, read its results (idempotent: safe after any crash)."""
        status = mass_send_worker.advance(context.uow(), context.secret_box, context.wecom_channel, tenant_id, send_id,
                                          timing=mass_send_timing())
        return status.value if status else None

    @huey.periodic_task(crontab(minute="*"), name="mass_sends_everywhere")
    def mass_sends_everywhere() -> int:
        """Every minute: every due or unfinished mass send of every tenant (a killed worker's work is picked up here)."""
        found = mass_send_worker.unfinished(context.uow())
        for tenant_id, send_id in found:
            advance_mass_send(tenant_id, send_id)
        return len(found)

    @huey.periodic_task(crontab(minute="*/15"), name="run_guide_task_rules")
    def run_guide_task_rules() -> int:
        """Every quarter hour: the tenants' lifecycle rules make their follow-up tasks (once per stage entry)."""
        return guide_tasks.run_lifecycle_rules(context.uow())

    @huey.periodic_task(crontab(minute="*/5"), name="remind_overdue_guide_tasks")
    def remind_overdue_guide_tasks() -> int:
        """Every five minutes: one console alert per guide task gone overdue, to the guide and their store's managers."""
        return guide_tasks.remind_overdue(context.uow())

    @huey.periodic_task(crontab(minute="*"), name="advance_journeys")
    def advance_journeys() -> int:
        """Every minute: each journey enrollment that is due runs its step, exactly once (services.journey_runner)."""
        report = journey_runner.run_due(context.uow, messenger=journey_runner.wecom_messenger(context.secret_box, context.wecom_channel),
                                        guide_tasks=guide_tasks.add_source_task_in)
        return report.steps

    @huey.periodic_task(crontab(minute="5"), name="scan_journey_triggers")
    def scan_journey_triggers() -> int:
        """Every hour: birthdays and date fields, silent customers and segment entries enter their journeys (once a day each)."""
        return journey_triggers.scan_everywhere(context.uow)


    # ---- moments (朋友圈任务) ----
    @huey.task(name="run_moment", retries=3, retry_delay=60)
    def run_moment(tenant_id: int, moment_id: int) -> str:
        """Hand a moments task to WeCom and read what is known so far (services.moments.advance_moment)."""
        return moments.advance_moment(context.uow(), context.secret_box, context.wecom_channel, tenant_id, moment_id).status.value

    @huey.periodic_task(crontab(minute="*/10"), name="poll_moments")
    def poll_moments() -> int:
        """Every ten minutes: every unfinished moments task one step further (WeCom's job, then who published)."""
        found = moments.unfinished(context.uow())
        for tenant_id, moment_id in found:
            try:
                moments.advance_moment(context.uow(), context.secret_box, context.wecom_channel, tenant_id, moment_id)
            except DomainError as exc:  # one tenant's WeCom being down must not stop the others
                log.warning("moments task not advanced", tenant_id=tenant_id, moment_id=moment_id, code=exc.code)
        return len(found)
    # ---- end of moments ----

    return {
        "advance_mass_send": advance_mass_send,
        "mass_sends_everywhere": mass_sends_everywhere,
        "advance_journeys": advance_journeys,
        "scan_journey_triggers": scan_journey_triggers,
        "run_moment": run_moment,
        "poll_moments": poll_moments,
        "purge_expired_sessions": purge_expired_sessions,
        "heartbeat": heartbeat,
        "sync_warehouse": sync_warehouse,
        "sync_tenant_warehouse": sync_tenant_warehouse,
        "run_customer_import": run_customer_import,
        "run_order_import": run_order_import,
        "resume_imports": resume_imports,
        "refresh_wecom_contact": refresh_wecom_contact,
        "fetch_wecom_change": fetch_wecom_change,
        "send_welcome": send_welcome,
        "after_welcome": after_welcome,
        "warm_welcome_media": warm_welcome_media,
        "refresh_welcome_media": refresh_welcome_media,
        "rebind_contact_ways": rebind_contact_ways,
        "recheck_group_codes": recheck_group_codes,
        "simulate_demo_minute": simulate_demo_minute,
        "simulate_demo_customer": simulate_demo_customer,
        "run_wecom_sync": run_wecom_sync,
        "wecom_sync_everywhere": wecom_sync_everywhere,
        "run_transfer": run_transfer,
        "poll_transfers": poll_transfers,
        "match_orders": match_orders,
        "match_orders_everywhere": match_orders_everywhere,
        "rematch_add_friend_numbers": rematch_add_friend_numbers,
        "run_guide_task_rules": run_guide_task_rules,
        "remind_overdue_guide_tasks": remind_overdue_guide_tasks,
    }


def last_heartbeat(context: Context) -> datetime | None:
    raw = context.huey.storage.peek_data(HEARTBEAT_KEY)
    if raw is EmptyData or raw is None:
        return None
    try:
        return datetime.fromisoformat(raw.decode())
    except (AttributeError, ValueError):
        return None
