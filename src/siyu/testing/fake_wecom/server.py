"""The fake WeCom's HTTP server: stdlib ``http.server`` on 127.0.0.1, an ephemeral port,
serving the WeCom simulation of :mod:`siyu.adapters.channels.sandbox`, the brand's files
(``GET /files/<name>``, kept with ``host_file``) that materials point at, and the QR code images
of contact ways and join ways (``GET /fake/<config_id>``).

A threading server (one thread per connection), so a slow-answer fault stalls only the call
it hits. Every call is logged in ``corp.calls`` (path and arguments, tokens and secrets left
out) so tests can count, for instance, how often a token was fetched.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from siyu.adapters.channels.sandbox.api import answer
from siyu.adapters.channels.sandbox.corp import Corp, Fail
from siyu.adapters.channels.sandbox.media import FILES_PREFIX, QR_PREFIX, hosted, parse_multipart
from siyu.adapters.channels.sandbox.oauth import authorize

AUTHORIZE_PATH = "/connect/oauth2/authorize"  # open.weixin.qq.com's, served here too


class FakeWeCom:
    """``with FakeWeCom(corp_id, secret) as fake: fake.url ...`` — seed ``fake.corp``, flip
    ``fake.corp.faults``, and point a ``WeComConnection`` at ``fake.url``. Sign-in: set
    ``fake.corp.app_secret``/``agent_id`` and ``oauth_member``, and open
    ``fake.url + AUTHORIZE_PATH`` as open.weixin.qq.com's authorize URL."""

    def __init__(self, corp_id: str = "wwfake0000000001", secret: str = "fake-contact-secret-0001", **corp: Any) -> None:
        self.corp = Corp(corp_id=corp_id, secret=secret, **corp)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWeCom:
        corp = self.corp

        class Handler(_Handler):
            pass

        Handler.corp = corp
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        corp.qr_base = self.url  # WeCom's QR images of ways, served here (GET /fake/<config_id>)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-wecom", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeWeCom:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    corp: Corp
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        return  # quiet: tests read corp.calls instead

    def do_GET(self) -> None:  # noqa: N802 - stdlib's name
        split = urlsplit(self.path)
        if split.path == AUTHORIZE_PATH:
            self._authorize(dict(parse_qsl(split.query)))
            return
        if split.path.startswith((FILES_PREFIX, QR_PREFIX)):  # the brand's files (material URLs), WeCom's QR images
            self._file(split.path)
            return
        self._answer(body={})

    def _authorize(self, params: dict[str, str]) -> None:
        """WeCom's sign-in page, for ``corp.oauth_member`` (who is signed in to the client):
        a 302 to ``redirect_uri?code&state``, or WeCom's error as JSON."""
        try:
            location = authorize(self.corp, params, userid=self.corp.oauth_member)
        except Fail as fail:
            self._json({"errcode": fail.errcode, "errmsg": fail.errmsg})
            return
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _file(self, path: str) -> None:
        found = hosted(self.corp, path)
        status, content_type, data = (200, *found) if found else (404, "text/plain", b"not found")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        if content_type.startswith("multipart/form-data"):
            self._answer(body=parse_multipart(content_type, raw))
            return
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            self._json({"errcode": 47001, "errmsg": "data format error"})
            return
        self._answer(body=body)

    def _answer(self, *, body: dict[str, Any]) -> None:
        split = urlsplit(self.path)
        status, payload = answer(self.corp, split.path, dict(parse_qsl(split.query)), body)
        self._json(payload, status=status)

    def _json(self, payload: dict[str, Any], *, status: int = 200) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a timeout test): nothing to answer
