"""The simulated WeCom's customer-group join ways (群活码: ``groupchat/add_join_way`` and kin),
with WeCom's limits (:mod:`siyu.adapters.channels.join_ways`): 1-5 groups that the corp has
(else 40050, invalid group id), a state of at most 30 characters (else 40058), a remark cut to
30 characters, an unknown ``config_id`` refused with 40058 (as the contact-way endpoints do).
A lenient (demo) corp adopts a way or a group another process's simulation made.

Customers joining through a way: :func:`simulate_join` — the first listed group under the
member limit takes them, as WeCom fills a code's groups in order; when all are full and the way
may create rooms, a new group ``room_base_name`` + n is made (n from ``room_base_id`` on), and
its create callback lets Siyu adopt it into the code's pool.
"""

from __future__ import annotations

import random
from typing import Any

from siyu.adapters.channels.join_ways import JOIN_WAY_CHATS_MAX, JOIN_WAY_REMARK_MAX, JOIN_WAY_STATE_MAX, ROOM_BASE_NAME_MAX
from siyu.adapters.channels.sandbox.corp import Corp, need
from siyu.adapters.channels.sandbox.customers import EC, route

GC = f"{EC}/groupchat"
GROUP_MEMBERS_MAX = 200  # a customer group's limit (an upgraded group: 500)
_FIELDS = ("scene", "remark", "auto_create_room", "room_base_name", "room_base_id", "chat_id_list", "state")


def add_group_chat(corp: Corp, chat_id: str, *, owner: str, name: str = "", members: int = 1, now: int = 0) -> dict[str, Any]:
    """A group in the corp: its owner and ``members - 1`` made-up customers (type 2)."""
    if owner not in corp.users:
        corp.add_user(owner)
    member_list = [{"userid": owner, "type": 1, "join_time": now, "join_scene": 0}]
    member_list += [{"userid": f"wm{chat_id}m{i:03d}", "type": 2, "join_time": now, "join_scene": 3} for i in range(1, members)]
    chat = {"chat_id": chat_id, "name": name or chat_id, "owner": owner, "create_time": now, "notice": "", "status": 0,
            "member_list": member_list, "admin_list": []}
    corp.group_chats[chat_id] = chat
    return chat


def _check(corp: Corp, way: dict[str, Any]) -> None:
    need(way.get("scene") in (1, 2), 40058, "scene: 1 or 2")
    need(way.get("auto_create_room", 1) in (0, 1), 40058, "auto_create_room: 0 or 1")
    need(len(way.get("state") or "") <= JOIN_WAY_STATE_MAX, 40058, "state: at most 30 characters")
    need(len(way.get("room_base_name") or "") <= ROOM_BASE_NAME_MAX, 40058, "room_base_name: at most 40 characters")
    chats = way.get("chat_id_list") or []
    need(isinstance(chats, list) and 1 <= len(chats) <= JOIN_WAY_CHATS_MAX, 40058, "chat_id_list: 1-5 groups")
    need(len(set(chats)) == len(chats), 40058, "chat_id_list: a group once")
    way["remark"] = str(way.get("remark") or "")[:JOIN_WAY_REMARK_MAX]  # WeCom cuts a longer remark, it does not refuse it
    for chat_id in chats:
        if corp.lenient and chat_id not in corp.group_chats:
            add_group_chat(corp, chat_id, owner="sandbox-owner", now=int(corp.clock()))
        need(chat_id in corp.group_chats, 40050, "invalid chatid")


@route(f"{GC}/add_join_way")
def add_join_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    way = {"scene": 2, "auto_create_room": 1, **{k: body[k] for k in _FIELDS if k in body}}
    _check(corp, way)
    config_id = corp.new_id("jw")
    corp.join_ways[config_id] = {"config_id": config_id, "qr_code": corp.qr_code_url(config_id) if way["scene"] == 2 else "", **way}
    return {"config_id": config_id}


