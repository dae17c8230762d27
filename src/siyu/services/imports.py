"""Importing customers from a CSV or XLSX file (Permission ``customers.manage``).

- Every row goes through the OneID rule, a batch at a time (:class:`~siyu.services.oneid_bulk.BatchResolver`,
  the mechanism the demo brand is loaded with; ``fast=False`` resolves with
  :func:`siyu.services.oneid.resolve` row by row, the reference): a known identity attaches,
  identities of several customers merge them, unknown ones create a customer; then the row's
  tags, stage and owner apply. Importing a file twice changes nothing.
- Good rows go in; each bad cell is stored in ``import_errors`` with its row number (as Excel
  shows it: the header is row 1), column, value and reason. Nothing is dropped silently: an
  unknown column is reported once, on row 1.
- The file is read as a stream and written ``batch_size`` rows per transaction, each batch
  with its errors and the run's running counts, so memory stays flat and a run that stops
  half way leaves a consistent, resumable state (run it again: done rows change nothing).
- A dry run does the same work and rolls every batch back; its errors and counts are kept.
  Each batch is rolled back before the next one starts, so a customer touched by rows in two
  different batches is counted in both.
- A row that creates a customer writes one CREATED event saying what it applied (tags, stage,
  owner, fields: ``detail``); rows that change a known customer write an event per change.
- ``progress(rows_done, rows_total)`` is called after each batch; the total is an estimate
  from the file (lines of a CSV, the sheet's dimension) or None.
- Each batch commits with the row it ended on (``rows_done``): running a run again (its worker
  was killed) reads on from there, the rows before it only parsed again (for the in-file
  duplicates), so nothing is written, reported or counted twice. A finished run is left as it
  is. One worker at a time is on a run (:mod:`siyu.services.import_leases`); the worker's sweep
  queues a run whose worker was killed again (:func:`abandoned`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from siyu.adapters.db.repositories.bulk import BulkRepository
from siyu.adapters.db.repositories.imports import ImportRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.files.sheets import Sheet, open_sheet
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import DomainError, InvalidInput, NotFound
from siyu.domain.import_columns import IDENTITIES, ColumnMap, ImportRow, Lookups, RowParser
from siyu.domain.imports import CellError, ImportCounts, ImportRun, ImportStatus
from siyu.domain.paging import Page, PageRequest
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label
from siyu.services.import_leases import LEASE, AbandonedRun, RunLost, abandoned_runs, read_to_the_end
from siyu.domain.identities import IdentitySource
from siyu.domain.customers import TagSource
from siyu.domain.tags import Stage
from siyu.services.oneid_bulk import BatchResolver, Incoming, Resolver, SequentialResolver, without_cycle_collector

BATCH_SIZE = 5000
_ANALYZE_AFTER = {0, 9, 99}  # batches after which the tables have grown enough to mislead the planner
_WRITTEN = ("customers", "customer_identities", "customer_tags", "staff_relations", "stage_changes", "timeline_events")
SOURCE = IdentitySource.IMPORT.value
TAG_SOURCE = TagSource.IMPORT.value
Progress = Callable[[int, int | None], None]


def import_customers(
    uow: SqlUnitOfWork, actor: Actor, path: Path, *, filename: str | None = None, dry_run: bool = False,
    encoding: str | None = None, progress: Progress | None = None, batch_size: int = BATCH_SIZE, fast: bool = True,
) -> ImportRun:
    """Import ``path``; returns the finished run (``status`` failed, with a message, when the
    file could not be read). ``fast=False`` resolves row by row: the reference, for tests."""
    import_id = start_import(uow, actor, filename=filename or path.name, dry_run=dry_run)
    return run_import(uow, actor, import_id, path, encoding=encoding, progress=progress, batch_size=batch_size, fast=fast)


def start_import(uow: SqlUnitOfWork, actor: Actor, *, filename: str, dry_run: bool, rows_expected: int | None = None,
                 upload: Path | None = None, encoding: str | None = None) -> int:
    """Record a run before its file is read, so a person can watch it (the console and the API
    poll it while the worker runs :func:`run_import`); ``rows_expected`` is the file's estimated
    row count (:func:`check_file`), for progress; ``upload`` (and its ``encoding``) the stored
    file the worker reads, kept so the sweep can queue the run again."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        import_id = ImportRepository(uow.session).add(
            actor.tenant_id, filename=filename, dry_run=dry_run, actor=actor_label(actor), now=utcnow(),
            rows_expected=rows_expected, upload=upload and str(upload), encoding=encoding,
        )
        uow.commit()
    return import_id


