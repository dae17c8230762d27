"""A customer's timeline events as sentences a person reads, in the console's language.

Each event kind carries its own data (see ``services/oneid.py``, ``services/tags.py``,
``services/stages.py``, ``services/relations.py``); this module is the one place that knows
those shapes on the console side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from siyu.domain.timeline import EventKind, TimelineEvent
from siyu.web.i18n import N_, Language

# Profile columns as the PROFILE_CHANGED event names them.
PROFILE_LABELS = {
    "name": N_("name"),
    "gender": N_("gender"),
    "avatar": N_("avatar"),
    "birthday": N_("birthday"),
    "region": N_("region"),
    "member_level": N_("member level"),
    "owner_staff_id": N_("owner"),
}
KNOWN_REASONS = {"merged by hand": N_("merged by hand")}
_SHARED_KEYS = re.compile(r"a (?P<source>\w+) record shares (?P<keys>.+)")
# Each kind's look on the timeline: an icon and a colour family.
STYLE = {
    EventKind.CREATED: "green",
    EventKind.IDENTITY_ADDED: "blue",
    EventKind.RELATION_ADDED: "green",
    EventKind.RELATION_CHANGED: "orange",
    EventKind.TAGGED: "violet",
    EventKind.UNTAGGED: "grey",
    EventKind.STAGE_CHANGED: "teal",
    EventKind.PROFILE_CHANGED: "blue",
    EventKind.FIELDS_CHANGED: "blue",
    EventKind.MERGED: "orange",
    EventKind.UNMERGED: "orange",
    EventKind.ORDER_PLACED: "green",
    EventKind.ORDER_REFUNDED: "orange",
    EventKind.OPTED_OUT: "red",
    EventKind.OPTED_IN: "green",
}
# Where orders come from, as the console names them; other sources show as sent.
ORDER_SOURCES = {
    "mall": N_("mall"), "store": N_("store"), "miniprogram": N_("mini-program"), "tmall": N_("Tmall"), "jd": N_("JD"),
    "douyin": N_("Douyin"),
}
# Where an opt-out (do-not-disturb) came from (domain OptOutSource).
OPT_OUT_SOURCES = {
    "manual": N_("set by hand"), "import": N_("from an import"), "customer_request": N_("at the customer's request"),
    "api": N_("through the API"),
}
ORDER_STATUSES = {"paid": N_("paid"), "partially_refunded": N_("partly refunded"), "refunded": N_("refunded")}


def order_source(language: Language, source: str) -> str:
    return language.gettext(ORDER_SOURCES[source]) if source in ORDER_SOURCES else source


def order_status(language: Language, status: str) -> str:
    return language.gettext(ORDER_STATUSES[status]) if status in ORDER_STATUSES else status


@dataclass(frozen=True, slots=True)
class Names:
    """What the sentences need to name things: staff by id, custom fields by key."""

    staff: Mapping[int, str]
    fields: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Line:
    event: TimelineEvent
    text: str
    style: str


def describe(language: Language, event: TimelineEvent, names: Names) -> Line:
    render = _SENTENCES.get(event.kind)
    text = render(language, event.data, names) if render else str(event.kind)
    return Line(event=event, text=text, style=STYLE.get(event.kind, "grey"))


def _list(language: Language, items: list[str]) -> str:
    return language.gettext(N_(", ")).join(items)


def _changes(language: Language, items: list[str]) -> str:
    return language.gettext(N_("; ")).join(items)


def _staff(language: Language, names: Names, staff_id: Any) -> str:
    if isinstance(staff_id, int) and staff_id in names.staff:
        return names.staff[staff_id]
    return language.gettext(N_("staff member #%(id)s"), id=staff_id) if staff_id else "—"


def _identity(language: Language, text: str) -> str:
    kind, _, value = text.partition(":")
    return f"{language.label('identity', kind)} {value}"


def _value(language: Language, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return _list(language, [str(v) for v in value])
    return str(value)


def _created(language: Language, data: dict[str, Any], names: Names) -> str:
    identities = [_identity(language, i) for i in data.get("identities", [])]
    text = language.gettext(N_("Customer created (source: %(source)s), identities: %(identities)s"),
                            source=language.label("identity_source", data.get("source", "")),
                            identities=_list(language, identities) or "—")
    applied = _applied(language, data, names)
    return _changes(language, [text, *applied]) if applied else text


def _applied(language: Language, data: dict[str, Any], names: Names) -> list[str]:
    """What the row that created the customer applied (imports say it in the CREATED event)."""
    parts = []
    if data.get("tags"):
        parts.append(language.gettext(N_("tags %(tags)s"), tags=_list(language, [str(t) for t in data["tags"]])))
    if data.get("stage"):
        parts.append(language.gettext(N_("stage %(stage)s"), stage=data["stage"]))
    if data.get("staff_id"):
        parts.append(language.gettext(N_("followed and owned by %(staff)s"), staff=_staff(language, names, data["staff_id"])))
    if data.get("fields"):
        values = [language.gettext(N_("%(field)s %(value)s"), field=names.fields.get(key, key), value=_value(language, value))
                  for key, value in data["fields"].items()]
        parts.append(language.gettext(N_("extended fields: %(fields)s"), fields=_list(language, values)))
    return parts


def _identity_added(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Identity added: %(identity)s (source: %(source)s)"),
                            identity=f"{language.label('identity', data.get('kind', ''))} {data.get('value', '')}",
                            source=language.label("identity_source", data.get("source", "")))


def _relation_added(language: Language, data: dict[str, Any], names: Names) -> str:
    staff = _staff(language, names, data.get("staff_id"))
    if data.get("channel_state"):
        return language.gettext(N_("%(staff)s added the customer on WeCom (channel %(channel)s)"),
                                staff=staff, channel=data["channel_state"])
    return language.gettext(N_("%(staff)s added the customer on WeCom"), staff=staff)


def _relation_changed(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Relation with %(staff)s: %(before)s → %(after)s"),
                            staff=_staff(language, names, data.get("staff_id")),
                            before=language.label("relation", data.get("before", "")),
                            after=language.label("relation", data.get("after", "")))


def _tagged(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Tag %(tag)s added (%(source)s)"), tag=data.get("tag", ""),
                            source=language.label("tag_source", data.get("source", "")))


def _untagged(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Tag %(tag)s removed"), tag=data.get("tag", ""))


def _stage(language: Language, data: dict[str, Any], names: Names) -> str:
    before, after = data.get("before"), data.get("after")
    if before and after:
        return language.gettext(N_("Stage changed from %(before)s to %(after)s"), before=before, after=after)
    if after:
        return language.gettext(N_("Stage set to %(after)s"), after=after)
    return language.gettext(N_("Taken out of stage %(before)s"), before=before or "—")


def _profile_value(language: Language, key: str, value: Any, names: Names) -> str:
    if key == "gender":
        return language.label("gender", value if value is not None else 0)
    if key == "owner_staff_id":
        return _staff(language, names, value)
    return _value(language, value)


def _profile(language: Language, data: dict[str, Any], names: Names) -> str:
    parts = [
        language.gettext(N_("%(field)s %(before)s → %(after)s"),
                         field=language.gettext(PROFILE_LABELS[key]) if key in PROFILE_LABELS else key,
                         before=_profile_value(language, key, change[0], names),
                         after=_profile_value(language, key, change[1], names))
        for key, change in data.get("changes", {}).items()
    ]
    return language.gettext(N_("Profile changed: %(changes)s"), changes=_changes(language, parts))


def _fields(language: Language, data: dict[str, Any], names: Names) -> str:
    parts = [
        language.gettext(N_("%(field)s %(before)s → %(after)s"), field=names.fields.get(key, key),
                         before=_value(language, change[0]), after=_value(language, change[1]))
        for key, change in data.get("changes", {}).items()
    ]
    return language.gettext(N_("Extended fields changed: %(changes)s"), changes=_changes(language, parts))


def merge_reason(language: Language, reason: str) -> str:
    """Why two customers were merged, from the reason the services record."""
    if reason in KNOWN_REASONS:
        return language.gettext(KNOWN_REASONS[reason])
    shared = _SHARED_KEYS.fullmatch(reason)
    if shared:
        keys = [_identity(language, key.strip()) for key in shared.group("keys").split(",")]
        return language.gettext(N_("a record from %(source)s shares %(keys)s"),
                                source=language.label("identity_source", shared.group("source")), keys=_list(language, keys))
    return reason


def _merged(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Customer #%(id)s was merged into this customer (%(reason)s)"),
                            id=data.get("merged_id", "?"), reason=merge_reason(language, str(data.get("reason", ""))))


def _unmerged(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Merge with customer #%(id)s undone; the two are separate again"),
                            id=data.get("other_id", "?"))


def _order_placed(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Order %(order)s (%(source)s): ¥%(amount)s"), order=data.get("source_order_id", "?"),
                            source=order_source(language, str(data.get("source", ""))), amount=data.get("amount", "?"))


def _order_refunded(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Refund of ¥%(amount)s on order %(order)s (%(source)s)"), amount=data.get("amount", "?"),
                            order=data.get("source_order_id", "?"), source=order_source(language, str(data.get("source", ""))))


def opt_out_source(language: Language, source: str) -> str:
    return language.gettext(OPT_OUT_SOURCES[source]) if source in OPT_OUT_SOURCES else source


def _opted_out(language: Language, data: dict[str, Any], names: Names) -> str:
    source = opt_out_source(language, str(data.get("source", "")))
    if data.get("note"):
        return language.gettext(N_("Do not disturb set (%(source)s): %(note)s"), source=source, note=data["note"])
    return language.gettext(N_("Do not disturb set (%(source)s)"), source=source)


def _opted_in(language: Language, data: dict[str, Any], names: Names) -> str:
    return language.gettext(N_("Do not disturb removed; sends may reach the customer again"))


_SENTENCES: dict[EventKind, Callable[[Language, dict[str, Any], Names], str]] = {
    EventKind.CREATED: _created,
    EventKind.IDENTITY_ADDED: _identity_added,
    EventKind.RELATION_ADDED: _relation_added,
    EventKind.RELATION_CHANGED: _relation_changed,
    EventKind.TAGGED: _tagged,
    EventKind.UNTAGGED: _untagged,
    EventKind.STAGE_CHANGED: _stage,
    EventKind.PROFILE_CHANGED: _profile,
    EventKind.FIELDS_CHANGED: _fields,
    EventKind.MERGED: _merged,
    EventKind.UNMERGED: _unmerged,
    EventKind.ORDER_PLACED: _order_placed,
    EventKind.ORDER_REFUNDED: _order_refunded,
    EventKind.OPTED_OUT: _opted_out,
    EventKind.OPTED_IN: _opted_in,
}
