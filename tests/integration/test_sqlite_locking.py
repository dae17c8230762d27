"""SQLite under two writers: a unit of work that reads and then writes must not fail with
"database is locked" because another one wrote in between (the embedded worker and the web
server share one file), and a reading() unit of work must not hold writers up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from siyu.adapters.db.engine import make_engine
from siyu.adapters.db.unit_of_work import SqlUnitOfWork


@pytest.fixture
def uow_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    factory = sessionmaker(engine)
    yield lambda: SqlUnitOfWork(factory)
    engine.dispose()


def _bump(uow: SqlUnitOfWork) -> None:
    n = uow.session.execute(text("SELECT n FROM counter")).scalar_one()
    uow.session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})


def test_a_read_then_write_unit_of_work_survives_a_writer_in_between(uow_factory) -> None:  # type: ignore[no-untyped-def]
    first_read, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_read.wait(5)
            with uow_factory() as uow:  # waits for the first one's lock instead of racing it
                _bump(uow)
                uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    with uow_factory() as uow:
        n = uow.session.execute(text("SELECT n FROM counter")).scalar_one()
        first_read.set()
        second_done.wait(1.0)  # a deferred transaction would let the second one commit here
        uow.session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        uow.commit()
    thread.join(10)
    assert errors == []
    with uow_factory() as uow:
        assert uow.session.execute(text("SELECT n FROM counter")).scalar_one() == 2  # no update lost


def test_a_reading_unit_of_work_does_not_hold_writers_up(uow_factory) -> None:  # type: ignore[no-untyped-def]
    done = threading.Event()

    def writer() -> None:
        with uow_factory() as uow:
            _bump(uow)
            uow.commit()
        done.set()

    with uow_factory().reading() as reader:
        before = reader.session.execute(text("SELECT n FROM counter")).scalar_one()
        thread = threading.Thread(target=writer)
        thread.start()
        assert done.wait(10), "the writer waited on a reader"
        assert reader.session.execute(text("SELECT n FROM counter")).scalar_one() == before  # its own snapshot
        with pytest.raises(AssertionError):
            reader.commit()
    thread.join(10)
