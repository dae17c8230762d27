"""Bulk add-friend tasks (批量加好友): a phone list, handed to staff, tracked until added.

An operator imports a list of phones into a *batch*; each number is assigned to a staff
member (the one its row names, else the next of the batch's pool, round robin) who gets a
guide task to add it. A number is

- ``pending`` until a customer with that phone has a relation with a staff member;
- ``added`` once the customer follows the assigned staff member (the task is done);
- ``added_by_other_staff`` when someone else added them first (the task is cancelled; it
  still becomes ``added`` if the assigned staff member adds them later);
- ``invalid`` when an operator marks it so (an empty number, not on WeChat).

The list's columns: ``phone`` (required), ``name``, ``staff`` (a WeCom userid or a staff id)
and ``note``, in English or Chinese (:data:`COLUMNS`). A bad row (bad phone, unknown or resigned
staff, a phone already on an earlier row, no staff to give it to) is reported with its row
number and column, like a customer import (:class:`~siyu.domain.imports.CellError`), and not
imported. A phone already in the batch is not imported again: importing the same file twice
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from siyu.domain.errors import InvalidInput
from siyu.domain.import_columns import normal_header
from siyu.domain.imports import CellError
from siyu.domain.organisation import Staff, StaffStatus, clean_name
from siyu.domain.phones import normalise_mobile

MAX_ROWS = 20_000  # a list is read in the request; bigger lists go in several files
MAX_FILE_MB = 8  # the largest list upload taken (20,000 rows with names and notes is about 1 MB)
MAX_DUE_DAYS = 30
MAX_NAME = 64
MAX_NOTE = 200
COLUMNS: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "mobile", "手机", "手机号", "手机号码", "电话"),
    "name": ("name", "姓名", "名字", "客户姓名", "称呼"),
    "staff": ("staff", "staff_id", "userid", "staff_userid", "员工", "员工账号", "员工id", "导购", "负责员工", "跟进员工"),
    "note": ("note", "remark", "备注", "说明"),
}


class NumberState(StrEnum):
    PENDING = "pending"
    ADDED = "added"
    ADDED_BY_OTHER_STAFF = "added_by_other_staff"
    INVALID = "invalid"


OPEN_STATES = (NumberState.PENDING, NumberState.ADDED_BY_OTHER_STAFF)  # still waiting for the assigned staff member


def parse_state(value: str) -> NumberState:
    try:
        return NumberState(value)
    except ValueError:
        raise InvalidInput("add_friend.unknown_state", "unknown state “%(state)s”", field="state", state=value) from None


@dataclass(frozen=True, slots=True)
class BatchDraft:
    name: str
    due_days: int  # the tasks are due at the end of the brand's day this many days after the import (0: today)

    @classmethod
    def parse(cls, *, name: str, due_days: int = 0) -> BatchDraft:
        if not 0 <= due_days <= MAX_DUE_DAYS:
            raise InvalidInput("add_friend.bad_due_days", "the tasks are due 0 to %(max)s days after the import", field="due_days",
                               max=MAX_DUE_DAYS)
        return cls(name=clean_name(name, max_len=MAX_NAME), due_days=due_days)


class Rates:
    """A batch's or a staff member's counts, as rates (the dataclasses below carry the counts)."""

    __slots__ = ()
    assigned: int
    added: int
    added_by_other_staff: int
    invalid: int

    @property
    def pending(self) -> int:
        return self.assigned - self.added - self.added_by_other_staff - self.invalid

    @property
    def completion_rate(self) -> float:
        """Added by the assigned staff member / assigned."""
        return rate(self.added, self.assigned)

    @property
    def reached_rate(self) -> float:
        """Added by any staff member / assigned: the customer is in the private domain either way."""
        return rate(self.added + self.added_by_other_staff, self.assigned)


@dataclass(frozen=True, slots=True)
class Batch(Rates):
    id: int
    name: str
    due_days: int
    created_by: str
    created_at: datetime
    assigned: int = 0
    added: int = 0
    added_by_other_staff: int = 0
    invalid: int = 0



@dataclass(frozen=True, slots=True)
class StaffProgress(Rates):
    staff_id: int
    staff_name: str
    assigned: int
    added: int
    added_by_other_staff: int
    invalid: int


def rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Number:
    id: int
    batch_id: int
    phone: str
    name: str
    note: str
    staff_id: int
    staff_name: str
    state: NumberState
    row_number: int
    customer_id: int | None
    added_by_staff_id: int | None
    added_at: datetime | None
    task_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ListRow:
    """A good row of the file, assigned."""

    number: int  # the row as Excel numbers it (the header is row 1)
    phone: str
    name: str
    note: str
    staff_id: int


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, dry run, would do): every bad cell with its row and column."""

    batch_id: int | None
    dry_run: bool
    rows_total: int = 0
    rows_new: int = 0
    rows_already_in_batch: int = 0
    rows_bad: int = 0
    already_added: int = 0  # new numbers whose customer is added already (no task made)
    errors: list[CellError] | None = None
    assigned: dict[int, int] | None = None  # staff id -> new numbers given to them


@dataclass(frozen=True, slots=True)
class Match:
    state: NumberState
    added_by_staff_id: int | None
    added_at: datetime | None


