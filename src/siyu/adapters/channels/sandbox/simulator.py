"""Simulated customers for the sandbox corp: they scan a contact way's code, add the staff
member it is bound to (WeCom's side: a contact, a follow with the way's ``state``, a welcome
code), and now and then delete that staff member again.

Seeded and clock-free: the caller passes the random generator and the time, so the same seed
and the same moments give the same customers and the same events (tests freeze both).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from siyu.adapters.channels.sandbox.corp import Corp

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰"


@dataclass(frozen=True, slots=True)
class SimulatedEvent:
    """One thing a simulated customer did, as the callback fields WeCom would send."""

    change_type: str  # add_external_contact | del_follow_user
    userid: str
    external_userid: str
    fields: dict[str, str]


def simulate(corp: Corp, rng: random.Random, *, now: float, delete_share: float = 0.15) -> SimulatedEvent | None:
    """One customer's move: mostly an add through a live way, sometimes a deletion."""
    with corp.lock:
        followed = sorted((e, u) for e, follows in corp.follows.items() for u in follows)
        if followed and rng.random() < delete_share:
            external, userid = rng.choice(followed)
            del corp.follows[external][userid]
            return SimulatedEvent("del_follow_user", userid, external, {})
        ways = sorted((w for w in corp.contact_ways.values() if w.get("user")), key=lambda w: w["config_id"])
        if not ways:
            return None
        way = rng.choice(ways)
        userid = rng.choice(sorted(way["user"]))
        external = f"wmsim{int(now * 1000):x}{rng.randrange(16**6):06x}"
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
        corp.add_contact(external, name=name, gender=rng.choice((1, 2)))
        corp.follow(external, userid, state=way.get("state") or "", createtime=int(now))
        fields = {"State": way.get("state") or ""}
        if not way.get("welcome_configured_in_console"):
            fields["WelcomeCode"] = corp.issue_welcome_code(userid, external)
        return SimulatedEvent("add_external_contact", userid, external, fields)


def learn_contact_way(corp: Corp, config_id: str, *, state: str, users: list[str], skip_verify: bool = True) -> None:
    """Make the corp know a way Siyu made elsewhere (another process's sandbox corp): each
    process simulates its own corp, and the database is what they share."""
    with corp.lock:
        for userid in users:
            if userid not in corp.users:
                corp.add_user(userid)
        known = corp.contact_ways.get(config_id)
        if known is None:
            corp.contact_ways[config_id] = {"config_id": config_id, "type": 2, "scene": 2, "state": state, "user": list(users),
                                            "skip_verify": skip_verify, "qr_code": corp.qr_code_url(config_id),
                                            "is_temp": False}
        else:
            known["user"] = list(users)
