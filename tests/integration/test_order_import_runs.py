"""Order imports as stored runs: progress by batch, the bad rows kept, and a run that dies half way
resumed by the worker without writing, reporting or counting anything twice; the worker's sweep
queues a run whose worker was killed again, and a run a worker is on is never run twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.identities import IdentityKey
from siyu.domain.imports import ImportStatus
from siyu.domain.paging import PageRequest
from siyu.services import clock, customers, order_imports, orders
from siyu.task_queueing import actor_fields
from tests import factories as f

HEADER = "source,order_id,ordered_at,amount,openid,sku,line_amount,refund_id,refund_amount,refunded_at\n"
# 8 orders on 11 rows (A2, A5, A6 have two lines; A4 a refund); A3 (bad amount) and A6 (its second row disagrees) are bad: 3 rows.
ROWS = """mall,A1,2026-11-01 10:00,10,o1,X,10,,,
mall,A2,2026-11-01 10:00,30,o2,X,10,,,
mall,A2,,,,Y,20,,,
mall,A3,2026-11-01 10:00,abc,o3,X,10,,,
mall,A4,2026-11-01 10:00,40,,X,40,R4,15,2026-11-02 10:00
mall,A5,2026-11-01 10:00,50,o5,X,25,,,
mall,A5,,,,Y,25,,,
mall,A6,2026-11-01 10:00,60,o6,X,60,,,
mall,A6,2026-11-01 11:00,,,Y,1,,,
mall,A7,2026-11-01 10:00,70,o7,X,70,,,
mall,A8,2026-11-01 10:00,80,o8,X,80,,,
"""


class WorkerDied(BaseException):
    """What a killed worker looks like from the run's point of view: nothing after it runs."""


def _tenant(context):
    """A tenant whose customers have openids o1 and o2: of the file's 6 good orders, 4 match nobody."""
    _, admin = f.tenant(context)
    for openid in ("o1", "o2"):
        customers.create_customer(context.uow(), admin, CustomerRecord(keys=(IdentityKey.parse("openid", openid),), profile=Profile()))
    return admin


def _file(tmp_path, text=HEADER + ROWS):
    path = tmp_path / "订单.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _errors(context, actor, run):
    return [(e.row, e.column) for e in order_imports.list_import_errors(context.uow(), actor, run.id, PageRequest(page_size=200)).items]


def _die_on_batch(monkeypatch, number):
    """The worker dies while writing its ``number``-th batch (that batch is rolled back)."""
    calls = []
    write = order_imports.write_orders

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise WorkerDied
        return write(*args, **kwargs)

    monkeypatch.setattr(order_imports, "write_orders", dying)


def _later(monkeypatch, times=1):
    """The clock moved on ``times`` leases: whoever was on a run then has left it."""
    now = clock.utcnow() + times * (order_imports.LEASE + timedelta(seconds=1))
    monkeypatch.setattr(order_imports, "utcnow", lambda: now)


def test_a_run_records_its_counts_and_bad_rows_batch_by_batch(context, tmp_path):
    admin = _tenant(context)
    path = _file(tmp_path)
    expected = order_imports.check_file(context.uow(), admin, path)
    import_id = order_imports.start_import(context.uow(), admin, filename="订单.csv", dry_run=False, rows_expected=expected)
    started = order_imports.get_import(context.uow(), admin, import_id)
    assert (started.status, started.rows_expected, started.progress, started.counts.rows_total) == (ImportStatus.RUNNING, 11, 0.0, 0)

    run = order_imports.run_import(context.uow(), admin, import_id, path, batch_size=3)
    c = run.counts
    assert (run.status, run.progress, c.rows_total, c.rows_good, c.rows_bad, c.rows_done) == (ImportStatus.DONE, 1.0, 11, 8, 3, 12)
    assert (c.orders_created, c.orders_rejected, c.orders_unmatched, c.refunds_added) == (6, 2, 4, 1)
    assert _errors(context, admin, run) == [(5, "amount"), (10, "ordered_at")]
    assert orders.list_orders(context.uow(), admin).total == 6
    assert order_imports.run_import(context.uow(), admin, import_id, path, batch_size=3) == run  # a finished run is left as it is


