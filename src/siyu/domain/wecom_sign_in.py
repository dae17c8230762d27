"""Signing guides in from WeCom (企业微信网页授权, OAuth2 ``snsapi_base``): the rules.

The link in the app's menu or workbench is Siyu's ``/m/wecom/{tenant}/login``; it sends the
browser to WeCom's authorize URL with a ``state`` that is:

- signed (HMAC-SHA256 with a key derived from the app's secret key) over the tenant, a random
  nonce and the time it was issued, so nobody can make one;
- short-lived (:data:`STATE_SECONDS`) and bound to the browser that started the sign-in (the
  nonce is also in a cookie), so a callback URL captured or planted in another browser fails;
- single-use: the service records the nonce when it is spent (a unique key).

WeCom allows at most 128 bytes of ``[A-Za-z0-9]`` in ``state``: a state here is 74 of them
(24 nonce, 10 issue time, 40 signature).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from urllib.parse import urlencode

from siyu.domain.errors import DomainError

WECOM_AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
SANDBOX_AUTHORIZE_PATH = "/sandbox/wecom/authorize"  # the console's stand-in for open.weixin.qq.com (the demo)
STATE_SECONDS = 600
_ALPHABET = string.ascii_letters + string.digits
_STATE = re.compile(r"([A-Za-z0-9]{24})([0-9]{10})([0-9a-f]{40})")


class SignInRefused(DomainError):
    """A WeCom sign-in that cannot go on; the page says why, in the guide's words."""

    kind = "sign_in_refused"


@dataclass(frozen=True, slots=True)
class SignInState:
    nonce: str
    issued_at: int


def _mac(key: bytes, tenant_id: int, nonce: str, issued_at: int) -> str:
    derived = hashlib.sha256(b"siyu/wecom-sign-in/" + key).digest()
    return hmac.new(derived, f"{tenant_id}|{nonce}|{issued_at}".encode(), hashlib.sha256).hexdigest()[:40]


def new_state(key: bytes, tenant_id: int, now: int) -> tuple[str, SignInState]:
    nonce = "".join(secrets.choice(_ALPHABET) for _ in range(24))
    return f"{nonce}{now:010d}{_mac(key, tenant_id, nonce, now)}", SignInState(nonce, now)


def read_state(key: bytes, tenant_id: int, state: str, *, now: int, browser_nonce: str | None) -> SignInState:
    """The state's nonce, if the state is genuine, this tenant's, fresh and this browser's."""
    found = _STATE.fullmatch(state or "")
    if found is None:
        raise SignInRefused("wecom_sign_in.bad_state", "this sign-in link is not one Siyu made: open the page again from the WeCom menu")
    nonce, issued = found.group(1), int(found.group(2))
    if not hmac.compare_digest(found.group(3), _mac(key, tenant_id, nonce, issued)):
        raise SignInRefused("wecom_sign_in.bad_state", "this sign-in link is not one Siyu made: open the page again from the WeCom menu")
    if now - issued > STATE_SECONDS or issued - now > 60:
        raise SignInRefused("wecom_sign_in.expired", "this sign-in link has expired: open the page again from the WeCom menu")
    if not browser_nonce or not hmac.compare_digest(browser_nonce, nonce):
        raise SignInRefused("wecom_sign_in.other_browser",
                            "this sign-in was started in another browser: open the page again from the WeCom menu")
    return SignInState(nonce, issued)


def authorize_url(base: str, *, corp_id: str, agent_id: int, redirect_uri: str, state: str) -> str:
    """WeCom's authorize URL (``#wechat_redirect`` last, as WeCom requires)."""
    query = urlencode({"appid": corp_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": "snsapi_base",
                       "state": state, "agentid": str(agent_id)})
    return f"{base}?{query}#wechat_redirect"


def callback_path(tenant_slug: str) -> str:
    return f"/m/wecom/{tenant_slug}/callback"


def login_path(tenant_slug: str) -> str:
    return f"/m/wecom/{tenant_slug}/login"


def sign_in_url(base_url: str, tenant_slug: str) -> str:
    """The link an admin puts in the WeCom app's menu or workbench."""
    return base_url.rstrip("/") + login_path(tenant_slug)
