"""Orders from the mall, stores and platforms, with their lines and refunds.

An order is known by ``(source, source_order_id)``: sending it again is how a source says
"this is the order now". The rules, in one place:

- **Same order again** (same header, identities and lines: the same :attr:`OrderDraft.digest`)
  changes nothing. **Changed** header or lines replace what was stored (lines are replaced
  whole) and bump ``updated_at``. Refunds are never removed by a resend.
- **Refunds** are known by ``source_refund_id`` within their order: the same refund again
  changes nothing, the same id with another amount is refused. Refunds never add up to more
  than the amount paid, and the status follows from them (:func:`order_status`).
- **Times** without a UTC offset are read as China Standard Time (what Chinese shop systems
  write); they are stored in UTC. An order more than :data:`FUTURE_TOLERANCE` in the future is
  refused (a clock or time-zone bug at the sender).
- **The customer** is found through OneID from the identities the order carries, never
  created: :func:`pick_customer` prefers the strongest key when keys point to different
  customers. An order that matches nobody is kept with no customer and matched later.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from siyu.domain.errors import InvalidInput, Param
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.money import parse_money

SHANGHAI = ZoneInfo("Asia/Shanghai")
FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_LINES = 200
MAX_REFUNDS = 50
_SOURCE = re.compile(r"[a-z0-9_\-]{1,20}")
_EXTERNAL_ID = re.compile(r"[^\s]{1,64}")
# When the keys of one order point to different customers, the strongest key wins.
KEY_PRIORITY: tuple[IdentityKind, ...] = (
    IdentityKind.MEMBER_NO, IdentityKind.UNIONID, IdentityKind.OPENID, IdentityKind.WECOM_EXTERNAL,
    IdentityKind.PHONE, IdentityKind.POS_ID, IdentityKind.EMAIL,
)


class OrderStatus(StrEnum):
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


def order_status(amount: Decimal, refunded: Decimal) -> OrderStatus:
    if refunded <= 0:
        return OrderStatus.PAID
    return OrderStatus.REFUNDED if refunded >= amount else OrderStatus.PARTIALLY_REFUNDED


def parse_time(value: object, *, field: str, now: datetime) -> datetime:
    """An ISO 8601 time (a ``datetime`` is taken as is); naive means China Standard Time."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise InvalidInput("time.invalid", "“%(value)s” is not a time (use ISO 8601, e.g. 2026-05-20T14:30:00+08:00)", field=field,
                               value=str(value)) from None
    else:
        raise InvalidInput("time.required", "a time is required (ISO 8601, e.g. 2026-05-20T14:30:00+08:00)", field=field)
    if at.tzinfo is None:
        at = at.replace(tzinfo=SHANGHAI)
    at = at.astimezone(UTC)
    if at.year < 2000:
        raise InvalidInput("time.too_early", "“%(value)s” is before the year 2000", field=field, value=str(value))
    if at > now + FUTURE_TOLERANCE:
        raise InvalidInput("time.in_future", "“%(value)s” is in the future", field=field, value=str(value))
    return at