@pytest.mark.parametrize("dies_on", [1, 2, 3])
def test_a_run_the_worker_died_in_resumes_without_doing_anything_twice(context, tmp_path, monkeypatch, dies_on):
    admin = _tenant(context)
    path = _file(tmp_path)
    reference = order_imports.import_orders(context.uow(), admin, _file(tmp_path / "..", HEADER + ROWS.replace("mall", "ref")),
                                            batch_size=3)
    import_id = order_imports.start_import(context.uow(), admin, filename="订单.csv", dry_run=False)
    with monkeypatch.context() as patched:
        _die_on_batch(patched, dies_on)
        with pytest.raises(WorkerDied):
            order_imports.run_import(context.uow(), admin, import_id, path, batch_size=3)
    halfway = order_imports.get_import(context.uow(), admin, import_id)
    assert halfway.status is ImportStatus.RUNNING and halfway.counts.rows_done < 12
    assert order_imports.run_import(context.uow(), admin, import_id, path, batch_size=3) == halfway  # its worker may still be on it

    _later(monkeypatch)
    resumed = order_imports.run_import(context.uow(), admin, import_id, path, batch_size=3)
    assert resumed.status is ImportStatus.DONE
    assert resumed.counts == reference.counts  # created once, not "unchanged" on the second pass
    assert _errors(context, admin, resumed) == _errors(context, admin, reference)
    assert orders.list_orders(context.uow(), admin).total == 2 * 6


def test_the_worker_task_run_twice_after_a_crash_finishes_the_run_and_removes_the_upload(context, tmp_path, monkeypatch):
    admin = _tenant(context)
    upload = _file(context.settings.data_dir)
    import_id = order_imports.start_import(context.uow(), admin, filename="订单.csv", dry_run=False)
    task = context.tasks["run_order_import"]
    with monkeypatch.context() as patched:
        _die_on_batch(patched, 1)
        with pytest.raises(WorkerDied):
            task.call_local(actor_fields(admin), import_id, str(upload), None)
    assert upload.exists()  # kept for the resumed run
    _later(monkeypatch)
    assert task.call_local(actor_fields(admin), import_id, str(upload), None) == "done"
    assert not upload.exists()
    assert task.call_local(actor_fields(admin), import_id, str(upload), None) == "done"  # a third time: nothing to do
    assert order_imports.get_import(context.uow(), admin, import_id).counts.orders_created == 6


def test_a_dry_run_keeps_its_report_and_counts_and_writes_no_order(context, tmp_path):
    admin = _tenant(context)
    run = order_imports.import_orders(context.uow(), admin, _file(tmp_path), dry_run=True, batch_size=2)
    assert (run.dry_run, run.status, run.counts.orders_created, run.counts.rows_bad) == (True, ImportStatus.DONE, 6, 3)
    assert _errors(context, admin, run) == [(5, "amount"), (10, "ordered_at")]
    assert orders.list_orders(context.uow(), admin).total == 0


def test_the_report_lists_every_bad_row_as_csv(context, tmp_path):
    admin = _tenant(context)
    run = order_imports.import_orders(context.uow(), admin, _file(tmp_path, HEADER + ROWS + "mall,A9,2026-11-01,1,,,,,,\n"
                                                                  + "".join(f"mall,B{i},never,1,,,,,,\n" for i in range(30))))
    report = b"".join(order_imports.report_csv(context.uow(), admin, run.id)).decode()
    lines = report.splitlines()
    assert lines[0] == "\ufeffrow,column,value,reason"
    assert lines[1].startswith("5,amount,abc,") and len(lines) == 1 + 2 + 30
    assert lines[-1].startswith("43,ordered_at,never,")


def test_runs_are_listed_newest_first_and_paged(context, tmp_path):
    admin = _tenant(context)
    made = [order_imports.import_orders(context.uow(), admin, _file(tmp_path), filename=f"{i}.csv").id for i in range(3)]
    first = order_imports.list_imports(context.uow(), admin, PageRequest(page_size=2))
    assert ([r.id for r in first.items], first.total) == (made[::-1][:2], 3)
    assert [r.errors for r in first.items] == [2, 2]
    again = order_imports.get_import(context.uow(), admin, made[-1]).counts
    assert (again.orders_created, again.orders_unchanged) == (0, 6)


