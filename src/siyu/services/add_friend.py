"""Bulk add-friend batches (批量加好友), Permission ``customers.manage``: import a phone list, give
each number to a staff member as a guide task, follow each number until its customer is added.

- The list is a CSV or XLSX read by :mod:`siyu.adapters.files.sheets` (the customer import's
  reader) and reported like it: every bad cell with its row, column and reason
  (:class:`~siyu.domain.imports.CellError`); the rules are in :mod:`siyu.domain.add_friend`.
  A list is read in the request, in one transaction (at most :data:`MAX_ROWS` rows): all of it
  goes in, or, dry run, none of it (the report is the preview).
- A row's staff column names its assignee; rows without one go round robin over the pool (the
  chosen staff, then the store's active guides), continuing where the batch's last import
  stopped.
- A number whose customer is already added when imported is settled at once and gets no task;
  every other one gets an ``add_friend`` guide task (on the guide's /m/tasks, reminded when
  overdue like any task) with the phone and name in its script. Matching afterwards:
  :mod:`siyu.services.add_friend_matching`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from siyu.adapters.db.repositories.add_friend import AddFriendRepository
from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.files.sheets import open_sheet
from siyu.domain.access import Actor, Permission, Role, Scope
from siyu.domain.add_friend import (
    MAX_ROWS, Batch, BatchDraft, ImportReport, ListParser, ListRow, Number, NumberState, StaffProgress, match, source_key,
    task_script, task_title,
)
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.guide_tasks import TaskKind, TaskSource, TaskState
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.organisation import Staff, StaffStatus
from siyu.domain.paging import Page, PageRequest
from siyu.services.add_friend_matching import CLOSED_BY
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label
from siyu.services.guide_tasks import add_source_task_in, end_of_day

STORE_GUIDES = 200  # a store's guides taken into a pool (one page)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who gets the rows that name no staff member: these staff, then the store's active guides."""

    staff_ids: tuple[int, ...] = ()
    store_id: int | None = None


@dataclass(frozen=True, slots=True)
class BatchDetail:
    batch: Batch
    staff: list[StaffProgress]


def create_batch(uow: SqlUnitOfWork, actor: Actor, draft: BatchDraft, path: Path, *, assignment: Assignment = Assignment(),
                 encoding: str | None = None, dry_run: bool = False) -> ImportReport:
    """A new batch with the file's numbers; dry run: the report of what it would be, nothing saved."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    return _import(uow, actor, None, draft, path, assignment, encoding, dry_run)


def import_numbers(uow: SqlUnitOfWork, actor: Actor, batch_id: int, path: Path, *, assignment: Assignment = Assignment(),
                   encoding: str | None = None, dry_run: bool = False) -> ImportReport:
    """More numbers into a batch; phones already in it are counted, not added again."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    return _import(uow, actor, batch_id, None, path, assignment, encoding, dry_run)


def _import(uow: SqlUnitOfWork, actor: Actor, batch_id: int | None, draft: BatchDraft | None, path: Path, assignment: Assignment,
            encoding: str | None, dry_run: bool) -> ImportReport:
    tenant_id, now = actor.tenant_id, utcnow()
    with open_sheet(path, encoding=encoding) as sheet:  # read before the write transaction: it holds SQLite's lock
        header = sheet.header
        rows = list(islice(sheet.rows, MAX_ROWS + 1))
    if len(rows) > MAX_ROWS:
        raise InvalidInput("add_friend.too_many_rows", "a list has at most %(max)s rows: split the file", field="file", max=MAX_ROWS)
    with uow:
        repo = AddFriendRepository(uow.session)
        if batch_id is None:
            assert draft is not None
            batch_id = repo.add_batch(tenant_id, name=draft.name, due_days=draft.due_days, created_by=actor_label(actor), now=now)
            name, due_days = draft.name, draft.due_days
        else:
            found = repo.get_batch(tenant_id, batch_id)
            if found is None:
                raise NotFound("add_friend.batch_not_found", "no such add-friend batch")
            name, due_days = found.name, found.due_days
        pool = _pool(uow, tenant_id, assignment)
        parser = ListParser(header, staff={}, pool=[m.id for m in pool], cursor=repo.cursor(tenant_id, batch_id),
                            known=repo.phones_in(tenant_id, batch_id))
        parser.staff = _staff_named(uow, tenant_id, {parser.staff_keys(cells) for _, cells in rows} - {""})
        report = ImportReport(batch_id=None if dry_run else batch_id, dry_run=dry_run, errors=list(parser.header_errors), assigned={})
        good = _parse(parser, rows, report)
        _add(uow, repo, tenant_id, batch_id, good, report, name=name, due_at=task_due_at(now, due_days))
        repo.set_cursor(tenant_id, batch_id, parser.cursor)
        if not dry_run:
            uow.commit()
    return report


def task_due_at(now: datetime, days: int) -> datetime:
    """The last second of the brand's day ``days`` after ``now``: a task due today is on today's list (/m/tasks)."""
    return end_of_day(now + timedelta(days=days)) - timedelta(seconds=1)


def _parse(parser: ListParser, rows: list[tuple[int, list[str]]], report: ImportReport) -> list[ListRow]:
    good: list[ListRow] = []
    assert report.errors is not None
    for number, cells in rows:
        parsed = parser.parse(number, cells)
        if parsed is None:
            continue
        report.rows_total += 1
        if isinstance(parsed, str):
            report.rows_already_in_batch += 1
        elif isinstance(parsed, list):
            report.rows_bad += 1
            report.errors.extend(parsed)
        else:
            good.append(parsed)
    return good


