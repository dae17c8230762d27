"""Every channel test runs twice: ``WeComChannel`` over real HTTP against the fake WeCom, and
``SandboxChannel`` in-process on the same simulated corp — the two must behave alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from siyu.adapters.channels.sandbox import SandboxChannel
from siyu.adapters.channels.wecom import RetryPolicy, TokenCache, WeComChannel, WeComClient, WeComConnection
from siyu.testing.fake_wecom import FakeWeCom

# Real backoff shape, tiny waits: the retries happen, the suite does not sleep for them.
FAST = RetryPolicy(attempts=4, initial_wait=0.001, max_wait=0.005, jitter=0.001, timeout=2.0)
SLOW_FAKE_TIMEOUT = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.002, jitter=0.001, timeout=0.2)


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        server.corp.add_user("zhangsan")
        server.corp.add_user("lisi")
        yield server


def _connector(fake: FakeWeCom, kind: str) -> tuple[Callable[..., WeComChannel], list[WeComChannel]]:
    made: list[WeComChannel] = []

    def channel_for(*, secret: str | None = None, corp_id: str | None = None, retry: RetryPolicy = FAST,
                    tokens: TokenCache | None = None) -> WeComChannel:
        if kind == "sandbox":
            made.append(SandboxChannel(fake.corp, secret=secret, corp_id=corp_id, retry=retry, tokens=tokens or TokenCache()))
        else:
            connection = WeComConnection(corp_id or fake.corp.corp_id, secret or fake.corp.secret, base_url=fake.url)
            made.append(WeComChannel(WeComClient(connection, tokens=tokens or TokenCache(), retry=retry)))
        return made[-1]

    return channel_for, made


@pytest.fixture(params=["http", "sandbox"])
def connect(fake: FakeWeCom, request: pytest.FixtureRequest) -> Iterator[Callable[..., WeComChannel]]:
    """Channels to the simulated corp (closed after the test): ``connect(secret=..., corp_id=..., retry=...)``."""
    channel_for, made = _connector(fake, request.param)
    yield channel_for
    for channel in made:
        channel.close()


@pytest.fixture
def connect_http(fake: FakeWeCom) -> Iterator[Callable[..., WeComChannel]]:
    """Over real HTTP only: for what only a socket can do (time out)."""
    channel_for, made = _connector(fake, "http")
    yield channel_for
    for channel in made:
        channel.close()


@pytest.fixture
def channel(connect: Callable[..., WeComChannel]) -> WeComChannel:
    return connect()
