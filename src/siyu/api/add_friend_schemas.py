"""Schemas of bulk add-friend batches (the XOut / XPage families of :mod:`siyu.api.schemas`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from siyu.api.import_schemas import ImportErrorOut
from siyu.api.schemas import Out, PageOut
from siyu.domain.add_friend import NumberState


class CountsOut(Out):
    assigned: int = Field(description="Numbers assigned (each number is assigned to one staff member)")
    added: int = Field(description="Added by their assigned staff member")
    added_by_other_staff: int = Field(description="Added by another staff member first")
    invalid: int = Field(description="Marked invalid (an empty number, not on WeChat)")
    pending: int
    completion_rate: float = Field(description="added / assigned (0 when nothing is assigned)")
    reached_rate: float = Field(description="(added + added_by_other_staff) / assigned: added by any staff member")


class AddFriendBatchOut(CountsOut):
    id: int
    name: str
    due_days: int = Field(description="The tasks are due at the end of the day (Asia/Shanghai) this many days after each import")
    created_by: str
    created_at: datetime


class AddFriendBatchPage(PageOut[AddFriendBatchOut]):
    pass


class StaffProgressOut(CountsOut):
    staff_id: int
    staff_name: str


class AddFriendBatchDetailOut(AddFriendBatchOut):
    staff: list[StaffProgressOut] = Field(description="Each assigned staff member's numbers and rates, by name")


class AddFriendRematchOut(Out):
    changed: int = Field(description="Numbers whose state or customer changed")
    batch: AddFriendBatchOut


class AddFriendNumberOut(Out):
    id: int
    batch_id: int
    phone: str = Field(description="Normalised: 11 digits")
    name: str
    note: str
    staff_id: int = Field(description="The assigned staff member")
    staff_name: str
    state: NumberState
    row_number: int = Field(description="Its row in the file it came from (the header is row 1)")
    customer_id: int | None = Field(description="The customer holding this phone, once known")
    added_by_staff_id: int | None
    added_at: datetime | None
    task_id: int | None = Field(description="The assigned staff member's guide task (none when already added at import)")
    created_at: datetime


class AddFriendNumberPage(PageOut[AddFriendNumberOut]):
    pass


class AssignedOut(Out):
    staff_id: int
    numbers: int


class AddFriendReportOut(Out):
    batch_id: int | None = Field(description="The batch (null for a dry run: nothing was saved)")
    dry_run: bool
    rows_total: int = Field(description="Rows read, blank rows left out")
    rows_new: int = Field(description="Numbers added to the batch (dry run: that would be)")
    rows_already_in_batch: int = Field(description="Phones the batch has already: not added again")
    rows_bad: int = Field(description="Rows not imported; each bad cell is in `errors`")
    already_added: int = Field(description="New numbers whose customer is added already (no task made)")
    assigned: list[AssignedOut] = Field(description="New numbers per staff member")
    errors: list[ImportErrorOut] = Field(description="Every bad cell and column, by row (the header is row 1)")