def _queued(context, admin, name, text=HEADER + ROWS):
    """A run of an upload as the console queues it (stored file, upload recorded), not run yet."""
    upload = context.settings.data_dir / name
    upload.write_text(text, encoding="utf-8")
    return order_imports.start_import(context.uow(), admin, filename=name, dry_run=False, upload=upload), upload


def test_the_sweep_queues_a_run_whose_worker_was_killed_once_and_leaves_a_fresh_one_alone(context, tmp_path, monkeypatch):
    admin = _tenant(context)
    reference = order_imports.import_orders(context.uow(), admin, _file(tmp_path, HEADER + ROWS.replace("mall", "ref")))
    task, sweep = context.tasks["run_order_import"], context.tasks["resume_imports"]
    stale, stale_upload = _queued(context, admin, "a.csv")
    fresh, fresh_upload = _queued(context, admin, "b.csv", HEADER + ROWS.replace("mall", "shop"))
    never_taken, _ = _queued(context, admin, "c.csv")  # still in the queue: its own task will run it
    for run, upload, later in ((stale, stale_upload, False), (fresh, fresh_upload, True)):
        if later:
            assert sweep.call_local() == 0  # the first was killed just now: it may be a slow batch
            _later(monkeypatch)
        with monkeypatch.context() as patched:
            _die_on_batch(patched, 1)
            with pytest.raises(WorkerDied):
                task.call_local(actor_fields(admin), run, str(upload), None)

    assert sweep.call_local() == 1
    assert sweep.call_local() == 0  # done: not queued again
    resumed = order_imports.get_import(context.uow(), admin, stale)
    assert (resumed.status, resumed.counts) == (ImportStatus.DONE, reference.counts)
    assert not stale_upload.exists()
    assert order_imports.get_import(context.uow(), admin, fresh).status is ImportStatus.RUNNING and fresh_upload.exists()
    assert order_imports.get_import(context.uow(), admin, never_taken).status is ImportStatus.RUNNING
    assert orders.list_orders(context.uow(), admin).total == 2 * 6


def test_a_run_a_worker_is_on_is_not_run_by_a_second_one(context, tmp_path, monkeypatch):
    admin = _tenant(context)
    reference = order_imports.import_orders(context.uow(), admin, _file(tmp_path, HEADER + ROWS.replace("mall", "ref")))
    task = context.tasks["run_order_import"]
    import_id, upload = _queued(context, admin, "a.csv")
    parse, seen = order_imports.parse_orders, []

    def parse_and_queue_again(*args, **kwargs):  # between two batches of the first worker
        if not seen:
            seen.append(task.call_local(actor_fields(admin), import_id, str(upload), None))
            seen.append(context.tasks["resume_imports"].call_local())
        return parse(*args, **kwargs)

    monkeypatch.setattr(order_imports, "parse_orders", parse_and_queue_again)
    assert task.call_local(actor_fields(admin), import_id, str(upload), None) == "done"
    assert seen == ["running", 0]
    assert order_imports.get_import(context.uow(), admin, import_id).counts == reference.counts
    assert orders.list_orders(context.uow(), admin).total == 2 * 6


def test_a_worker_that_lost_the_run_to_another_stops_without_writing(context, tmp_path, monkeypatch):
    admin = _tenant(context)
    reference = order_imports.import_orders(context.uow(), admin, _file(tmp_path, HEADER + ROWS.replace("mall", "ref")), batch_size=3)
    import_id, upload = _queued(context, admin, "a.csv")
    parse, seen = order_imports.parse_orders, []

    def stall_then_lose(*args, **kwargs):  # the first worker's second batch stalls past the lease; another takes the run
        seen.append(1)
        if len(seen) == 2:
            _later(monkeypatch)
            assert context.tasks["resume_imports"].call_local() == 1
        return parse(*args, **kwargs)

    monkeypatch.setattr(order_imports, "parse_orders", stall_then_lose)
    run = order_imports.run_import(context.uow(), admin, import_id, upload, batch_size=3)
    assert (run.status, run.counts) == (ImportStatus.DONE, reference.counts)
    assert _errors(context, admin, run) == _errors(context, admin, reference)
    assert orders.list_orders(context.uow(), admin).total == 2 * 6
