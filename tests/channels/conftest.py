from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

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


@pytest.fixture
def connect(fake: FakeWeCom) -> Iterator[Callable[..., WeComChannel]]:
    """Channels to the fake (closed after the test): ``connect(secret=..., corp_id=..., retry=...)``."""
    made: list[WeComChannel] = []

    def channel_for(*, secret: str | None = None, corp_id: str | None = None, retry: RetryPolicy = FAST,
                    tokens: TokenCache | None = None) -> WeComChannel:
        connection = WeComConnection(corp_id or fake.corp.corp_id, secret or fake.corp.secret, base_url=fake.url)
        made.append(WeComChannel(WeComClient(connection, tokens=tokens or TokenCache(), retry=retry)))
        return made[-1]

    yield channel_for
    for channel in made:
        channel.close()


@pytest.fixture
def channel(connect: Callable[..., WeComChannel]) -> WeComChannel:
    return connect()
