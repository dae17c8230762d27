"""A tenant's WeCom settings: set by an admin, sealed at rest, never shown back in full.

The secrets (customer-contact secret, callback Token, EncodingAESKey) are sealed with the
app's key (:class:`~siyu.adapters.secret_box.SecretBox`); reading the settings gives hints
(``••••••••1a2b``), and only the product itself (channel, callback check) opens them.
"""

from __future__ import annotations

from collections.abc import Callable

from siyu.adapters.channels.port import Channel
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.paging import Page, PageRequest
from siyu.domain.wecom import CallbackReceipt, WeComSecrets, WeComSettings, WeComSettingsDraft
from siyu.services.clock import utcnow

ChannelFactory = Callable[[WeComSecrets], Channel]
_SECRETS = ("contact_secret", "callback_token", "encoding_aes_key", "app_secret")


def get_wecom_settings(uow: SqlUnitOfWork, actor: Actor) -> WeComSettings:
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        found = uow.wecom.settings(actor.tenant_id)
    if found is None:
        raise NotFound("wecom.not_set_up", "WeCom is not set up for this brand yet")
    return found


def save_wecom_settings(uow: SqlUnitOfWork, box: SecretBox, actor: Actor, draft: WeComSettingsDraft) -> WeComSettings:
    """Create or change the settings. A secret left empty keeps the stored one."""
    actor.require(Permission.WECOM_MANAGE)
    values: dict[str, object] = {
        "corp_id": draft.corp_id, "agent_id": draft.agent_id, "api_base_url": draft.api_base_url,
        "updated_at": utcnow(), "updated_by": actor.name or f"user:{actor.user_id}",
    }
    for name in _SECRETS:
        secret = getattr(draft, name)
        if secret is not None:
            values[name] = box.seal(secret)
            values[f"{name}_tail"] = secret[-4:]
    with uow:
        uow.wecom.save_settings(actor.tenant_id, values)
        saved = uow.wecom.settings(actor.tenant_id)
        uow.commit()
    assert saved is not None
    return saved


def list_callbacks(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[CallbackReceipt]:
    """The events WeCom delivered, newest first, each with what Siyu did with it."""
    actor.require(Permission.WECOM_MANAGE)
    with uow:
        return uow.wecom.receipts(actor.tenant_id, request)


def load_secrets(uow: SqlUnitOfWork, box: SecretBox, tenant_id: int) -> WeComSecrets | None:
    """The opened settings, for the product's own use (inside the caller's unit of work)."""
    row = uow.wecom.sealed(tenant_id)
    if row is None:
        return None
    opened = {name: box.open(row[name], field=name) if row[name] else None for name in _SECRETS}
    return WeComSecrets(corp_id=row["corp_id"], agent_id=row["agent_id"], api_base_url=row["api_base_url"], **opened)


def open_channel(uow: SqlUnitOfWork, box: SecretBox, channels: ChannelFactory, tenant_id: int) -> Channel:
    """A channel for this tenant's WeCom, or a clear error saying what is missing."""
    with uow:
        secrets = load_secrets(uow, box, tenant_id)
    if secrets is None:
        raise InvalidInput("wecom.no_corp", "WeCom is not set up for this brand: enter the corp ID and secret under WeCom settings", field="corp_id")
    if secrets.contact_secret is None:
        raise InvalidInput("wecom.no_secret", "the customer-contact secret is missing: enter it under WeCom settings", field="contact_secret")
    return channels(secrets)
