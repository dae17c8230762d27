"""The fake WeCom's HTTP server: stdlib ``http.server`` on 127.0.0.1, an ephemeral port.

A threading server (one thread per connection), so a slow-answer fault stalls only the call
it hits. Every call is logged in ``corp.calls`` (path and arguments, tokens and secrets left
out) so tests can count, for instance, how often a token was fetched.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from siyu.testing.fake_wecom import acquisition  # noqa: F401 - registers its endpoints
from siyu.testing.fake_wecom.handlers import HANDLERS
from siyu.testing.fake_wecom.state import Corp, Fail, ServerError

TOKEN_PATH = "/cgi-bin/gettoken"
_SECRET_PARAMS = {"access_token", "corpsecret"}


class FakeWeCom:
    """``with FakeWeCom(corp_id, secret) as fake: fake.url ...`` — seed ``fake.corp``, flip
    ``fake.corp.faults``, and point a ``WeComConnection`` at ``fake.url``."""

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
        self._answer(body={})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
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
        path, params = split.path, dict(parse_qsl(split.query))
        corp = self.corp
        with corp.lock:
            corp.calls.append((path, {**{k: v for k, v in params.items() if k not in _SECRET_PARAMS}, **body}))
        try:
            delay = corp.pre_checks(path)
            if delay:
                time.sleep(delay)
            with corp.lock:
                if path == TOKEN_PATH:
                    token = corp.issue_token(params.get("corpid", ""), params.get("corpsecret", ""))
                    result: dict[str, Any] = {"access_token": token.value, "expires_in": int(token.expires_at - corp.clock())}
                else:
                    handler = HANDLERS.get(path)
                    if handler is None:
                        self._json({"errcode": 404, "errmsg": f"fake wecom does not speak {path}"}, status=404)
                        return
                    corp.check_token(params.get("access_token"))
                    result = handler(corp, params, body)
        except Fail as fail:
            self._json({"errcode": fail.errcode, "errmsg": fail.errmsg})
            return
        except ServerError as error:
            self._json({"error": "bad gateway"}, status=error.status)
            return
        self._json({"errcode": 0, "errmsg": "ok", **result})

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
