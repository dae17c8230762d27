"""The composition root: the one place that turns Settings into concrete adapters."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from huey import Huey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from siyu.adapters.channels.media import HttpMediaSource
from siyu.adapters.channels.sandbox import SANDBOX_URL, Corp, SandboxChannel
from siyu.adapters.channels.wecom import RetryPolicy, TokenCache, WeComChannel, WeComClient, WeComConnection
from siyu.adapters.db.engine import make_engine
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.queue import make_huey
from siyu.adapters.secret_box import SecretBox
from siyu.adapters.warehouse import Warehouse, open_warehouse
from siyu.analytics.base import QueryCache
from siyu.config import Settings, get_settings
from siyu.domain.wecom import WeComSecrets
from siyu.services import passwords
from siyu.tasks import register_tasks


@dataclass
class Context:
    """Everything an entrypoint needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    huey: Huey
    tasks: dict[str, Callable[..., object]] = field(default_factory=dict)
    analytics_cache: QueryCache = field(default_factory=QueryCache)
    secret_box: SecretBox = field(init=False)
    wecom_tokens: TokenCache = field(default_factory=TokenCache)
    wecom_retry: RetryPolicy = field(default_factory=RetryPolicy)
    # The simulated corps of tenants whose WeCom settings point at the sandbox, by corp id.
    sandbox_corps: dict[str, Corp] = field(default_factory=dict)
    _http: httpx.Client | None = field(default=None, init=False, repr=False)
    _http_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)  # request threads share the pool

    def __post_init__(self) -> None:
        self.secret_box = SecretBox(self.settings.secret_key)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory)

    def wecom_channel(self, secrets: WeComSecrets) -> WeComChannel:
        """A channel to one tenant's WeCom: pooled HTTP, the process-wide token cache. A tenant
        whose ``api_base_url`` is the sandbox's gets the in-process simulation (same client code)."""
        return self._channel(secrets, secrets.contact_secret or "")

    def wecom_app_channel(self, secrets: WeComSecrets) -> WeComChannel:
        """A channel as the self-built app (its AgentId and Secret), for WeCom sign-in; the
        customer-contact secret stands in when no app secret is set (an app given the
        customer-contact permission, whose one secret does both)."""
        return self._channel(secrets, secrets.app_secret or secrets.contact_secret or "")

    def sandbox_corp(self, secrets: WeComSecrets) -> Corp:
        """This process's simulated corp for a tenant linked to the sandbox."""
        corp = self.sandbox_corps.setdefault(
            secrets.corp_id, Corp(corp_id=secrets.corp_id, secret=secrets.contact_secret or "", lenient=True))
        # No app secret: the customer-contact one stands in for the app's, as wecom_app_channel says.
        corp.app_secret, corp.agent_id = secrets.app_secret or secrets.contact_secret or "", secrets.agent_id
        return corp

    def _channel(self, secrets: WeComSecrets, secret: str) -> WeComChannel:
        if secrets.api_base_url == SANDBOX_URL:
            return SandboxChannel(self.sandbox_corp(secrets), secret=secret, tokens=self.wecom_tokens, retry=self.wecom_retry)
        with self._http_lock:  # two threads opening the first channel at once would each make a pool, one never closed
            if self._http is None:
                self._http = httpx.Client(timeout=self.wecom_retry.timeout)
            http = self._http
        connection = WeComConnection(secrets.corp_id, secret, base_url=secrets.api_base_url)
        allow = self.settings.media_fetch_private
        source = HttpMediaSource(http, allow_private=self.settings.env != "prod" if allow is None else allow)
        return WeComChannel(WeComClient(connection, tokens=self.wecom_tokens, http=http, retry=self.wecom_retry),
                            media_source=source)

    def close_channels(self) -> None:
        """Close the pooled HTTP connections to channels (a new pool opens on the next call)."""
        with self._http_lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    @contextmanager
    def warehouse(self) -> Iterator[Warehouse]:
        """The analytics warehouse, open for one job (a DuckDB file takes one writer at a time)."""
        with open_warehouse(self.settings.resolved_warehouse_url) as warehouse:
            yield warehouse

    def close(self) -> None:
        self.close_channels()
        self.engine.dispose()


def build(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
    huey: Huey | None = None,
) -> Context:
    settings = settings or get_settings()
    passwords.configure(settings.password_hashing)
    engine = engine or make_engine(settings.resolved_database_url)
    session_factory = session_factory or sessionmaker(bind=engine, expire_on_commit=False)
    huey = huey or make_huey(settings.resolved_queue_url)
    context = Context(settings=settings, engine=engine, session_factory=session_factory, huey=huey)
    context.tasks = register_tasks(context)
    return context
