"""WeCom sign-in (OAuth) for guides: the link that starts it, and the callback that ends it in
a normal console session (rules and state format: :mod:`siyu.domain.wecom_sign_in`).

The callback spends the state first (its own commit), then exchanges the code through the
``Channel`` port on a channel opened with the self-built app's secret (``auth/getuserinfo``),
maps the WeCom userid to the tenant's staff member and that member's console user, and opens a
session. A staff member with no user yet gets a guide account (no usable password): guides
have no Siyu password, and a guide account sees only its own tasks and customers.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from siyu.adapters.channels.port import Channel
from siyu.adapters.channels.sandbox import SANDBOX_URL
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.secret_box import SecretBox
from siyu.config import Settings
from siyu.domain.access import Role, Scope
from siyu.domain.accounts import User
from siyu.domain.errors import Conflict, NotFound
from siyu.domain.organisation import StaffStatus, Tenant
from siyu.domain.wecom import DEFAULT_API_BASE_URL, WeComSecrets
from siyu.domain.wecom_sign_in import (
    SANDBOX_AUTHORIZE_PATH,
    STATE_SECONDS,
    WECOM_AUTHORIZE_URL,
    SignInRefused,
    authorize_url,
    callback_path,
    new_state,
    read_state,
)
from siyu.services.auth import SignedIn
from siyu.services.clock import utcnow
from siyu.services.credentials import new_token, token_hash
from siyu.services.passwords import hash_password
from siyu.services.wecom_settings import load_secrets

# Opens a channel as the self-built app: its secret (else the customer-contact one). Context.wecom_app_channel.
AppChannelFactory = Callable[[WeComSecrets], Channel]


@dataclass(frozen=True, slots=True)
class SignInStart:
    authorize_url: str
    nonce: str  # the browser keeps it in a cookie; the callback compares


def authorize_base(api_base_url: str) -> str:
    """Where WeCom's authorize page is for this tenant: WeCom's own for the real API, the
    console's sandbox page for the sandbox, and ``{api_base_url}/connect/oauth2/authorize``
    for anything else (the fake WeCom in tests)."""
    if api_base_url == DEFAULT_API_BASE_URL:
        return WECOM_AUTHORIZE_URL
    if api_base_url == SANDBOX_URL:
        return SANDBOX_AUTHORIZE_PATH
    return f"{api_base_url}/connect/oauth2/authorize"


def _tenant_and_secrets(uow: SqlUnitOfWork, box: SecretBox, slug: str) -> tuple[Tenant, WeComSecrets]:
    tenant = uow.tenants.find_by_slug(slug)
    if tenant is None:
        raise NotFound("wecom_sign_in.unknown_brand", "there is no brand at this address: check the link in the WeCom menu")
    found = load_secrets(uow, box, tenant.id)
    if found is None:
        raise SignInRefused("wecom_sign_in.not_set_up", "this brand has not linked WeCom to Siyu yet: ask an administrator")
    if found.agent_id is None:
        raise SignInRefused("wecom_sign_in.no_agent",
                            "the WeCom app's AgentId is missing in Siyu's WeCom settings: ask an administrator")
    return tenant, found


def start_sign_in(uow: SqlUnitOfWork, box: SecretBox, settings: Settings, slug: str, *, here: str | None = None,
                  now: datetime | None = None) -> SignInStart:
    """The authorize URL to send the browser to, with a fresh signed state. WeCom comes back to
    ``SIYU_BASE_URL`` (the app's trusted domain); the sandbox, which lives in this console, to
    ``here`` (the address the browser used), so the demo works on any host and port."""
    now = now or utcnow()
    with uow:
        tenant, found = _tenant_and_secrets(uow, box, slug)
    assert found.agent_id is not None
    state, parsed = new_state(settings.secret_key.encode(), tenant.id, int(now.timestamp()))
    base = here if here and found.api_base_url == SANDBOX_URL else settings.base_url
    redirect_uri = base.rstrip("/") + callback_path(tenant.slug)
    url = authorize_url(authorize_base(found.api_base_url), corp_id=found.corp_id, agent_id=found.agent_id,
                        redirect_uri=redirect_uri, state=state)
    return SignInStart(authorize_url=url, nonce=parsed.nonce)


def finish_sign_in(uow: SqlUnitOfWork, box: SecretBox, channels: AppChannelFactory, settings: Settings, slug: str, *,
                   code: str, state: str, browser_nonce: str | None, user_agent: str | None = None,
                   now: datetime | None = None) -> SignedIn:
    """The callback: state checked and spent, code exchanged, staff member and user found, session opened."""
    now = now or utcnow()
    with uow:
        tenant, found = _tenant_and_secrets(uow, box, slug)
        parsed = read_state(settings.secret_key.encode(), tenant.id, state, now=int(now.timestamp()), browser_nonce=browser_nonce)
        if not uow.wecom.use_sign_in_state(tenant.id, parsed.nonce, now):
            raise SignInRefused("wecom_sign_in.state_used", "this sign-in link was used already: open the page again from the WeCom menu")
        uow.commit()
    if not code:
        raise SignInRefused("wecom_sign_in.no_code", "WeCom did not sign you in (no code came back): open the page again from the WeCom menu")
    channel = channels(found)  # a channel as the self-built app: its secret's token (Context.wecom_app_channel)
    try:
        who = channel.oauth_user(code)
    finally:
        close = getattr(channel, "close", None)
        if close is not None:
            close()
    if not who.userid:
        raise SignInRefused("wecom_sign_in.not_member", "only members of this brand's WeCom can open this page")
    with uow:
        member = uow.staff.find_by_userid(tenant.id, who.userid)
        if member is None:
            raise SignInRefused("wecom_sign_in.unknown_staff",
                                "your WeCom account (%(userid)s) is not a staff member in Siyu: ask your store manager to add you",
                                userid=who.userid)
        if member.status is StaffStatus.RESIGNED:
            raise SignInRefused("wecom_sign_in.inactive_staff", "your staff record in Siyu is no longer active: ask your store manager")
        user = _user_for(uow, tenant.id, member.id, member.name, who.userid, now)
        token = new_token("sys")
        expires_at = now + timedelta(seconds=settings.session_max_age_seconds)
        uow.sessions.add(tenant_id=tenant.id, user_id=user.id, token_hash=token_hash(token), now=now, expires_at=expires_at,
                         user_agent=user_agent)
        uow.commit()
    return SignedIn(session_token=token, expires_at=expires_at, user=user)


def _user_for(uow: SqlUnitOfWork, tenant_id: int, staff_id: int, name: str, userid: str, now: datetime) -> User:
    """The staff member's active console user; a new guide account when they have none. Two
    first sign-ins of one guide at once both find none: the one whose account comes second finds
    the login taken (the unique constraint) and signs in to the other's."""
    found = _linked_user(uow, tenant_id, staff_id)
    if found is not None:
        return found
    # Nobody signs in to this account with a password: its hash is of a random secret thrown away.
    added = uow.users.add_unless_taken(tenant_id, now=now, login=f"wecom:{tenant_id}:{userid}"[:120], name=name,
                                       password_hash=hash_password(secrets.token_urlsafe(32)), role=Role.GUIDE.value,
                                       staff_id=staff_id, locale="zh_CN")
    found = added or _linked_user(uow, tenant_id, staff_id)
    if found is None:  # the login belongs to a user no longer linked to this staff member
        raise Conflict("record.concurrent_write", "this clashes with a record saved at the same moment; reload and retry")
    return found


def _linked_user(uow: SqlUnitOfWork, tenant_id: int, staff_id: int) -> User | None:
    linked = [u for u in (uow.users.get(Scope(tenant_id), i) for i in uow.users.ids_for_staff(tenant_id, staff_id)) if u is not None]
    active = [u for u in linked if u.is_active]
    if active:
        return min(active, key=lambda u: u.id)
    if linked:
        raise SignInRefused("wecom_sign_in.account_disabled", "your Siyu account is disabled: ask your store manager")
    return None