def match(staff_id: int, followers: Mapping[int, datetime]) -> Match:
    """A number's state given the staff members the phone's customer has an active relation with
    (staff id -> since when): the assigned staff member's add, else the earliest other one."""
    if staff_id in followers:
        return Match(NumberState.ADDED, staff_id, followers[staff_id])
    if not followers:
        return Match(NumberState.PENDING, None, None)
    first = min(followers, key=lambda s: (followers[s], s))
    return Match(NumberState.ADDED_BY_OTHER_STAFF, first, followers[first])


class ListParser:
    """Reads the header, then each row into a :class:`ListRow` or its errors. Rows without a
    staff member go round robin over ``pool`` (staff ids in order), starting at ``cursor``."""

    def __init__(self, header: list[str], *, staff: dict[str, Staff], pool: list[int], cursor: int, known: set[str]) -> None:
        self.header_errors: list[CellError] = []
        self.columns: dict[str, tuple[int, str]] = {}
        names = {normal_header(alias): target for target, aliases in COLUMNS.items() for alias in aliases}
        for index, raw in enumerate(header):
            text = raw.strip()
            target = names.get(normal_header(text))
            if not text:
                continue
            if target is None:
                self.header_errors.append(CellError.of(1, text, text, InvalidInput(
                    "add_friend.unknown_column", "unknown column “%(column)s”: use %(columns)s", column=text,
                    columns=", ".join(COLUMNS))))
            elif target in self.columns:
                self.header_errors.append(CellError.of(1, text, text, InvalidInput(
                    "add_friend.repeated_column", "the same column as “%(first)s”; only that one is read",
                    first=self.columns[target][1])))
            else:
                self.columns[target] = (index, text)
        if "phone" not in self.columns:
            raise InvalidInput("add_friend.no_phone_column", "the file has no phone column (phone, 手机号)", field="file")
        self.staff = staff  # lowercased userid or str(id) -> member
        self.pool = pool
        self.cursor = cursor
        self.known = known  # phones already in the batch
        self.seen: dict[str, int] = {}

    def staff_keys(self, cells: list[str]) -> str:
        """The row's staff cell, lowercased ("" when none): what :attr:`staff` is keyed by."""
        return self._cell(cells, "staff").lower()

    def _cell(self, cells: list[str], target: str) -> str:
        found = self.columns.get(target)
        return cells[found[0]].strip() if found is not None and found[0] < len(cells) else ""

    def parse(self, number: int, cells: list[str]) -> ListRow | list[CellError] | str | None:
        """None for a blank row; the phone (a str) for one already in the batch; else the row or its errors."""
        if not any(c.strip() for c in cells):
            return None
        errors: list[CellError] = []
        raw_phone = self._cell(cells, "phone")
        phone = ""
        phone_header = self.columns["phone"][1]
        try:
            phone = normalise_mobile(raw_phone, field="phone")
        except InvalidInput as exc:
            errors.append(CellError.of(number, phone_header, raw_phone, exc))
        staff_id = self._staff(number, cells, errors)
        name, note = self._cell(cells, "name")[:MAX_NAME], self._cell(cells, "note")[:MAX_NOTE]
        if errors:
            return errors
        if phone in self.known:
            return phone
        first = self.seen.get(phone)
        if first is not None:
            return [CellError.of(number, phone_header, raw_phone, InvalidInput(
                "add_friend.duplicate_phone", "the same phone as row %(first)s", first=first))]
        self.seen[phone] = number
        if staff_id is None:
            staff_id = self.pool[self.cursor % len(self.pool)]
            self.cursor += 1
        return ListRow(number=number, phone=phone, name=name, note=note, staff_id=staff_id)

    def _staff(self, number: int, cells: list[str], errors: list[CellError]) -> int | None:
        raw = self._cell(cells, "staff")
        header = self.columns["staff"][1] if "staff" in self.columns else None
        if not raw:
            if not self.pool:
                errors.append(CellError.of(number, header, None, InvalidInput(
                    "add_friend.no_staff", "no staff member for this row: fill the staff column, or choose staff to share the list")))
            return None
        member = self.staff.get(raw.lower())
        if member is None:
            errors.append(CellError.of(number, header, raw, InvalidInput(
                "add_friend.unknown_staff", "unknown staff member “%(staff)s”: give a WeCom userid or a staff id", staff=raw)))
            return None
        if member.status is not StaffStatus.ACTIVE:
            errors.append(CellError.of(number, header, raw, InvalidInput(
                "add_friend.staff_resigned", "staff member “%(staff)s” has resigned", staff=raw)))
            return None
        return member.id


def task_title(row: ListRow) -> str:
    return f"加好友 {row.name or row.phone}"[:100]


def task_script(row: ListRow, batch_name: str) -> str:
    """What the guide sees on the task: the phone to search in WeCom, the name, the note."""
    lines = [f"手机号：{row.phone}"]
    if row.name:
        lines.append(f"姓名：{row.name}")
    if row.note:
        lines.append(f"备注：{row.note}")
    lines.append(f"来自批量加好友「{batch_name}」：在企业微信里搜索手机号添加，添加后任务自动完成。")
    return "\n".join(lines)


def source_key(batch_id: int, phone: str) -> str:
    return f"batch:{batch_id}:phone:{phone}"
