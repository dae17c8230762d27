"""One worker at a time on an import run (customer and order imports alike).

A worker takes a run (a new ``attempt``, stamped ``progress_at``) and every batch it commits
stamps it again, written only while its attempt still holds the run (else :class:`RunLost`:
the batch rolls back and the worker stops). A run counts as abandoned, and another worker may
take it, once its last progress is older than :data:`LEASE`; until then running it again does
nothing. The worker's sweep (``resume_imports`` in ``siyu.tasks``) queues every abandoned run of
an upload again, under the tenant's system actor, and the run reads on from its ``rows_done``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from siyu.domain.errors import DomainError
from siyu.domain.imports import ImportStatus

LEASE = timedelta(minutes=5)  # a batch takes seconds: this long without one, the run's worker is gone


@dataclass(frozen=True, slots=True)
class AbandonedRun:
    tenant_id: int
    import_id: int
    upload: Path
    encoding: str | None


class RunLost(Exception):
    """The run was taken by another worker since this one last committed: stop, write nothing."""


def abandoned_runs(found: list[tuple[int, int, str, str | None]]) -> list[AbandonedRun]:
    return [AbandonedRun(tenant_id, import_id, Path(upload), encoding) for tenant_id, import_id, upload, encoding in found]


class Finishing(Protocol):
    def finish(self, status: ImportStatus, failure: DomainError | None) -> None: ...


INTERNAL_ERROR = DomainError(
    "import.internal_error",
    "the import stopped on an internal error; the batches before it are saved, and running it again is safe")


def read_to_the_end(run: Finishing, read: Callable[[], None]) -> None:
    """Read a claimed run and record how it ended: done; failed with the domain error that stopped
    it; failed on an internal error (raised again, for the worker's log). A run another worker took
    over (:class:`RunLost`) is that worker's to finish: nothing is recorded."""
    try:
        read()
    except RunLost:
        return
    except DomainError as exc:
        run.finish(ImportStatus.FAILED, exc)
    except Exception:
        run.finish(ImportStatus.FAILED, INTERNAL_ERROR)
        raise
    else:
        run.finish(ImportStatus.DONE, None)
