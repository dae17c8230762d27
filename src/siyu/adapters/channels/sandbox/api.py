"""One simulated WeCom call: fault switches, token check, endpoint — the HTTP status and JSON
WeCom would answer. Both faces of the simulation use it: :class:`SandboxChannel` in-process,
and ``siyu.testing.fake_wecom.FakeWeCom`` over real HTTP."""

from __future__ import annotations

import time
from typing import Any

from siyu.adapters.channels.sandbox import acquisition  # noqa: F401 - registers its endpoints
from siyu.adapters.channels.sandbox import join_ways  # noqa: F401 - registers its endpoints
from siyu.adapters.channels.sandbox import mass_send  # noqa: F401 - registers its endpoints
from siyu.adapters.channels.sandbox import media  # noqa: F401 - registers its endpoints
from siyu.adapters.channels.sandbox import moments  # noqa: F401 - registers its endpoints
from siyu.adapters.channels.sandbox import oauth  # noqa: F401 - registers its endpoints
from siyu.adapters.channels.sandbox.corp import Corp, Fail, ServerError
from siyu.adapters.channels.sandbox.customers import HANDLERS

TOKEN_PATH = "/cgi-bin/gettoken"
_SECRET_PARAMS = {"access_token", "corpsecret"}


def _logged(body: dict[str, Any]) -> dict[str, Any]:
    """An upload is logged by its file's name, type and size, not its bytes."""
    return {k: ({**{f: x for f, x in v.items() if f != "data"}, "size": len(v["data"])} if isinstance(v, dict) and "data" in v else v)
            for k, v in body.items()}


def answer(corp: Corp, path: str, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    with corp.lock:  # the call log leaves tokens and secrets out
        corp.calls.append((path, {**{k: v for k, v in params.items() if k not in _SECRET_PARAMS}, **_logged(body)}))
    try:
        delay = corp.pre_checks(path)
        if delay:
            time.sleep(delay)
        with corp.lock:
            if path == TOKEN_PATH:
                token = corp.issue_token(params.get("corpid", ""), params.get("corpsecret", ""))
                return 200, {"errcode": 0, "errmsg": "ok", "access_token": token.value,
                             "expires_in": int(token.expires_at - corp.clock())}
            handler = HANDLERS.get(path)
            if handler is None:
                return 404, {"errcode": 404, "errmsg": f"the WeCom simulation does not speak {path}"}
            corp.check_token(params.get("access_token"))
            return 200, {"errcode": 0, "errmsg": "ok", **handler(corp, params, body)}
    except Fail as fail:
        return 200, {"errcode": fail.errcode, "errmsg": fail.errmsg}
    except ServerError as error:
        return error.status, {"error": "bad gateway"}