def check_file(uow: SqlUnitOfWork, actor: Actor, path: Path, *, encoding: str | None = None) -> int | None:
    """Refuse a file that cannot be imported at all before a run is queued for it: not CSV or
    XLSX, not in its encoding, empty, or with no identity column (InvalidInput). Returns the
    estimated number of data rows. A CSV is decoded once for this (streamed, no row parsed)."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        definitions = uow.fields.all(actor.tenant_id)
    with open_sheet(path, encoding=encoding) as sheet:
        columns, _ = ColumnMap.read(sheet.header, definitions)
        if not columns.has_identity:
            raise _no_identity_column()
        return sheet.total


def _no_identity_column() -> InvalidInput:
    return InvalidInput("import.no_identity_column", "the file has no identity column: add one of %(columns)s", field="file",
                        columns=", ".join(IDENTITIES))


def run_import(
    uow: SqlUnitOfWork, actor: Actor, import_id: int, path: Path, *, encoding: str | None = None,
    progress: Progress | None = None, batch_size: int = BATCH_SIZE, fast: bool = True,
) -> ImportRun:
    actor.require(Permission.CUSTOMERS_MANAGE)
    if batch_size < 1:
        raise InvalidInput("import.invalid_batch_size", "batch_size is at least 1", field="batch_size")
    if get_import(uow, actor, import_id).status is not ImportStatus.RUNNING:
        return get_import(uow, actor, import_id)
    with uow:
        now = utcnow()
        attempt = ImportRepository(uow.session).claim(actor.tenant_id, import_id, now=now, stale_before=now - LEASE)
        uow.commit()
    if attempt is None:  # another worker is on it
        return get_import(uow, actor, import_id)
    started = get_import(uow, actor, import_id)  # as the last worker left it
    run = _Importer(uow, actor, started, attempt, batch_size=batch_size, fast=fast, progress=progress)

    def read() -> None:
        with open_sheet(path, encoding=encoding) as sheet:
            run.read(sheet)

    read_to_the_end(run, read)
    return get_import(uow, actor, import_id)


def abandoned(uow: SqlUnitOfWork, *, now: datetime | None = None) -> list[AbandonedRun]:
    """Every tenant's runs of an upload whose worker stopped making progress :data:`LEASE` ago
    (the worker's sweep; no actor: the sweep queues each again under its tenant's system actor)."""
    with uow:
        return abandoned_runs(ImportRepository(uow.session).abandoned((now or utcnow()) - LEASE))


class _Importer:
    def __init__(self, uow: SqlUnitOfWork, actor: Actor, run: ImportRun, attempt: int, *, batch_size: int, fast: bool,
                 progress: Progress | None) -> None:
        self.uow = uow
        self.tenant_id = actor.tenant_id
        self.actor = actor_label(actor)
        self.import_id = run.id
        self.dry_run = run.dry_run
        self.attempt = attempt
        self.batch_size = batch_size
        self.fast = fast
        self.progress = progress
        self.counts = _counts(run)

    def read(self, sheet: Sheet) -> None:
        with self.uow as uow:
            definitions = uow.fields.all(self.tenant_id)
            all_tags = uow.tags.all(self.tenant_id)
            stages = {s.id: s for s in uow.stages.all(self.tenant_id)}
        columns, header_errors = ColumnMap.read(sheet.header, definitions)
        resume_after = self.counts.rows_done
        if not resume_after:  # the header (row 1) is done: its errors are stored once
            self.counts.rows_done = 1
            self._store(header_errors, self.counts)
        if not columns.has_identity:
            raise _no_identity_column()
        tags = {(t.group_name, t.name): t.id for t in all_tags}
        tag_labels = {t.id: t.label for t in all_tags}
        lookups = Lookups(definitions=definitions, tags=tags, stages={s.name: s.id for s in stages.values()}, staff={})
        parser = RowParser(columns, lookups)
        owner = columns.column_for("owner")
        self._refresh_statistics()
        for number, chunk in enumerate(_chunks(self._resumed(parser, sheet.rows, resume_after), self.batch_size)):
            with self.uow as uow, without_cycle_collector():
                bulk = BulkRepository(uow.session)
                bulk.lock_for_writing("customers")  # first: new ids continue from what this transaction reads (SQLite)
                if owner is not None:
                    self._find_staff(uow, lookups, {c[owner.index].strip().lower() for _, c in chunk if owner.index < len(c)})
                good, errors, counts = self._parse(parser, chunk)
                counts.rows_done = chunk[-1][0]
                self._write(uow, bulk, good, counts, stages, tag_labels)
                if not self.dry_run:
                    self._write_progress(uow, errors, counts)
                    uow.commit()
            if self.dry_run:
                self._store(errors, counts)
            elif number in _ANALYZE_AFTER:
                self._refresh_statistics()
            self.counts = counts
            if self.progress is not None:
                self.progress(chunk[-1][0] - 1, sheet.total)

    def _write(self, uow: SqlUnitOfWork, bulk: BulkRepository, rows: list[ImportRow], counts: ImportCounts,
               stages: dict[int, Stage], tag_labels: dict[int, str]) -> None:
        """Each good row by the OneID rule, then its tags, stage and owner, in file order."""
        resolver: Resolver = (BatchResolver(uow, self.tenant_id, actor=self.actor, bulk=bulk, links=True) if self.fast
                              else SequentialResolver(uow, self.tenant_id, actor=self.actor))
        now = utcnow()
        tag_lists: dict[tuple[int, ...], list[str]] = {}
        incoming = [Incoming(row.record, SOURCE, now, row.fields, _detail(row, stages, tag_labels, tag_lists)) for row in rows]
        resolver.load(incoming)
        for row, item in zip(rows, incoming, strict=True):
            resolution = resolver.resolve_one(item)
            customer_id, changed, timeline = resolution.customer_id, resolution.changed, not resolution.created
            if row.tag_ids:
                changed |= resolver.tag(customer_id, row.tag_ids, labels=tag_labels, source=TAG_SOURCE, at=now, timeline=timeline)
            if row.stage_id is not None:
                changed |= resolver.move_stage(customer_id, row.stage_id, stages=stages, at=now, timeline=timeline)
            if row.owner_id is not None:
                changed |= resolver.assign_owner(customer_id, row.owner_id, at=now, timeline=timeline)
            if resolution.created:
                counts.customers_created += 1
            elif changed:
                counts.customers_updated += 1
            counts.customers_merged += len(resolution.merged_ids)
        resolver.flush()

    def _refresh_statistics(self) -> None:
        with self.uow as uow:
            BulkRepository(uow.session).refresh_statistics(_WRITTEN)
            uow.commit()

    def _parse(self, parser: RowParser, chunk: list[tuple[int, list[str]]]) -> tuple[list[ImportRow], list[CellError], ImportCounts]:
        counts = replace(self.counts)
        good: list[ImportRow] = []
        errors: list[CellError] = []
        for number, cells in chunk:
            parsed = parser.parse(number, cells)
            if parsed is None:
                continue
            counts.rows_total += 1
            if isinstance(parsed, list):
                counts.rows_bad += 1
                errors.extend(parsed)
            else:
                counts.rows_good += 1
                good.append(parsed)
        errors[:0] = parser.column_errors
        parser.column_errors.clear()
        return good, errors, counts

    def _find_staff(self, uow: SqlUnitOfWork, lookups: Lookups, userids: set[str]) -> None:
        for userid in sorted(userids - lookups.staff.keys() - {""}):
            lookups.staff[userid] = uow.staff.find_by_userid(self.tenant_id, userid)

    @staticmethod
    def _resumed(parser: RowParser, rows: Iterator[tuple[int, list[str]]], resume_after: int) -> Iterator[tuple[int, list[str]]]:
        """The rows after ``resume_after``; the ones before only parsed (what they found is
        stored already), so a later row is still told it repeats an earlier one."""
        for number, cells in rows:
            if number > resume_after:
                yield number, cells
            else:
                parser.parse(number, cells)
                parser.column_errors.clear()

    def _write_progress(self, uow: SqlUnitOfWork, errors: list[CellError], counts: ImportCounts) -> None:
        imports = ImportRepository(uow.session)
        if not imports.record(self.tenant_id, self.import_id, counts, attempt=self.attempt, now=utcnow()):
            raise RunLost  # the batch's writes roll back with it
        imports.add_errors(self.tenant_id, self.import_id, errors)

    def _store(self, errors: list[CellError], counts: ImportCounts) -> None:
        with self.uow as uow:
            self._write_progress(uow, errors, counts)
            uow.commit()

    def finish(self, status: ImportStatus, failure: DomainError | None) -> None:
        with self.uow as uow:
            now = utcnow()
            ImportRepository(uow.session).record(
                self.tenant_id, self.import_id, self.counts, status=status, finished_at=now,
                message=failure.message if failure else None, message_code=failure.code if failure else None,
                message_params=dict(failure.params) if failure else None, attempt=self.attempt, now=now,
            )
            uow.commit()


def fail_import(uow: SqlUnitOfWork, actor: Actor, import_id: int, failure: DomainError) -> ImportRun:
    """Mark a run that will never be read as failed, with the reason (its upload could not be
    handed to the worker, say), so nobody waits on a run that stays "running" forever."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    run = get_import(uow, actor, import_id)
    with uow:
        ImportRepository(uow.session).record(
            actor.tenant_id, import_id, _counts(run), status=ImportStatus.FAILED, finished_at=utcnow(),
            message=failure.message, message_code=failure.code, message_params=dict(failure.params),
        )
        uow.commit()
    return get_import(uow, actor, import_id)


