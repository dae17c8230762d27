"""The simulated corp's data, its fault switches, and the checks every call goes through."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class Fail(Exception):
    """Answer with this errcode (the simulation's way of saying what WeCom would say)."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg or f"sandbox wecom errcode {errcode}"


@dataclass
class Faults:
    """Switches for what can go wrong. Counted ones apply to the next N calls (gettoken included
    unless ``spare_gettoken``), then switch themselves off."""

    slow_seconds: float = 0.0
    slow_times: int = 0
    server_error_times: int = 0
    server_error_status: int = 502
    server_error_after: int = 0  # calls to let through before the 5xx start (a fault mid-way through a sync)
    busy_times: int = 0  # errcode -1
    frequency_times: int = 0  # errcode 45009
    concurrency_times: int = 0  # errcode 45033
    spare_gettoken: bool = True
    untrusted_ip: bool = False  # 60020 on every call
    denied_apis: set[str] = field(default_factory=set)  # 48002 on these paths

    def slow(self, seconds: float, times: int = 1) -> None:
        self.slow_seconds, self.slow_times = seconds, times

    def server_errors(self, times: int = 1, status: int = 502, *, after: int = 0) -> None:
        self.server_error_times, self.server_error_status, self.server_error_after = times, status, after

    def busy(self, times: int = 1) -> None:
        self.busy_times = times

    def frequency_limit(self, times: int = 1) -> None:
        self.frequency_times = times

    def concurrency_limit(self, times: int = 1) -> None:
        self.concurrency_times = times

    def deny(self, api: str) -> None:
        self.denied_apis.add(api)


@dataclass
class Token:
    value: str
    expires_at: float
    revoked: bool = False
    app: bool = False  # issued for the self-built app's secret (sign-in), not the customer-contact one


@dataclass
class Corp:
    """Everything the simulated WeCom knows about one corp and its customer-contact app."""

    corp_id: str
    secret: str
    clock: Callable[[], float] = time.time
    token_ttl: int = 7200
    rate_limit_per_minute: int = 10_000
    follow_page_size: int = 500  # externalcontact/get pages follow users past this many
    # The demo's corp: every userid is a member with the customer-contact permission, and a
    # contact way made by another process's simulation (the console's, the worker's) is adopted.
    lenient: bool = False
    # Where WeCom's QR code images of contact ways and join ways live; the fake server serves them itself.
    qr_base: str = "https://wework.qpic.cn"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # userid -> {"resigned": bool}
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # external_userid -> external_contact
    follows: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # external_userid -> userid -> follow_user
    tag_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    contact_ways: dict[str, dict[str, Any]] = field(default_factory=dict)
    join_ways: dict[str, dict[str, Any]] = field(default_factory=dict)  # group live codes (sandbox/join_ways.py)
    welcome_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (handover, external) -> record
    transfer_counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    moments: dict[str, Any] = field(default_factory=dict)  # moments tasks: jobs, tasks, job_reads (sandbox/moments.py)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)  # media_id -> purpose, type, created_at (sandbox/media.py)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # the brand's files by URL path (sandbox/media.py)
    tokens: dict[str, Token] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    listings: dict[tuple[str, ...], list[Any]] = field(default_factory=dict)  # batch/get_by_user snapshots, per userid list
    # Mass sends (群发): msgid -> the message, its sender's confirmation and each customer's status.
    mass_messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    mass_confirm_seconds: float | None = 30.0  # a simulated staff member confirms this long after the task is created (None: never)
    mass_not_friend_share: float = 0.05  # lenient corps: this share of unknown customers turn out not to be friends
    mass_cap_per_month: int = 30  # WeCom's per-customer cap (a month's days by default): beyond it, status 3
    # Sign-in (OAuth): the self-built app's secret and AgentId, and the codes issued (sandbox/oauth.py).
    app_secret: str = ""
    agent_id: int | None = None
    oauth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    oauth_member: str | None = None  # who is signed in to the simulated WeCom client (the fake's authorize page)
    oauth_legacy_answer: bool = False  # answer ``UserId`` as the older user/getuserinfo did
    lock: threading.RLock = field(default_factory=threading.RLock)
    _window: dict[str, tuple[int, int]] = field(default_factory=dict)
    _ids: int = 0

    # ---- seeding (tests and benches) ----------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self.lock:
            self._ids += 1
            return f"{prefix}{self._ids:08d}"

    def add_user(self, userid: str, *, resigned: bool = False) -> None:
        self.users[userid] = {"resigned": resigned}

    def add_contact(self, external_userid: str, *, name: str = "", unionid: str = "", gender: int = 0, avatar: str = "",
                    follows: dict[str, dict[str, Any]] | None = None) -> None:
        self.contacts[external_userid] = {"external_userid": external_userid, "name": name or external_userid, "type": 1,
                                          "gender": gender, "unionid": unionid, "avatar": avatar}
        self.follows[external_userid] = {}
        for userid, extra in (follows or {}).items():
            self.follow(external_userid, userid, **extra)

    def follow(self, external_userid: str, userid: str, *, state: str = "", add_way: int = 1, remark: str = "",
               description: str = "", createtime: int | None = None, tag_ids: list[str] | None = None) -> None:
        if userid not in self.users:
            self.add_user(userid)
        self.follows.setdefault(external_userid, {})[userid] = {
            "userid": userid, "remark": remark, "description": description, "state": state, "add_way": add_way,
            "createtime": int(self.clock()) if createtime is None else createtime, "tag_ids": list(tag_ids or []),
            "remark_mobiles": [], "oper_userid": userid,
        }

    def qr_code_url(self, config_id: str) -> str:
        """The ``qr_code`` WeCom answers for a way: its image on WeCom's CDN (``sandbox/media.py`` serves it)."""
        return f"{self.qr_base}/fake/{config_id}"

    def issue_welcome_code(self, userid: str, external_userid: str) -> str:
        """What WeCom puts in an add callback: usable once, for 20 seconds."""
        code = secrets.token_hex(16)
        self.welcome_codes[code] = {"userid": userid, "external_userid": external_userid, "issued": self.clock(), "used": False}
        return code

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (the next use answers 42001)."""
        with self.lock:
            for token in self.tokens.values():
                token.expires_at = self.clock() - 1

    def invalidate_tokens(self) -> None:
        """Every token issued so far becomes invalid (40014), as after a secret reset."""
        with self.lock:
            for token in self.tokens.values():
                token.revoked = True

    def count(self, path: str) -> int:
        return sum(1 for called, _ in self.calls if called == path)

    # ---- the checks every call goes through -----------------------------------------

    def issue_token(self, corpid: str, corpsecret: str) -> Token:
        if corpid != self.corp_id:
            raise Fail(40013, "invalid corpid")
        app = bool(self.app_secret) and corpsecret == self.app_secret
        if not corpsecret or (corpsecret != self.secret and not app):
            raise Fail(40001, "invalid credential")
        now = self.clock()
        for token in self.tokens.values():
            if not token.revoked and token.expires_at > now and token.app == app:
                return token  # inside its lifetime WeCom hands out the same token
        token = Token(secrets.token_hex(24), now + self.token_ttl, app=app)
        self.tokens[token.value] = token
        return token

    def check_token(self, value: str | None) -> None:
        if not value:
            raise Fail(41001, "access_token missing")
        token = self.tokens.get(value)
        if token is None or token.revoked:
            raise Fail(40014, "invalid access_token")
        if token.expires_at <= self.clock():
            raise Fail(42001, "access_token expired")

    def pre_checks(self, path: str) -> float:
        """Fault switches and limits, before the endpoint runs. Returns seconds to stall first."""
        faults = self.faults
        with self.lock:
            delay = 0.0
            spared = path == "/cgi-bin/gettoken" and faults.spare_gettoken
            if faults.slow_times > 0 and not spared:
                faults.slow_times -= 1
                delay = faults.slow_seconds
            if faults.untrusted_ip:
                raise Fail(60020, "not allow to access from your ip")
            if spared:
                return delay
            if faults.server_error_times > 0 and faults.server_error_after > 0:
                faults.server_error_after -= 1
            elif faults.server_error_times > 0:
                faults.server_error_times -= 1
                raise ServerError(faults.server_error_status)
            for attr, code in (("busy_times", -1), ("frequency_times", 45009), ("concurrency_times", 45033)):
                if getattr(faults, attr) > 0:
                    setattr(faults, attr, getattr(faults, attr) - 1)
                    raise Fail(code)
            if path in faults.denied_apis:
                raise Fail(48002, "api forbidden")
            minute = int(self.clock() // 60)
            seen_minute, calls = self._window.get(path, (minute, 0))
            calls = calls + 1 if seen_minute == minute else 1
            self._window[path] = (minute, calls)
            if calls > self.rate_limit_per_minute:
                raise Fail(45009, "api freq out of limit")
            return delay


class ServerError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def need(condition: bool, errcode: int = 40058, errmsg: str = "invalid parameter") -> None:
    if not condition:
        raise Fail(errcode, errmsg)
