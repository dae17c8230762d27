"""The queue runs the same tasks on its embedded default (SQLite) and on Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from siyu.adapters.queue import make_huey

REDIS_URL = os.environ.get("SIYU_TEST_REDIS_URL", "")
QUEUES = ["sqlite"] + (["redis"] if REDIS_URL else [])


@pytest.fixture(params=QUEUES)
def huey(request, tmp_path):
    if request.param == "sqlite":
        yield make_huey(f"sqlite:///{tmp_path / 'queue.db'}")
        return
    queue = make_huey(REDIS_URL, name=f"siyu-test-{uuid.uuid4().hex[:8]}")  # a private queue per test
    yield queue
    queue.storage.flush_all()


def test_a_task_enqueued_by_one_process_is_run_by_the_worker(huey):
    @huey.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert huey.pending_count() == 1
    task = huey.dequeue()  # what the consumer does
    huey.execute(task)
    assert result.get() == 5
    assert huey.pending_count() == 0


def test_unknown_queue_urls_are_refused():
    with pytest.raises(ValueError, match="SIYU_QUEUE_URL"):
        make_huey("amqp://guest@127.0.0.1")
