"""Orders, money and events as plain rules."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.events import EventDraft
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.money import parse_money
from siyu.domain.order_columns import OrderColumns, OrderRows
from siyu.domain.orders import OrderDraft, OrderStatus, order_status, parse_time, pick_customer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def draft(**extra):
    body = {"source": "Mall", "order_id": "A1", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "100",
            "identities": {"phone": "+86 138-0013-8000"}, "lines": [{"sku": "L", "amount": "100"}]}
    body.update(extra)
    return OrderDraft.parse(body, now=NOW)


@pytest.mark.parametrize(("raw", "expected"), [("12.5", "12.50"), (12.5, "12.50"), ("¥1,299.00", "1299.00"), ("0.01", "0.01")])
def test_money_is_read_to_the_fen(raw, expected):
    assert parse_money(raw, field="amount") == Decimal(expected)


@pytest.mark.parametrize("raw", ["0", "-1", "1.005", "abc", "NaN", None, True, "99999999999"])
def test_money_that_is_not_a_payment_is_refused(raw):
    with pytest.raises(InvalidInput):
        parse_money(raw, field="amount")


def test_status_follows_the_refunds():
    assert order_status(Decimal("10"), Decimal("0")) is OrderStatus.PAID
    assert order_status(Decimal("10"), Decimal("9.99")) is OrderStatus.PARTIALLY_REFUNDED
    assert order_status(Decimal("10"), Decimal("10")) is OrderStatus.REFUNDED


def test_an_order_is_normalised_and_its_digest_ignores_refunds_only():
    plain = draft()
    assert plain.source == "mall" and plain.identities == (IdentityKey(IdentityKind.PHONE, "13800138000"),)
    refunded = draft(refunds=[{"refund_id": "R1", "amount": "1", "refunded_at": "2026-11-02T00:00:00Z"}])
    assert refunded.digest == plain.digest
    assert draft(amount="99").digest != plain.digest
    assert draft(lines=[{"sku": "L", "amount": "99"}]).digest != plain.digest
    assert draft(identities={"phone": "13800138000"}).digest == plain.digest  # the same key, written another way


def test_refunds_of_one_order_are_checked_together():
    with pytest.raises(InvalidInput, match="more than the amount"):
        draft(refunds=[{"refund_id": "R1", "amount": "60", "refunded_at": "2026-11-02T00:00:00Z"},
                       {"refund_id": "R2", "amount": "41", "refunded_at": "2026-11-02T00:00:00Z"}])
    with pytest.raises(InvalidInput, match="before its order"):
        draft(refunds=[{"refund_id": "R1", "amount": "1", "refunded_at": "2026-10-01T00:00:00Z"}])
    with pytest.raises(InvalidInput, match="twice"):
        draft(refunds=[{"refund_id": "R1", "amount": "1", "refunded_at": "2026-11-02T00:00:00Z"},
                       {"refund_id": "R1", "amount": "2", "refunded_at": "2026-11-02T00:00:00Z"}])


def test_times_need_a_clock_that_is_not_ahead():
    assert parse_time("2026-11-01 08:00", field="t", now=NOW) == datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert parse_time("2026-11-01T00:00:00Z", field="t", now=NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_time((NOW + timedelta(minutes=9)).isoformat(), field="t", now=NOW) > NOW
    with pytest.raises(InvalidInput, match="future"):
        parse_time((NOW + timedelta(minutes=11)).isoformat(), field="t", now=NOW)
    with pytest.raises(InvalidInput):
        parse_time("31/12/2026", field="t", now=NOW)


def test_the_strongest_key_picks_the_customer():
    phone, member = IdentityKey(IdentityKind.PHONE, "13800138000"), IdentityKey(IdentityKind.MEMBER_NO, "M1")
    assert pick_customer([phone, member], {phone: 1, member: 2}) == 2
    assert pick_customer([phone, member], {phone: 1}) == 1
    assert pick_customer([phone], {}) is None


def test_an_event_is_checked_field_by_field():
    good = {"event_id": "e1", "name": "visit", "occurred_at": "2026-11-20T11:00:00Z", "identity": {"kind": "openid", "value": "o1"}}
    assert EventDraft.parse(good, now=NOW).identity == IdentityKey(IdentityKind.OPENID, "o1")
    for change, field in (({"event_id": ""}, "event_id"), ({"name": "1abc"}, "name"), ({"properties": []}, "properties"),
                          ({"occurred_at": "2020-01-01T00:00:00Z"}, "occurred_at"), ({"source": "Bad Source"}, "source"),
                          ({"properties": {"x": float("nan")}}, "properties")):
        with pytest.raises(InvalidInput) as bad:
            EventDraft.parse({**good, **change}, now=NOW)
        assert bad.value.field == field


def test_an_error_points_at_the_row_and_column_it_came_from():
    columns = OrderColumns.read(["订单号", "下单时间", "实付金额", "商品编码", "商品金额", "退款单号", "退款金额", "乱七八糟"])
    assert columns.unknown == ["乱七八糟"] and columns.missing(has_source=False) == ["source"]
    rows = OrderRows(("mall", "A"), 2, {}, rows=[2, 3, 4], line_rows=[2, 4], refund_rows=[3])
    assert rows.locate(columns, "lines[1].amount") == (4, "商品金额")
    assert rows.locate(columns, "refunds[0].amount") == (3, "退款金额")
    assert rows.locate(columns, "amount") == (2, "实付金额")
    assert rows.locate(columns, None) == (2, None)