def _text(value: object, *, field: str, max_len: int, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if not text and required:
        raise InvalidInput("value.required", "required", field=field)
    if len(text) > max_len:
        raise InvalidInput("name.too_long", "at most %(max)s characters", field=field, max=max_len)
    return text


def _external_id(value: object, *, field: str) -> str:
    text = _text(value, field=field, max_len=64)
    if not _EXTERNAL_ID.fullmatch(text):
        raise InvalidInput("order.invalid_external_id", "1-64 characters without spaces", field=field)
    return text


def _optional_code(value: object, *, field: str, max_len: int) -> str | None:
    text = _text(value, field=field, max_len=max_len, required=False)
    return text or None


def parse_identities(value: object) -> tuple[IdentityKey, ...]:
    """``{"phone": "138...", "member_no": "M1"}`` or ``[{"kind": ..., "value": ...}]``."""
    if value is None:
        return ()
    pairs: list[tuple[object, object]]
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = []
        for item in value:
            if not isinstance(item, Mapping):
                raise InvalidInput("order.invalid_identity", "each identity is {\"kind\": ..., \"value\": ...}", field="identities")
            pairs.append((item.get("kind"), item.get("value")))
    else:
        raise InvalidInput("order.invalid_identities", "identities are an object {kind: value} or a list of {kind, value}",
                           field="identities")
    keys: dict[IdentityKind, IdentityKey] = {}
    for kind, raw in pairs:
        if raw is None or str(raw).strip() == "":
            continue
        key = IdentityKey.parse(str(kind), str(raw))
        if key.kind in keys and keys[key.kind] != key:
            raise InvalidInput("order.identity_twice", "two different %(kind)s values", field=key.kind.value, kind=key.kind.value)
        keys[key.kind] = key
    return tuple(sorted(keys.values()))


@dataclass(frozen=True, slots=True)
class LineDraft:
    sku: str
    name: str
    quantity: int
    amount: Decimal

    @classmethod
    def parse(cls, raw: object, index: int) -> LineDraft:
        where = f"lines[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput("order.invalid_line", "a line is {sku, name, quantity, amount}", field=where)
        quantity = raw.get("quantity", 1)
        if isinstance(quantity, str) and quantity.strip().isdigit():
            quantity = int(quantity.strip())
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1_000_000:
            raise InvalidInput("order.invalid_quantity", "quantity is a whole number from 1", field=f"{where}.quantity")
        return cls(
            sku=_text(raw.get("sku"), field=f"{where}.sku", max_len=64),
            name=_text(raw.get("name"), field=f"{where}.name", max_len=200, required=False),
            quantity=quantity,
            amount=parse_money(raw.get("amount"), field=f"{where}.amount", allow_zero=True),
        )


@dataclass(frozen=True, slots=True)
class RefundDraft:
    source_refund_id: str
    amount: Decimal
    refunded_at: datetime
    reason: str | None = None

    @classmethod
    def parse(cls, raw: object, index: int, *, now: datetime) -> RefundDraft:
        where = f"refunds[{index}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput("order.invalid_refund", "a refund is {refund_id, amount, refunded_at}", field=where)
        return cls(
            source_refund_id=_external_id(raw.get("refund_id"), field=f"{where}.refund_id"),
            amount=parse_money(raw.get("amount"), field=f"{where}.amount"),
            refunded_at=parse_time(raw.get("refunded_at"), field=f"{where}.refunded_at", now=now),
            reason=_optional_code(raw.get("reason"), field=f"{where}.reason", max_len=200),
        )


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """One order as a source sent it, checked. Store, guide and channel are named by the keys
    the source knows: the store's code, the guide's WeCom userid, the channel's code."""

    source: str
    source_order_id: str
    ordered_at: datetime
    amount: Decimal
    identities: tuple[IdentityKey, ...] = ()
    store_code: str | None = None
    staff_userid: str | None = None
    channel_state: str | None = None
    lines: tuple[LineDraft, ...] = ()
    refunds: tuple[RefundDraft, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, raw: object, *, now: datetime) -> OrderDraft:
        if not isinstance(raw, Mapping):
            raise InvalidInput("order.not_object", "an order is a JSON object", field="order")
        source = _text(raw.get("source"), field="source", max_len=20).lower()
        if not _SOURCE.fullmatch(source):
            raise InvalidInput("order.invalid_source", "a source is 1-20 lowercase letters, digits, _ or - (mall, store, tmall ...)",
                               field="source")
        lines, refunds = raw.get("lines") or [], raw.get("refunds") or []
        if not isinstance(lines, list) or len(lines) > MAX_LINES:
            raise InvalidInput("order.too_many_lines", "lines are a list of at most %(max)s", field="lines", max=MAX_LINES)
        if not isinstance(refunds, list) or len(refunds) > MAX_REFUNDS:
            raise InvalidInput("order.too_many_refunds", "refunds are a list of at most %(max)s", field="refunds", max=MAX_REFUNDS)
        draft = cls(
            source=source,
            source_order_id=_external_id(raw.get("order_id"), field="order_id"),
            ordered_at=parse_time(raw.get("ordered_at"), field="ordered_at", now=now),
            amount=parse_money(raw.get("amount"), field="amount"),
            identities=parse_identities(raw.get("identities")),
            store_code=_optional_code(raw.get("store_code"), field="store_code", max_len=32),
            staff_userid=_optional_code(raw.get("staff_userid"), field="staff_userid", max_len=64),
            channel_state=_optional_code(raw.get("channel"), field="channel", max_len=30),
            lines=tuple(LineDraft.parse(line, i) for i, line in enumerate(lines)),
            refunds=tuple(RefundDraft.parse(refund, i, now=now) for i, refund in enumerate(refunds)),
        )
        draft.check_refunds()
        return draft

    def check_refunds(self) -> None:
        seen: dict[str, RefundDraft] = {}
        for i, refund in enumerate(self.refunds):
            if refund.refunded_at < self.ordered_at:
                raise InvalidInput("refund.before_order", "a refund cannot come before its order", field=f"refunds[{i}].refunded_at")
            earlier = seen.get(refund.source_refund_id)
            if earlier is not None and earlier != refund:
                raise InvalidInput("refund.listed_twice", "refund %(refund)s is listed twice, differently", field=f"refunds[{i}].refund_id",
                                   refund=refund.source_refund_id)
            seen[refund.source_refund_id] = refund
        if sum((r.amount for r in seen.values()), Decimal(0)) > self.amount:
            raise InvalidInput("refund.over_amount", "the refunds add up to more than the amount paid", field="refunds")

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_order_id)

    @property
    def digest(self) -> str:
        """What makes a resend "the same order": everything but its refunds."""
        body = {
            "ordered_at": self.ordered_at.isoformat(), "amount": str(self.amount),
            "identities": [[k.kind.value, k.value] for k in self.identities],
            "store": self.store_code, "staff": self.staff_userid, "channel": self.channel_state,
            "lines": [[x.sku, x.name, x.quantity, str(x.amount)] for x in self.lines],
        }
        return hashlib.sha256(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def pick_customer(keys: tuple[IdentityKey, ...] | list[IdentityKey], owners: Mapping[IdentityKey, int]) -> int | None:
    """The customer the order belongs to: the owner of its strongest known key."""
    for kind in KEY_PRIORITY:
        for key in keys:
            if key.kind is kind and key in owners:
                return owners[key]
    return None


def keys_from_stored(identities: Mapping[str, Any]) -> list[IdentityKey]:
    """The identities column (``{kind: value}``, normalised when stored) back to keys."""
    return [IdentityKey(IdentityKind(kind), str(value)) for kind, value in identities.items() if kind in IdentityKind._value2member_map_]


class OrderOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What happened to one order of a batch (``index`` is its position in the batch)."""

    index: int
    source: str | None
    source_order_id: str | None
    outcome: OrderOutcome
    order_id: int | None = None
    customer_id: int | None = None
    refunds_added: int = 0
    field: str | None = None
    reason: str | None = None  # in English; ``code`` and ``params`` let the console say it in its language
    code: str | None = None
    params: Mapping[str, Param] | None = None


class RefundOutcome(StrEnum):
    ADDED = "added"
    UNCHANGED = "unchanged"  # recorded before, with the same amount
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class RefundResult:
    index: int
    source_refund_id: str | None
    outcome: RefundOutcome
    order_id: int | None = None
    field: str | None = None
    reason: str | None = None  # in English; ``code`` and ``params`` as in OrderResult
    code: str | None = None
    params: Mapping[str, Param] | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Refund:
    source_refund_id: str
    amount: Decimal
    refunded_at: datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    source: str
    source_order_id: str
    customer_id: int | None
    identities: dict[str, str]
    store_id: int | None
    staff_id: int | None
    channel_id: int | None
    ordered_at: datetime
    amount: Decimal
    refunded_amount: Decimal
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    lines: tuple[OrderLine, ...] = ()
    refunds: tuple[Refund, ...] = ()

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.refunded_amount
