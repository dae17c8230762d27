"""Behaviour events (mini-program visits, link opens, coupon use, live-stream views ...).

A sender tracks events in batches; each event is checked on its own and either stored or
rejected with a reason, so one bad event never costs the good ones. ``event_id`` is the
sender's id and the idempotency key: an event sent twice is stored once. The identity says
who did it; it is looked up through OneID and never creates a customer (an event whose
identity matches nobody is kept and matched when the identity becomes known).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from siyu.domain.errors import InvalidInput
from siyu.domain.identities import IdentityKey
from siyu.domain.orders import parse_time

# A customer's reply to the brand's staff (one message, from the conversation archive or any integration):
# experiments count repliers and guide-task leaderboards replied tasks from it (docs/orders.md, "Replies").
REPLY_EVENT = "message_replied"
MAX_PROPERTIES_BYTES = 4096  # the properties as compact UTF-8 JSON
MAX_AGE = timedelta(days=366 * 3)  # older than this is a sender's bug, not history
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:\-]{0,63}")
_EVENT_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_SOURCE = re.compile(r"[a-z0-9_\-]{1,20}")


@dataclass(frozen=True, slots=True)
class EventDraft:
    event_id: str
    name: str
    occurred_at: datetime
    identity: IdentityKey
    properties: dict[str, Any]
    source: str | None = None

    @classmethod
    def parse(cls, raw: object, *, now: datetime) -> EventDraft:
        if not isinstance(raw, Mapping):
            raise InvalidInput("event.not_object", "an event is a JSON object", field="event")
        event_id = str(raw.get("event_id") or "").strip()
        if not _EVENT_ID.fullmatch(event_id):
            raise InvalidInput("event.invalid_id", "event_id is 1-64 letters, digits or _ . : -", field="event_id")
        name = str(raw.get("name") or "").strip()
        if not _NAME.fullmatch(name):
            raise InvalidInput("event.invalid_name", "name is 1-64 letters, digits or _ . : -, starting with a letter", field="name")
        occurred_at = parse_time(raw.get("occurred_at"), field="occurred_at", now=now)
        if occurred_at < now - MAX_AGE:
            raise InvalidInput("event.too_old", "occurred_at is more than three years ago", field="occurred_at")
        identity = raw.get("identity")
        if not isinstance(identity, Mapping) or not identity.get("kind") or not str(identity.get("value") or "").strip():
            raise InvalidInput("event.invalid_identity", "identity is {\"kind\": ..., \"value\": ...} (phone, openid, unionid, member_no ...)",
                               field="identity")
        key = IdentityKey.parse(str(identity["kind"]), str(identity["value"]))
        properties = raw.get("properties")
        properties = {} if properties is None else properties
        if not isinstance(properties, Mapping):
            raise InvalidInput("event.properties_not_object", "properties are a JSON object", field="properties")
        try:
            size = len(json.dumps(properties, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode())
        except (TypeError, ValueError):
            raise InvalidInput("event.properties_not_json", "properties must be plain JSON", field="properties") from None
        if size > MAX_PROPERTIES_BYTES:
            raise InvalidInput("event.properties_too_large", "properties are %(size)s bytes; at most %(max)s", field="properties",
                               size=size, max=MAX_PROPERTIES_BYTES)
        source = raw.get("source")
        if source is not None and not _SOURCE.fullmatch(str(source)):
            raise InvalidInput("event.invalid_source", "source is 1-20 lowercase letters, digits, _ or -", field="source")
        return cls(event_id, name, occurred_at, key, dict(properties), None if source is None else str(source))


class EventOutcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # this event_id was stored before: nothing changed
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class EventResult:
    index: int
    event_id: str | None
    outcome: EventOutcome
    customer_id: int | None = None
    field: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TrackedEvent:
    id: int
    event_id: str
    name: str
    occurred_at: datetime
    customer_id: int | None
    identity_kind: str | None
    identity_value: str | None
    properties: dict[str, Any]
    source: str | None
    received_at: datetime
    updated_at: datetime  # bumped when the event's customer changes
