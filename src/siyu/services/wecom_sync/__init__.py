"""The WeCom sync: staff, corp tags (both ways), customers and relations, customer groups.

A run is a row (``wecom_sync_runs``) that walks its steps in order and writes its position
(step, chunk of 100 staff, WeCom's cursor) in the same transaction as each page's changes,
so an interrupted run (WeCom down past the client's retries, the process killed) resumes at
the first page it had not committed, and nothing is counted twice.

- staff: ``get_follow_user_list``; each userid mapped to a staff member by ``wecom_userid``;
  the ones Siyu does not know are reported (``unknown_userids``) and skipped.
- tags: WeCom's corp tag groups and tags become Siyu tag groups and tags (linked by id, or by
  name the first time); Siyu tags WeCom does not have are created there (``add_corp_tag``).
- customers: ``batch/get_by_user`` (100 staff per call, every cursor). Every customer goes
  through OneID (``wecom_external`` + ``unionid``); the relation takes remark, description,
  state, add_way and createtime; WeCom's tags on the relation are applied in Siyu (source
  ``wecom_sync``), and Siyu's own tags on the customer are pushed to the relation
  (``mark_tag``). A ``wecom_sync`` tag WeCom no longer shows on the owner's relation is removed.
- groups: ``groupchat/list`` by owner (100 per call) and ``groupchat/get`` each.
- ending: active relations of the synced staff that this run did not see are ended
  (``ended``: WeCom no longer reports them; who ended them is unknown).

Full and incremental runs read the same (WeCom has no "changed since" for customers); an
incremental run skips the writes for a relation whose fingerprint (a hash of what WeCom and
Siyu said last time) is unchanged. WeCom's limits: the client retries -1/45009/45033 with
backoff; a run makes one call per 100 relations, far under 10,000 calls a minute.
"""

from __future__ import annotations

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import ChannelError, InvalidInput, NotFound
from siyu.domain.paging import Page, PageRequest
from siyu.domain.wecom_sync import SyncRun, SyncStatus, SyncStep
from siyu.services.clock import utcnow
from siyu.services.wecom_settings import ChannelFactory, open_channel
from siyu.services.wecom_sync.run import ACTOR, Sync

__all__ = ["ACTOR", "due_tenants", "get_sync", "list_syncs", "run_sync", "start_scheduled", "start_sync"]


# ---- what people call ---------------------------------------------------------------------


def start_sync(uow: SqlUnitOfWork, actor: Actor, *, full: bool) -> SyncRun:
    """A new run, or the unfinished one (a run in progress or interrupted is resumed, never doubled)."""
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        if uow.wecom.sealed(actor.tenant_id) is None:
            raise InvalidInput("wecom_sync.not_linked", "WeCom is not set up for this brand: enter its settings first", field="corp_id")
        existing = uow.wecom_sync.unfinished(actor.tenant_id)
        if existing is not None:
            return existing
        run_id = uow.wecom_sync.add_run(actor.tenant_id, full=full, actor=actor.name or f"user:{actor.user_id}", now=utcnow(),
                                        position={"step": SyncStep.STAFF.value})
        uow.commit()
        run = uow.wecom_sync.get_run(actor.tenant_id, run_id)
    assert run is not None
    return run


def get_sync(uow: SqlUnitOfWork, actor: Actor, run_id: int) -> SyncRun:
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        run = uow.wecom_sync.get_run(actor.tenant_id, run_id)
    if run is None:
        raise NotFound("wecom_sync.not_found", "no WeCom sync run %(id)s", id=run_id)
    return run


def list_syncs(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[SyncRun]:
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        return uow.wecom_sync.runs(actor.tenant_id, request)


def run_sync(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int, run_id: int) -> SyncRun:
    """Run (or resume) a run to its end. WeCom failing mid-way leaves it ``interrupted`` at
    the last committed page, with the reason; running it again carries on from there."""
    with uow:
        run = uow.wecom_sync.get_run(tenant_id, run_id)
    if run is None:
        raise NotFound("wecom_sync.not_found", "no WeCom sync run %(id)s", id=run_id)
    if run.status in (SyncStatus.DONE, SyncStatus.FAILED):
        return run
    channel = open_channel(uow, box, channels, tenant_id)
    sync = Sync(uow, channel, run)
    try:
        sync.run()
    except ChannelError as exc:
        sync.stop(SyncStatus.INTERRUPTED if exc.retryable else SyncStatus.FAILED, exc.message)
    with uow:
        done = uow.wecom_sync.get_run(tenant_id, run_id)
    assert done is not None
    return done


def due_tenants(uow: SqlUnitOfWork) -> list[int]:
    """Tenants linked to WeCom, for the scheduled incremental sync."""
    with uow:
        return uow.wecom_sync.linked_tenants()


def start_scheduled(uow: SqlUnitOfWork, tenant_id: int) -> int:
    """The scheduled run of one tenant: an incremental run, or its unfinished one."""
    with uow:
        existing = uow.wecom_sync.unfinished(tenant_id)
        if existing is not None:
            return existing.id
        run_id = uow.wecom_sync.add_run(tenant_id, full=False, actor="schedule", now=utcnow(), position={"step": SyncStep.STAFF.value})
        uow.commit()
        return run_id


