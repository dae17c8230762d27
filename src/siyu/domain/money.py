"""Money: yuan with two decimals, as :class:`decimal.Decimal` (never float)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from siyu.domain.errors import InvalidInput

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what Numeric(12, 2) holds


def parse_money(value: object, *, field: str, allow_zero: bool = False) -> Decimal:
    """``"12.5"``, ``12.5``, ``"¥1,299.00"`` -> ``Decimal("12.50")``; more than two decimals is refused
    rather than rounded (a sender that sends 0.005 has a bug worth seeing)."""
    if isinstance(value, bool) or value is None:
        raise InvalidInput("money.required", "an amount is required", field=field)
    text = str(value).strip().replace(",", "").lstrip("¥￥")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput("money.invalid", "“%(value)s” is not an amount", field=field, value=str(value)) from None
    if not amount.is_finite():
        raise InvalidInput("money.invalid", "“%(value)s” is not an amount", field=field, value=str(value))
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise InvalidInput("money.too_precise", "an amount has at most two decimals (yuan and fen)", field=field)
    amount = amount.quantize(CENT)
    if amount < 0 and allow_zero:
        raise InvalidInput("money.negative", "an amount cannot be negative", field=field)
    if amount <= 0 and not allow_zero:
        raise InvalidInput("money.not_positive", "an amount must be above 0", field=field)
    if amount > MAX_AMOUNT:
        raise InvalidInput("money.too_large", "the amount is too large", field=field)
    return amount
