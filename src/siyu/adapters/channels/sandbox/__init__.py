"""``SandboxChannel``: an in-process WeCom that behaves like the real one.

The simulated corp (:class:`~siyu.adapters.channels.sandbox.corp.Corp`) holds staff,
customers, tags, groups, contact ways, welcome codes and transfers, and answers the same
endpoints with WeCom's validation, limits and errcodes (and the same fault switches).
``SandboxChannel`` is ``WeComChannel`` itself over an in-process transport
(``httpx.MockTransport``), so tokens, retries and typed errors run the very code that talks
to WeCom — only the sockets are missing. ``siyu.testing.fake_wecom.FakeWeCom`` serves the same
simulation over real HTTP.

Customers who scan codes, add staff and delete them: :mod:`.simulator` (seeded; the live demo
drives it, ``siyu.services.demo.live``). Not simulated: timeouts (an in-process call cannot
time out; a slow-answer fault only stalls it).
"""

from __future__ import annotations

import json

import httpx

from siyu.adapters.channels.sandbox.api import answer
from siyu.adapters.channels.sandbox.corp import Corp, Faults
from siyu.adapters.channels.sandbox.media import SandboxMediaSource, parse_multipart
from siyu.adapters.channels.wecom.channel import WeComChannel
from siyu.adapters.channels.wecom.client import RetryPolicy, TokenCache, WeComClient, WeComConnection

SANDBOX_URL = "http://wecom.sandbox"


def _transport(corp: Corp) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            status, payload = answer(corp, request.url.path, params, parse_multipart(content_type, request.content))
            return httpx.Response(status, json=payload)
        try:
            body = json.loads(request.content) if request.content else {}
        except ValueError:
            return httpx.Response(200, json={"errcode": 47001, "errmsg": "data format error"})
        status, payload = answer(corp, request.url.path, params, body if isinstance(body, dict) else {})
        return httpx.Response(status, json=payload)

    return httpx.MockTransport(handle)


class SandboxChannel(WeComChannel):
    def __init__(self, corp: Corp, *, secret: str | None = None, corp_id: str | None = None, retry: RetryPolicy | None = None,
                 tokens: TokenCache | None = None) -> None:
        connection = WeComConnection(corp_id or corp.corp_id, secret if secret is not None else corp.secret, base_url=SANDBOX_URL)
        http = httpx.Client(transport=_transport(corp))
        super().__init__(WeComClient(connection, tokens=tokens, http=http, retry=retry), media_source=SandboxMediaSource(corp))
        self.corp = corp
        self._http = http

    def close(self) -> None:
        self._http.close()


__all__ = ["Corp", "Faults", "SandboxChannel"]
