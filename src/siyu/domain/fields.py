"""Extended fields each tenant defines for its customers, validated on every write."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from siyu.domain.customers import parse_date
from siyu.domain.errors import InvalidInput

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_LIST_SEPARATORS = re.compile(r"\s*[;,，；、|]\s*")
TEXT_MAX = 200


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SINGLE = "single"  # one of the options
    MULTI = "multi"  # any of the options


@dataclass(frozen=True, slots=True)
class CustomField:
    id: int
    key: str
    label: str
    kind: FieldKind
    options: tuple[str, ...]
    required: bool
    position: int

    def clean(self, raw: Any) -> Any:
        """The stored form of ``raw``, or ``None`` for empty; raises InvalidInput naming the field."""
        if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
            if self.required:
                raise InvalidInput("field.required", "%(label)s is required", field=self.key, label=self.label)
            return None
        if self.kind is FieldKind.TEXT:
            text = str(raw).strip()
            if len(text) > TEXT_MAX:
                raise InvalidInput("field.too_long", "%(label)s: at most %(max)s characters", field=self.key, label=self.label,
                                   max=TEXT_MAX)
            return text
        if self.kind is FieldKind.NUMBER:
            try:
                number = float(str(raw).strip().replace(",", ""))
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise InvalidInput("field.not_a_number", "%(label)s: “%(value)s” is not a number", field=self.key,
                                   label=self.label, value=str(raw))
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if self.kind is FieldKind.DATE:
            return parse_date(raw if not isinstance(raw, str) else raw, field=self.key).isoformat()
        chosen = raw if isinstance(raw, list) else [p for p in _LIST_SEPARATORS.split(str(raw).strip()) if p]
        unknown = [c for c in chosen if c not in self.options]
        if unknown:
            raise InvalidInput("field.unknown_option", "%(label)s: “%(value)s” is not one of %(options)s", field=self.key,
                               label=self.label, value=str(unknown[0]), options=", ".join(self.options))
        if self.kind is FieldKind.SINGLE:
            if len(chosen) != 1:
                raise InvalidInput("field.choose_one", "%(label)s: choose exactly one", field=self.key, label=self.label)
            return chosen[0]
        return [o for o in self.options if o in chosen]  # option order, no repeats


def clean_field_key(key: str) -> str:
    key = key.strip().lower()
    if not _KEY.fullmatch(key):
        raise InvalidInput("field.invalid_key", "a field key is 1-40 lowercase letters, digits or _, starting with a letter",
                           field="key")
    return key


def clean_options(kind: FieldKind, options: list[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(o.strip() for o in options if o.strip()))
    if kind in (FieldKind.SINGLE, FieldKind.MULTI) and not cleaned:
        raise InvalidInput("field.no_options", "a choice field needs at least one option", field="options")
    if any(len(o) > 40 for o in cleaned):
        raise InvalidInput("field.option_too_long", "options are at most 40 characters", field="options")
    return cleaned if kind in (FieldKind.SINGLE, FieldKind.MULTI) else ()


def clean_values(definitions: dict[str, CustomField], values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validate a set of field values. ``partial`` writes only the given keys (required fields
    not given are left alone); a full write also enforces required fields that are absent."""
    unknown = [k for k in values if k not in definitions]
    if unknown:
        raise InvalidInput("field.unknown", "unknown field “%(key)s”", field=unknown[0], key=unknown[0])
    cleaned = {key: definitions[key].clean(raw) for key, raw in values.items()}
    if not partial:
        for key, definition in definitions.items():
            if key not in values and definition.required:
                raise InvalidInput("field.required", "%(label)s is required", field=key, label=definition.label)
    return cleaned
