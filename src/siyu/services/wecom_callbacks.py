"""WeCom callbacks: verify, decrypt, dedupe, record, apply — and answer at once.

WeCom waits 5 seconds for an answer and then retries, up to 3 times; anyone holding a captured
genuine callback can replay it. So every event is recorded under a key computed from its
decrypted content (:attr:`WeComEvent.key`) with a unique index: the first delivery records
and applies it in one transaction; any later delivery finds the key, counts the delivery,
and changes nothing else. Two deliveries racing each other meet at the unique index and the
loser is treated as the duplicate it is. Slow work (fetching the contact's details, the tag or group a tag or group-chat event names) is queued
after the commit, so it never holds the answer up.

A callback that fails any check (unknown tenant, WeCom not configured, bad signature, broken
ciphertext, another corp's receive id, bad XML) raises ``CallbackRejected``, is logged, and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from siyu.adapters.channels.wecom.crypto import CallbackCrypto
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.errors import InvalidInput
from siyu.domain.wecom import CallbackRejected, WeComEvent
from siyu.services.clock import utcnow
from siyu.services.wecom_events import apply_event
from siyu.services.wecom_settings import load_secrets

log = structlog.get_logger("siyu.wecom.callbacks")
Enqueue = Callable[[int, str], object]  # (tenant_id, external_userid) -> a queued refresh
EnqueueWelcome = Callable[[int, int, str, str], object]  # (tenant_id, send_id, welcome_code, external_userid)
EnqueueFetch = Callable[[int, str, str], object]  # (tenant_id, tag | tag_group | chat | chat_create, WeCom id): services.wecom_events.fetch_change


@dataclass(frozen=True, slots=True)
class CallbackResult:
    tenant_id: int
    event_key: str | None
    duplicate: bool
    outcome: str
    refresh_queued: bool = False


def _crypto_for(uow: SqlUnitOfWork, box: SecretBox, tenant_slug: str) -> tuple[int, CallbackCrypto]:
    with uow:
        tenant = uow.tenants.find_by_slug(tenant_slug)
        try:
            secrets = load_secrets(uow, box, tenant.id) if tenant else None
        except InvalidInput as exc:  # sealed under another SIYU_SECRET_KEY
            raise CallbackRejected("callback.secret_unreadable", "this tenant's stored callback secrets cannot be read with this server's SIYU_SECRET_KEY") from None
    if tenant is None:
        raise CallbackRejected("callback.no_tenant", "no such tenant")
    if secrets is None or not secrets.callback_token or not secrets.encoding_aes_key:
        raise CallbackRejected("callback.not_set_up", "this tenant has no callback Token and EncodingAESKey set")
    return tenant.id, CallbackCrypto(secrets.callback_token, secrets.encoding_aes_key, secrets.corp_id)


def _rejected(tenant_slug: str, exc: CallbackRejected, **where: object) -> CallbackRejected:
    log.warning("wecom callback rejected", tenant=tenant_slug, reason=exc.message, **where)
    return exc


def verify_url(uow: SqlUnitOfWork, box: SecretBox, tenant_slug: str, *, msg_signature: str, timestamp: str, nonce: str,
               echostr: str, client: str | None = None) -> str:
    """WeCom's URL check when an admin saves the callback URL: the decrypted echostr, bare."""
    try:
        tenant_id, crypto = _crypto_for(uow, box, tenant_slug)
        # a '+' sent unencoded arrives as a space; base64 has no spaces, so put it back
        plain = crypto.verify_url(msg_signature, timestamp, nonce, echostr.replace(" ", "+"))
    except CallbackRejected as exc:
        raise _rejected(tenant_slug, exc, check="url", client=client) from None
    with uow:  # the setup check reports whether WeCom has verified the URL
        uow.wecom.mark_callback_verified(tenant_id, utcnow())
        uow.commit()
    return plain


def receive_callback(uow: SqlUnitOfWork, box: SecretBox, tenant_slug: str, *, msg_signature: str, timestamp: str,
                     nonce: str, body: bytes, enqueue: Enqueue | None = None, client: str | None = None,
                     enqueue_welcome: EnqueueWelcome | None = None, enqueue_fetch: EnqueueFetch | None = None) -> CallbackResult:
    try:
        tenant_id, crypto = _crypto_for(uow, box, tenant_slug)
        fields = crypto.open_message(body, msg_signature, timestamp, nonce)
    except CallbackRejected as exc:
        raise _rejected(tenant_slug, exc, check="message", client=client) from None
    try:
        event = WeComEvent.parse(fields)
    except InvalidInput as exc:  # genuine, but not an event (a chat message to the app): acknowledge
        return CallbackResult(tenant_id, None, False, f"ignored: {exc.message}")
    result, refresh, welcome_send_id, fetch = _record(uow, tenant_id, event)
    if fetch is not None and enqueue_fetch is not None:
        try:
            enqueue_fetch(tenant_id, *fetch)
        except Exception as exc:  # noqa: BLE001 - the event is recorded; the next sync brings tags and groups up to date
            log.error("wecom change fetch could not be queued", tenant_id=tenant_id, error=type(exc).__name__)
    if welcome_send_id is not None and enqueue_welcome is not None:  # first: it has 20 seconds
        try:
            enqueue_welcome(tenant_id, welcome_send_id, event.get("WelcomeCode") or "", event.get("ExternalUserID") or "")
        except Exception as exc:  # noqa: BLE001 - the add is recorded; the send stays queued in the log
            log.error("wecom welcome could not be queued", tenant_id=tenant_id, error=type(exc).__name__)
    if refresh and enqueue is not None:
        try:
            enqueue(tenant_id, event.get("ExternalUserID") or "")
        except Exception as exc:  # noqa: BLE001 - the event is recorded; a later sync repairs the details
            log.error("wecom refresh could not be queued", tenant_id=tenant_id, error=type(exc).__name__)
            return result
        return CallbackResult(tenant_id, result.event_key, False, result.outcome, refresh_queued=True)
    return result


def _record(uow: SqlUnitOfWork, tenant_id: int, event: WeComEvent) -> tuple[CallbackResult, bool, int | None, tuple[str, str] | None]:
    key, now = event.key, utcnow()
    # A clash with a concurrent write (Conflict) rolls everything back, receipt included:
    # the error answer makes WeCom deliver the event again.
    with uow:
        first = uow.wecom.record_delivery(
            tenant_id, event_key=key, received_at=now, event=event.event[:40], change_type=event.change_type[:40],
            wecom_userid=(event.get("UserID") or "")[:64] or None,
            external_userid=(event.get("ExternalUserID") or "")[:64] or None,
            chat_id=(event.get("ChatId") or "")[:64] or None, occurred_at=event.created_at,
            payload=event.fields, outcome="recorded",
        )
        if not first:
            uow.commit()
            return CallbackResult(tenant_id, key, True, "duplicate"), False, None, None
        applied = apply_event(uow, tenant_id, event)
        uow.wecom.set_outcome(tenant_id, key, applied.outcome)
        uow.commit()
    return CallbackResult(tenant_id, key, False, applied.outcome), applied.refresh, applied.welcome_send_id, applied.fetch
