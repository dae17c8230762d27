"""The phone list's rules: headers in English or Chinese, round robin from a cursor, the match of a number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.domain.access import Role
from siyu.domain.add_friend import BatchDraft, ListParser, ListRow, NumberState, match
from siyu.domain.errors import InvalidInput
from siyu.domain.organisation import Staff, StaffStatus

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _member(staff_id: int, userid: str) -> Staff:
    return Staff(id=staff_id, tenant_id=1, wecom_userid=userid, name=userid, mobile=None, store_id=None, role=Role.GUIDE,
                 status=StaffStatus.ACTIVE, resigned_at=None, created_at=T0)


def test_headers_match_in_either_language_and_round_robin_continues_from_the_cursor() -> None:
    parser = ListParser([" 手机号码 ", "Staff_UserID", "备注"], staff={"zhang": _member(9, "zhang")}, pool=[1, 2, 3], cursor=2,
                        known={"13900000000"})
    assert parser.parse(2, ["13800000001", "", ""]) == ListRow(2, "13800000001", "", "", 3)
    assert parser.parse(3, ["13800000002", "ZHANG", "VIP"]) == ListRow(3, "13800000002", "", "VIP", 9)
    assert parser.parse(4, ["13800000003", "", ""]) == ListRow(4, "13800000003", "", "", 1)
    assert parser.parse(5, ["139 0000 0000", "", ""]) == "13900000000"  # in the batch already: not a new row, no turn taken
    assert parser.parse(6, ["", " ", ""]) is None
    assert parser.cursor == 4


def test_a_list_needs_a_phone_column() -> None:
    with pytest.raises(InvalidInput) as error:
        ListParser(["name"], staff={}, pool=[1], cursor=0, known=set())
    assert error.value.code == "add_friend.no_phone_column"


def test_the_assigned_staff_members_add_wins_else_the_earliest_other_one() -> None:
    later = datetime(2026, 12, 2, tzinfo=UTC)
    assert match(1, {}).state is NumberState.PENDING
    assert match(1, {2: later, 3: T0, 1: later}) == match(1, {1: later})
    other = match(1, {2: later, 3: T0})
    assert (other.state, other.added_by_staff_id, other.added_at) == (NumberState.ADDED_BY_OTHER_STAFF, 3, T0)


def test_a_batch_is_due_within_thirty_days() -> None:
    assert BatchDraft.parse(name=" 双十一 ", due_days=0).name == "双十一"
    with pytest.raises(InvalidInput):
        BatchDraft.parse(name="x", due_days=31)