def _way(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    config_id = body.get("config_id") or ""
    if corp.lenient and config_id and config_id not in corp.join_ways:
        corp.join_ways[config_id] = {"config_id": config_id, "scene": 2, "auto_create_room": 0, "chat_id_list": [],
                                     "qr_code": corp.qr_code_url(config_id), "state": ""}
    way = corp.join_ways.get(config_id)
    need(way is not None, 40058, "invalid config_id")
    assert way is not None
    return way


@route(f"{GC}/get_join_way")
def get_join_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    way = _way(corp, body)
    return {"join_way": {k: v for k, v in way.items() if k in ("config_id", "qr_code", *_FIELDS)}}


@route(f"{GC}/update_join_way")
def update_join_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    way = _way(corp, body)
    updated = {**way, **{k: body[k] for k in _FIELDS if k in body}}
    _check(corp, updated)
    way.update(updated)
    return {}


@route(f"{GC}/del_join_way")
def del_join_way(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    del corp.join_ways[_way(corp, body)["config_id"]]
    return {}


# ---- customers joining ----------------------------------------------------------------------


def simulate_join(corp: Corp, rng: random.Random, *, now: float, members_max: int = GROUP_MEMBERS_MAX) -> dict[str, str] | None:
    """One customer scans a join way's code: the ``change_external_chat`` fields WeCom would
    call back with (``ChangeType`` create for a room the way made, else update/add_member),
    or None when no way can take anyone.

    The first listed group under the member limit takes them, then a room the way made before;
    when all are full and the way may create rooms, a new one is made, named ``room_base_name``
    + a number counting up from ``room_base_id`` (1 when unset; a changed base starts again),
    owned by the first listed group's owner. The room is not added to the way's
    ``chat_id_list`` (WeCom's docs do not say it is): Siyu adopts it into the pool on the create
    callback and re-lists the way."""
    with corp.lock:
        ways = sorted((w for w in corp.join_ways.values() if w.get("chat_id_list") or w.get("auto_create_room")),
                      key=lambda w: w["config_id"])
        if not ways:
            return None
        way = rng.choice(ways)
        made = [c for c in way.get("rooms_made", []) if c not in way["chat_id_list"]]
        chat = next((corp.group_chats[c] for c in [*way["chat_id_list"], *made]
                     if c in corp.group_chats and len(corp.group_chats[c]["member_list"]) < members_max), None)
        created = chat is None
        if chat is None:
            if not way.get("auto_create_room"):
                return None
            chat = add_group_chat(corp, corp.new_id("wrsim"), owner=_owner(corp, way), name=_room_name(way), now=int(now))
            way.setdefault("rooms_made", []).append(chat["chat_id"])
        external = f"wmsim{int(now * 1000):x}{rng.randrange(16**6):06x}"
        chat["member_list"].append({"userid": external, "type": 2, "join_time": int(now), "join_scene": 3,
                                    "state": way.get("state") or ""})
        if created:
            return {"ChatId": chat["chat_id"], "ChangeType": "create"}
        return {"ChatId": chat["chat_id"], "ChangeType": "update", "UpdateDetail": "add_member", "JoinScene": "3", "MemChangeCnt": "1"}


def _room_name(way: dict[str, Any]) -> str:
    base_name, base_id = str(way.get("room_base_name") or ""), way.get("room_base_id")
    start = int(base_id) if base_id is not None else 1
    if way.get("_room_base") != (base_name, start):  # a new (or changed) base: numbering starts again
        way["_room_base"], way["_next_room"] = (base_name, start), start
    number = int(way["_next_room"])
    way["_next_room"] = number + 1
    return f"{base_name}{number}"


def _owner(corp: Corp, way: dict[str, Any]) -> str:
    listed = [corp.group_chats[c]["owner"] for c in way["chat_id_list"] if c in corp.group_chats]
    return listed[0] if listed else "sandbox-owner"


def learn_join_way(corp: Corp, config_id: str, *, state: str, chats: dict[str, tuple[str, int]], auto_create_room: bool,
                   room_base_name: str, room_base_id: int | None) -> None:
    """Make this process's corp know a way (and its groups, ``chat_id -> (owner, members)``)
    another process made: the database is what they share, as for contact ways."""
    with corp.lock:
        for chat_id, (owner, members) in chats.items():
            known = corp.group_chats.get(chat_id)
            if known is None:
                add_group_chat(corp, chat_id, owner=owner, members=members, now=int(corp.clock()))
        way = corp.join_ways.setdefault(config_id, {"config_id": config_id, "scene": 2, "qr_code": corp.qr_code_url(config_id)})
        way.update({"state": state, "chat_id_list": list(chats), "auto_create_room": int(auto_create_room),
                    "room_base_name": room_base_name, "room_base_id": room_base_id})  # rooms it made stay in rooms_made
