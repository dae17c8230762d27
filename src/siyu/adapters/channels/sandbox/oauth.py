"""The simulated WeCom's sign-in (网页授权, OAuth2 ``snsapi_base``).

- :func:`authorize` is what ``open.weixin.qq.com/connect/oauth2/authorize`` does for the member
  signed in to the WeCom client: it checks the corp and the AgentId, issues a code and sends
  the browser to ``redirect_uri?code=CODE&state=STATE``. The fake WeCom serves it over HTTP;
  the console's sandbox page (the demo) calls it in-process.
- ``/cgi-bin/auth/getuserinfo`` exchanges a code, once, within 5 minutes, for ``userid`` (a
  member) or ``openid`` (anyone else); a used, expired or unknown code answers 40029, as WeCom
  does. It takes the self-built app's token: a customer-contact token answers 50001 (the
  simulation's reading of WeCom's rule that the redirect domain must be the token's app's
  trusted domain, and the customer-contact app has none).
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from siyu.adapters.channels.sandbox.corp import Corp, Fail, need
from siyu.adapters.channels.sandbox.customers import route

OAUTH_CODE_SECONDS = 300


def issue_oauth_code(corp: Corp, userid: str, *, agent_id: int | None = None) -> str:
    code = secrets.token_urlsafe(24)
    with corp.lock:
        corp.oauth_codes[code] = {"userid": userid, "agent_id": agent_id, "issued": corp.clock(), "used": False}
    return code


def authorize(corp: Corp, params: dict[str, str], *, userid: str | None) -> str:
    """The URL WeCom sends the browser to, for ``userid`` signed in to the client. Raises
    :class:`Fail` for what WeCom shows as an error page instead."""
    need(params.get("appid") == corp.corp_id, 40013, "invalid corpid")
    need(params.get("response_type") == "code", 40058, "response_type: code")
    need(params.get("scope") in ("snsapi_base", "snsapi_privateinfo"), 40058, "scope: snsapi_base or snsapi_privateinfo")
    redirect = params.get("redirect_uri", "")
    need(urlsplit(redirect).scheme in ("http", "https") and bool(urlsplit(redirect).netloc), 40058, "redirect_uri: an absolute URL")
    agent = params.get("agentid", "")
    if corp.agent_id is not None:
        need(agent == str(corp.agent_id), 40056, "invalid agentid")
    need(bool(userid), 60011, "no member is signed in to the WeCom client")
    code = issue_oauth_code(corp, str(userid), agent_id=int(agent) if agent.isdigit() else None)
    query = urlencode({"code": code, "state": params.get("state", "")})
    return f"{redirect}{'&' if '?' in redirect else '?'}{query}"


@route("/cgi-bin/auth/getuserinfo")
def getuserinfo(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    token = corp.tokens.get(params.get("access_token", ""))
    if token is None or not token.app:
        raise Fail(50001, "redirect_url not authorised for this access_token's app")
    found = corp.oauth_codes.get(params.get("code", ""))
    if found is None or found["used"] or corp.clock() - found["issued"] > OAUTH_CODE_SECONDS:
        raise Fail(40029, "invalid code")
    found["used"] = True
    userid = found["userid"]
    if userid in corp.users or corp.lenient:
        if corp.oauth_legacy_answer:
            return {"UserId": userid, "DeviceId": ""}
        return {"userid": userid}
    return {"openid": f"o{secrets.token_hex(12)}"}
