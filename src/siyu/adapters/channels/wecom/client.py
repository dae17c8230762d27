"""The WeCom HTTP transport: access tokens, retries and errcodes, for every endpoint.

- HTTP through ``httpx`` (one pooled client, explicit timeouts).
- Retries through ``tenacity``: exponential backoff with jitter on WeCom's -1 (busy),
  45009 (frequency) and 45033 (concurrency), on 5xx and on timeouts; 3 retries at most, as
  WeCom advises. A read timeout is retried only for calls that are safe to repeat: a
  timed-out ``add_contact_way`` may have made a code already, so it is reported, not repeated.
- Access tokens cached per (base URL, corp, secret) in a :class:`TokenCache` shared by the
  process; on 40014/42001/41001 the token is dropped, fetched again, and the call retried once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from tenacity import RetryError, Retrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

from siyu.adapters.channels.wecom.errors import (
    TOKEN_ERRCODES,
    WeComError,
    WeComRetryable,
    WeComTimeout,
    WeComTokenError,
    WeComUnavailable,
    error_for,
)

log = structlog.get_logger("siyu.wecom")
TOKEN_PATH = "/cgi-bin/gettoken"


@dataclass(frozen=True)
class WeComConnection:
    """Where and as whom to call WeCom. The secret never appears in a repr or a log."""

    corp_id: str
    secret: str = field(repr=False)
    base_url: str = "https://qyapi.weixin.qq.com"

    @property
    def cache_key(self) -> tuple[str, str, str]:
        return (self.base_url, self.corp_id, hashlib.sha256(self.secret.encode()).hexdigest())


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first call and 3 retries
    initial_wait: float = 0.5
    max_wait: float = 8.0
    jitter: float = 0.5
    timeout: float = 10.0  # seconds per HTTP call


class TokenCache:
    """Access tokens per (base URL, corp, secret), refreshed 5 minutes before they expire.

    One fetch at a time per key (WeCom blocks callers that ask for tokens too often), and a
    stale token is only dropped if it is still the cached one, so two threads that both saw
    it fail do not throw away the fresh token the first one fetched.
    """

    EARLY = 300.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: tuple[str, str, str], fetch: Callable[[], tuple[str, int]]) -> str:
        cached = self._tokens.get(key)
        if cached and cached[1] > self._clock():
            return cached[0]
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._tokens.get(key)
            if cached and cached[1] > self._clock():
                return cached[0]
            token, expires_in = fetch()
            self._tokens[key] = (token, self._clock() + max(expires_in - self.EARLY, expires_in / 2))
            return token

    def drop(self, key: tuple[str, str, str], token: str) -> None:
        with self._guard:
            cached = self._tokens.get(key)
            if cached and cached[0] == token:
                del self._tokens[key]


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, WeComRetryable)


class WeComClient:
    """Calls one WeCom app (corp + secret). Returns the JSON body of an ``errcode: 0`` answer."""

    def __init__(self, connection: WeComConnection, *, tokens: TokenCache | None = None,
                 http: httpx.Client | None = None, retry: RetryPolicy | None = None) -> None:
        self.connection = connection
        self.tokens = tokens or TokenCache()
        self.retry = retry or RetryPolicy()
        self._http = http or httpx.Client(timeout=self.retry.timeout)
        self._owns_http = http is None
        # httpx logs every URL at INFO, and gettoken's URL carries the secret: keep it quiet.
        logging.getLogger("httpx").setLevel(max(logging.getLogger("httpx").level, logging.WARNING))

    @property
    def http(self) -> httpx.Client:
        """The pooled HTTP client (the channel fetches materials' files with it too)."""
        return self._http

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None, *, idempotent: bool = True) -> dict[str, Any]:
        return self.call("GET", path, params=params, idempotent=idempotent)

    def post(self, path: str, body: dict[str, Any], *, idempotent: bool = True, at_most_once: bool = False) -> dict[str, Any]:
        """``at_most_once``: a call WeCom may have carried out without answering (a 5xx, a broken
        connection, a timeout) is not repeated at all — for creates that must never happen twice
        (add_msg_template); the caller reconciles."""
        return self.call("POST", path, body=body, idempotent=idempotent and not at_most_once, at_most_once=at_most_once)

    def upload(self, path: str, params: dict[str, Any], *, filename: str, data: bytes, content_type: str) -> dict[str, Any]:
        """A ``multipart/form-data`` POST with the file under ``media`` (WeCom's media uploads),
        with the same tokens, retries and errcodes as every call. Repeating an upload is safe: at
        worst WeCom holds one more copy for 3 days."""
        return self.call("POST", path, params=params, files={"media": (filename, data, content_type)})

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
             idempotent: bool = True, at_most_once: bool = False, files: dict[str, Any] | None = None) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            token = self.token()
            try:
                if at_most_once:
                    return self._send_once(method, path, params=params, body=body, token=token)
                return self._send(method, path, params=params, body=body, token=token, idempotent=idempotent, files=files)
            except WeComTokenError:
                self.tokens.drop(self.connection.cache_key, token)
                log.info("wecom token refused; refreshing once", api=path, corp_id=self.connection.corp_id)
                return self._send(method, path, params=params, body=body, token=self.token(), idempotent=idempotent, files=files)

        return self._with_retries(once)

    def token(self) -> str:
        return self.tokens.get(self.connection.cache_key, self._fetch_token)

    def _fetch_token(self) -> tuple[str, int]:
        def fetch() -> dict[str, Any]:
            params = {"corpid": self.connection.corp_id, "corpsecret": self.connection.secret}
            return self._send("GET", TOKEN_PATH, params=params, body=None, token=None, idempotent=True)

        data = self._with_retries(fetch)
        return str(data["access_token"]), int(data.get("expires_in", 7200))

    def _with_retries(self, attempt: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        policy = self.retry
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential(multiplier=policy.initial_wait, max=policy.max_wait) + wait_random(0, policy.jitter),
            reraise=True,
            before_sleep=lambda state: log.info(
                "wecom call retried", attempt=state.attempt_number,
                error=type(state.outcome.exception()).__name__ if state.outcome else None,
            ),
        )
        try:
            return retrying(attempt)
        except RetryError as exc:  # pragma: no cover - reraise=True hands back the last error
            raise exc.last_attempt.exception() from None  # type: ignore[misc]

    def _send_once(self, method: str, path: str, *, params: dict[str, Any] | None, body: dict[str, Any] | None,
                   token: str | None) -> dict[str, Any]:
        """:meth:`_send`, where every failure that may have reached WeCom is final (not retryable)."""
        try:
            return self._send(method, path, params=params, body=body, token=token, idempotent=False)
        except (WeComTimeout, WeComUnavailable) as exc:
            if isinstance(exc, WeComTimeout):  # only a connect timeout comes this way: the request never left
                raise
            raise WeComError("wecom.unanswered_not_repeated",
                             "WeCom's answer was lost and this call is not safe to repeat: Siyu checks in WeCom whether it took effect",
                             api=path) from None

    def _send(self, method: str, path: str, *, params: dict[str, Any] | None, body: dict[str, Any] | None,
              token: str | None, idempotent: bool, files: dict[str, Any] | None = None) -> dict[str, Any]:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        url = self.connection.base_url + path
        try:
            if files is not None:  # httpx writes the multipart body (boundary, filename, content type)
                response = self._http.request(method, url, params=query, files=files)
            else:
                response = self._http.request(method, url, params=query, json=body)
        except httpx.ConnectTimeout:
            raise WeComTimeout(api=path) from None  # never reached WeCom: always safe to retry
        except httpx.TimeoutException:
            if idempotent:
                raise WeComTimeout(api=path) from None
            raise WeComError(
                "wecom.timeout_not_repeated",
                "WeCom did not answer in time and this call is not safe to repeat: check in WeCom whether it took effect",
                api=path,
            ) from None
        except httpx.TransportError as exc:
            raise WeComUnavailable("wecom.unreachable", "could not reach WeCom (%(reason)s)", api=path, reason=type(exc).__name__) from None
        if response.status_code >= 500:
            raise WeComUnavailable(api=path)
        try:
            data = response.json()
            errcode = int(data.get("errcode", 0))
        except (ValueError, AttributeError, TypeError):
            raise WeComUnavailable(api=path) from None
        if errcode != 0:
            error = error_for(errcode, api=path, errmsg=str(data.get("errmsg", "")))
            if errcode not in TOKEN_ERRCODES:
                log.warning("wecom call failed", api=path, errcode=errcode, corp_id=self.connection.corp_id)
            raise error
        return data  # type: ignore[no-any-return]
