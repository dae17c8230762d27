"""The columns of an order file, and how its rows become orders.

One row per order line: rows of the same order (the same source and order id) follow each
other, repeat the order's columns (or leave them empty after the first row) and add one line
each; a row may also carry one refund of its order. The order's columns are read from its
first row; a later row that gives another value for one of them is an error of that row.
Headers are matched without case; English and Chinese names are both understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from siyu.domain.identities import IdentityKind

ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "source": ("source", "来源", "渠道来源", "平台"),
    "order_id": ("order_id", "订单号", "订单编号"),
    "ordered_at": ("ordered_at", "下单时间", "支付时间"),
    "amount": ("amount", "实付金额", "订单金额"),
    "store_code": ("store_code", "门店编码", "门店代码"),
    "staff_userid": ("staff_userid", "导购", "导购账号"),
    "channel": ("channel", "渠道", "渠道编码"),
}
IDENTITY_COLUMNS: dict[str, tuple[str, ...]] = {
    IdentityKind.PHONE.value: ("phone", "手机号", "手机"),
    IdentityKind.MEMBER_NO.value: ("member_no", "会员号", "会员编号"),
    IdentityKind.OPENID.value: ("openid",),
    IdentityKind.UNIONID.value: ("unionid",),
    IdentityKind.POS_ID.value: ("pos_id", "pos编号"),
    IdentityKind.EMAIL.value: ("email", "邮箱"),
    IdentityKind.WECOM_EXTERNAL.value: ("wecom_external", "external_userid"),
}
LINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "商品编码"),
    "name": ("line_name", "商品名称"),
    "quantity": ("quantity", "数量"),
    "amount": ("line_amount", "商品金额"),
}
REFUND_COLUMNS: dict[str, tuple[str, ...]] = {
    "refund_id": ("refund_id", "退款单号"),
    "amount": ("refund_amount", "退款金额"),
    "refunded_at": ("refunded_at", "退款时间"),
    "reason": ("refund_reason", "退款原因"),
}
REQUIRED = ("order_id", "ordered_at", "amount")
_INDEXED = re.compile(r"(lines|refunds)\[(\d+)\]\.(\w+)")


def _lookup(groups: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, tuple[str, str]]:
    return {alias.lower(): (group, name) for group, names in groups.items() for name, aliases in names.items() for alias in aliases}


_ALIASES = _lookup({"order": ORDER_COLUMNS, "identity": IDENTITY_COLUMNS, "line": LINE_COLUMNS, "refund": REFUND_COLUMNS})


@dataclass
class OrderColumns:
    """Where each known column is in the file, and its header as written."""

    index: dict[tuple[str, str], int]
    header: list[str]
    unknown: list[str]

    @classmethod
    def read(cls, header: list[str]) -> OrderColumns:
        index: dict[tuple[str, str], int] = {}
        unknown: list[str] = []
        for position, raw in enumerate(header):
            name = raw.strip().lower()
            if not name:
                continue
            found = _ALIASES.get(name)
            if found is None or found in index:
                unknown.append(raw)
            else:
                index[found] = position
        return cls(index, header, unknown)

    def missing(self, *, has_source: bool) -> list[str]:
        needed = [c for c in REQUIRED if ("order", c) not in self.index]
        if not has_source and ("order", "source") not in self.index:
            needed.insert(0, "source")
        return needed

    def cell(self, cells: list[str], group: str, name: str) -> str:
        position = self.index.get((group, name))
        return cells[position].strip() if position is not None and position < len(cells) else ""

    def title(self, group: str, name: str) -> str | None:
        position = self.index.get((group, name))
        return self.header[position] if position is not None else None


@dataclass
class OrderRows:
    """The rows of one order, gathered, with where each part of it came from."""

    key: tuple[str, str]
    first_row: int
    order: dict[str, Any]
    rows: list[int] = field(default_factory=list)
    line_rows: list[int] = field(default_factory=list)
    refund_rows: list[int] = field(default_factory=list)

    def locate(self, columns: OrderColumns, field_name: str | None) -> tuple[int, str | None]:
        """The (row, column header) an error of ``field_name`` (as the parser names it) points at."""
        if field_name is None:
            return self.first_row, None
        indexed = _INDEXED.fullmatch(field_name)
        if indexed:
            kind, position, name = indexed.group(1), int(indexed.group(2)), indexed.group(3)
            rows, group = (self.line_rows, "line") if kind == "lines" else (self.refund_rows, "refund")
            row = rows[position] if position < len(rows) else self.first_row
            return row, columns.title(group, "name" if (group, name) == ("line", "name") else name)
        if field_name in ORDER_COLUMNS:
            return self.first_row, columns.title("order", field_name)
        if field_name in IDENTITY_COLUMNS:
            return self.first_row, columns.title("identity", field_name)
        if field_name == "refunds" and self.refund_rows:
            return self.refund_rows[-1], columns.title("refund", "amount")
        return self.first_row, None

    def value(self, field_name: str | None) -> str | None:
        """The cell an error of ``field_name`` is about, as the file had it (None for a whole order or row)."""
        if field_name is None:
            return None
        indexed = _INDEXED.fullmatch(field_name)
        if indexed:
            parts = self.order.get(indexed.group(1)) or []
            position = int(indexed.group(2))
            found = parts[position].get(indexed.group(3)) if position < len(parts) else None
        else:
            found = self.order.get(field_name) if field_name in ORDER_COLUMNS else (self.order.get("identities") or {}).get(field_name)
        return found if isinstance(found, str) else None

