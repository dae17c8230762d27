"""Customer imports resumed: a run the worker was killed in reads on from its last committed
batch when queued again (by hand, or by the worker's sweep once its lease has run out), without
writing, reporting or counting anything twice, and never while another worker is on it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from siyu.domain.imports import ImportStatus
from siyu.services import clock, imports
from siyu.task_queueing import actor_fields
from tests.integration.import_brand import brand, errors_of, run_import, snapshot, write

# 7 rows: row 4 has a bad phone, row 6 repeats row 2 (found after a resume too), row 7 a tag nobody defined;
# an unknown column (reported once, on row 1).
TEXT = ("手机,姓名,标签,未知列\n13800138000,张三,VIP,x\n13800138001,李四,,\n1380013800,坏号,,\n"
        "13800138002,王五,VIP,\n13800138000,又是张三,,\n13800138003,赵六,无此标签,\n13800138004,钱七,,\n")


class WorkerDied(BaseException):
    """What a killed worker looks like from the run's point of view: nothing after it runs."""


def _die_on_batch(monkeypatch, number):
    calls, write_batch = [], imports._Importer._write

    def dying(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise WorkerDied
        return write_batch(self, *args, **kwargs)

    monkeypatch.setattr(imports._Importer, "_write", dying)


def _later(monkeypatch):
    now = clock.utcnow() + imports.LEASE + timedelta(seconds=1)
    monkeypatch.setattr(imports, "utcnow", lambda: now)


def _queued(context, actor, name):
    upload = write(context.settings.data_dir, TEXT, name=name)
    return imports.start_import(context.uow(), actor, filename=name, dry_run=False, upload=upload), upload


def _counts(run):
    return (run.rows_total, run.rows_good, run.rows_bad, run.customers_created, run.customers_updated, run.customers_merged)


@pytest.mark.parametrize("dies_on", [1, 2, 3])
def test_a_run_the_worker_died_in_resumes_without_doing_anything_twice(context, tmp_path, monkeypatch, dies_on):
    reference_brand, b = brand(context), brand(context)
    reference = run_import(context, reference_brand.actor, write(tmp_path, TEXT), batch_size=2)
    import_id, upload = _queued(context, b.actor, "a.csv")
    task = context.tasks["run_customer_import"]
    with monkeypatch.context() as patched:
        _die_on_batch(patched, dies_on)
        with pytest.raises(WorkerDied):
            imports.run_import(context.uow(), b.actor, import_id, upload, batch_size=2)
    halfway = imports.get_import(context.uow(), b.actor, import_id)
    assert halfway.status is ImportStatus.RUNNING and halfway.rows_done == {1: 1, 2: 3, 3: 5}[dies_on]  # the header, then 2 rows a batch
    assert task.call_local(actor_fields(b.actor), import_id, str(upload), None) == "running"  # its worker may still be on it
    assert upload.exists()

    _later(monkeypatch)
    resumed = imports.run_import(context.uow(), b.actor, import_id, upload, batch_size=2)
    assert resumed.status is ImportStatus.DONE and _counts(resumed) == _counts(reference)
    assert errors_of(context, b.actor, resumed) == errors_of(context, reference_brand.actor, reference)
    assert snapshot(context, b.actor.tenant_id) == snapshot(context, reference_brand.actor.tenant_id)


def test_the_sweep_resumes_a_stale_run_once_and_leaves_a_fresh_one_alone(context, tmp_path, monkeypatch):
    reference_brand, b = brand(context), brand(context)
    reference = run_import(context, reference_brand.actor, write(tmp_path, TEXT))
    task, sweep = context.tasks["run_customer_import"], context.tasks["resume_imports"]
    stale, stale_upload = _queued(context, b.actor, "a.csv")
    fresh, fresh_upload = _queued(context, b.actor, "b.csv")
    for run, upload, later in ((stale, stale_upload, False), (fresh, fresh_upload, True)):
        if later:
            assert sweep.call_local() == 0  # the first was killed just now: it may be a slow batch
            _later(monkeypatch)
        with monkeypatch.context() as patched:
            _die_on_batch(patched, 1)
            with pytest.raises(WorkerDied):
                task.call_local(actor_fields(b.actor), run, str(upload), None)

    assert sweep.call_local() == 1
    assert sweep.call_local() == 0
    resumed = imports.get_import(context.uow(), b.actor, stale)
    assert resumed.status is ImportStatus.DONE and _counts(resumed) == _counts(reference)
    assert not stale_upload.exists()
    assert imports.get_import(context.uow(), b.actor, fresh).status is ImportStatus.RUNNING and fresh_upload.exists()


def test_a_worker_that_lost_the_run_to_another_stops_without_writing(context, tmp_path, monkeypatch):
    reference_brand, b = brand(context), brand(context)
    reference = run_import(context, reference_brand.actor, write(tmp_path, TEXT), batch_size=2)
    import_id, upload = _queued(context, b.actor, "a.csv")
    chunks = imports._chunks

    def stall_then_lose(*args, **kwargs):  # before its second batch the first worker stalls past the lease; the sweep's takes the run
        for number, chunk in enumerate(chunks(*args, **kwargs)):
            if number == 1 and not seen:
                seen.append(1)
                _later(monkeypatch)
                assert context.tasks["resume_imports"].call_local() == 1
            yield chunk

    seen: list[int] = []
    monkeypatch.setattr(imports, "_chunks", stall_then_lose)
    run = imports.run_import(context.uow(), b.actor, import_id, upload, batch_size=2)
    assert run.status is ImportStatus.DONE and _counts(run) == _counts(reference)
    assert errors_of(context, b.actor, run) == errors_of(context, reference_brand.actor, reference)
    assert snapshot(context, b.actor.tenant_id) == snapshot(context, reference_brand.actor.tenant_id)