def _add(uow: SqlUnitOfWork, repo: AddFriendRepository, tenant_id: int, batch_id: int, rows: list[ListRow], report: ImportReport, *,
         name: str, due_at: datetime) -> None:
    """Each new number: settled now if its customer is added already, else pending with a task."""
    assert report.assigned is not None
    owners = {k.value: c for k, c in uow.identities.owners(tenant_id, [IdentityKey(IdentityKind.PHONE, r.phone) for r in rows]).items()}
    followers = repo.followers(tenant_id, list(owners.values()))
    now = utcnow()
    for row in rows:
        customer_id = owners.get(row.phone)
        found = match(row.staff_id, followers.get(customer_id, {}) if customer_id is not None else {})
        task_id = None
        if found.state is NumberState.PENDING:
            task_id = add_source_task_in(uow, tenant_id, staff_id=row.staff_id, customer_id=customer_id, kind=TaskKind.ADD_FRIEND.value,
                                         title=task_title(row), script=task_script(row, name), due_at=due_at,
                                         source_kind=TaskSource.ADD_FRIEND.value, source_key=source_key(batch_id, row.phone))
        else:
            report.already_added += 1
        repo.add_number(tenant_id, batch_id, now=now, phone=row.phone, name=row.name, note=row.note, row_number=row.number,
                        staff_id=row.staff_id, state=found.state.value, customer_id=customer_id,
                        added_by_staff_id=found.added_by_staff_id, added_at=found.added_at, task_id=task_id)
        report.rows_new += 1
        report.assigned[row.staff_id] = report.assigned.get(row.staff_id, 0) + 1


def _pool(uow: SqlUnitOfWork, tenant_id: int, assignment: Assignment) -> list[Staff]:
    chosen = list(dict.fromkeys(assignment.staff_ids))
    found = {m.id: m for m in uow.staff.many(tenant_id, chosen)}
    missing = [str(i) for i in chosen if i not in found]
    if missing:
        raise InvalidInput("add_friend.unknown_pool_staff", "no such staff member: %(ids)s", field="staff_ids", ids=", ".join(missing))
    pool = [found[i] for i in chosen]
    resigned = [m.name for m in pool if m.status is not StaffStatus.ACTIVE]
    if resigned:
        raise InvalidInput("add_friend.pool_staff_resigned", "%(names)s resigned: choose active staff", field="staff_ids",
                           names=", ".join(resigned))
    if assignment.store_id is not None:
        if uow.stores.get(Scope(tenant_id), assignment.store_id) is None:
            raise InvalidInput("add_friend.unknown_store", "no such store", field="store_id")
        guides = uow.staff.list(Scope(tenant_id), PageRequest(page_size=STORE_GUIDES), store_id=assignment.store_id,
                                status=StaffStatus.ACTIVE, role=Role.GUIDE).items
        if not guides:
            raise InvalidInput("add_friend.store_without_guides", "the store has no active guides", field="store_id")
        pool += [m for m in sorted(guides, key=lambda m: m.id) if m.id not in found]
    return pool


def _staff_named(uow: SqlUnitOfWork, tenant_id: int, names: set[str]) -> dict[str, Staff]:
    """The rows' staff cells (lowercased): a WeCom userid, else a staff id."""
    found: dict[str, Staff] = {}
    for name in sorted(names):
        member = uow.staff.find_by_userid(tenant_id, name)
        if member is None and name.isdigit():
            member = uow.staff.get(Scope(tenant_id), int(name))
        if member is not None:
            found[name] = member
    return found


def get_batch(uow: SqlUnitOfWork, actor: Actor, batch_id: int) -> BatchDetail:
    """The batch, its counts and completion rates, and each assigned staff member's."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow.reading():
        repo = AddFriendRepository(uow.session)
        batch = repo.get_batch(actor.tenant_id, batch_id)
        if batch is None:
            raise NotFound("add_friend.batch_not_found", "no such add-friend batch")
        return BatchDetail(batch, repo.progress(actor.tenant_id, batch_id))


def list_batches(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[Batch]:
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow.reading():
        return AddFriendRepository(uow.session).batches(actor.tenant_id, request)


def list_numbers(uow: SqlUnitOfWork, actor: Actor, batch_id: int, request: PageRequest = PageRequest(), *,
                 state: NumberState | None = None, staff_id: int | None = None) -> Page[Number]:
    """The batch's numbers in the order they were imported (file by file, row by row), filtered by state and assignee."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow.reading():
        repo = AddFriendRepository(uow.session)
        if repo.get_batch(actor.tenant_id, batch_id) is None:
            raise NotFound("add_friend.batch_not_found", "no such add-friend batch")
        return repo.numbers(actor.tenant_id, batch_id, request, state=state, staff_id=staff_id)


def mark_invalid(uow: SqlUnitOfWork, actor: Actor, number_id: int) -> Number:
    """An empty number, or one not on WeChat: not to be added; its task is cancelled."""
    actor.require(Permission.CUSTOMERS_MANAGE)
    with uow:
        repo = AddFriendRepository(uow.session)
        number = repo.get_number(actor.tenant_id, number_id)
        if number is None:
            raise NotFound("add_friend.number_not_found", "no such number")
        if number.state is NumberState.ADDED:
            raise Conflict("add_friend.already_added", "this number is added already")
        now = utcnow()
        repo.settle(actor.tenant_id, number_id, state=NumberState.INVALID, customer_id=number.customer_id,
                    added_by_staff_id=number.added_by_staff_id, added_at=number.added_at, now=now)
        if number.task_id is not None:
            uow.guide_tasks.close(actor.tenant_id, number.task_id, TaskState.CANCELLED, at=now, by=CLOSED_BY, outcome_until=None)
        marked = repo.get_number(actor.tenant_id, number_id)
        uow.commit()
    assert marked is not None
    return marked