def _counts(run: ImportRun) -> ImportCounts:
    return ImportCounts(run.rows_total, run.rows_good, run.rows_bad, run.customers_created, run.customers_updated,
                        run.customers_merged, run.rows_done)


def _detail(row: ImportRow, stages: dict[int, Stage], tag_labels: dict[int, str],
            tag_lists: dict[tuple[int, ...], list[str]]) -> dict[str, Any] | None:
    """What a row that creates a customer applies, for the customer's one CREATED event (instead
    of an event per tag, stage and owner: a new customer's timeline opens with its import).
    Rows with the same tags share one list."""
    detail: dict[str, Any] = {}
    if row.tag_ids:
        detail["tags"] = tag_lists.get(row.tag_ids) or tag_lists.setdefault(row.tag_ids, [tag_labels[t] for t in row.tag_ids])
    if row.stage_id is not None:
        detail["stage"] = stages[row.stage_id].name
    if row.owner_id is not None:
        detail["staff_id"] = row.owner_id
    if row.fields:
        detail["fields"] = row.fields
    return detail or None


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def get_import(uow: SqlUnitOfWork, actor: Actor, import_id: int) -> ImportRun:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        found = ImportRepository(uow.session).get(actor.tenant_id, import_id)
    if found is None:
        raise NotFound("import.not_found", "no such import")
    return found


def list_imports(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[ImportRun]:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        return ImportRepository(uow.session).list(actor.tenant_id, request)


def list_import_errors(uow: SqlUnitOfWork, actor: Actor, import_id: int, request: PageRequest = PageRequest()) -> Page[CellError]:
    """The run's bad cells and columns, by row number."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        imports = ImportRepository(uow.session)
        if imports.get(actor.tenant_id, import_id) is None:
            raise NotFound("import.not_found", "no such import")
        return imports.errors(actor.tenant_id, import_id, request)
