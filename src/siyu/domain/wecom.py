"""A tenant's WeCom link: its settings, and the events WeCom calls back with.

Plain Python: what the settings must look like, what an event is, and which key makes two
deliveries of the same event one event (WeCom retries a callback it thinks went unanswered,
and anyone who captured a genuine callback can replay it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from siyu.domain.errors import DomainError, InvalidInput

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com"
_CORP_ID = re.compile(r"[A-Za-z0-9]{6,64}")
_TOKEN = re.compile(r"[A-Za-z0-9]{1,32}")  # the console allows English letters and digits, at most 32
_SECRET = re.compile(r"[A-Za-z0-9_\-]{16,128}")
_BASE_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._\-/]*)?")


class CallbackRejected(DomainError):
    """A callback that is not provably from WeCom for this tenant (bad signature, wrong corp,
    broken ciphertext or XML). It is refused with no effect, and logged."""

    code = "callback_rejected"


def hint(secret: str | None) -> str | None:
    """What the console shows of a secret: never the secret, only enough to recognise it."""
    if not secret:
        return None
    return "•" * 8 + secret[-4:] if len(secret) >= 12 else "•" * 8


def aes_key_bytes(encoding_aes_key: str) -> bytes:
    """WeCom's EncodingAESKey is 43 base64 characters: the 32-byte AES key without its '='."""
    if len(encoding_aes_key) != 43:
        raise InvalidInput("wecom.aes_key_length", "the EncodingAESKey is exactly 43 letters and digits (企业微信后台随机生成)", field="encoding_aes_key")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("wecom.aes_key_base64", "the EncodingAESKey has characters that are not base64", field="encoding_aes_key") from None
    if len(key) != 32:
        raise InvalidInput("wecom.aes_key_size", "the EncodingAESKey does not decode to a 32-byte key", field="encoding_aes_key")
    return key


@dataclass(frozen=True, slots=True)
class WeComSettingsDraft:
    """Validated settings input; a secret left ``None`` keeps the stored one."""

    corp_id: str
    agent_id: int | None
    api_base_url: str
    contact_secret: str | None
    callback_token: str | None
    encoding_aes_key: str | None
    app_secret: str | None = None  # the self-built app's (AgentId's) Secret: WeCom sign-in (OAuth) needs its token

    @classmethod
    def parse(
        cls, *, corp_id: str, agent_id: int | str | None = None, api_base_url: str | None = None,
        contact_secret: str | None = None, callback_token: str | None = None, encoding_aes_key: str | None = None,
        app_secret: str | None = None,
    ) -> WeComSettingsDraft:
        corp = corp_id.strip()
        if not _CORP_ID.fullmatch(corp):
            raise InvalidInput("wecom.corp_id", "the corp ID (企业ID) is letters and digits, like ww1436e0e65a779aee", field="corp_id")
        agent: int | None = None
        if agent_id not in (None, ""):
            try:
                agent = int(str(agent_id).strip())
            except ValueError:
                raise InvalidInput("wecom.agent_id_number", "the agent ID (AgentId) is a number, like 1000002", field="agent_id") from None
            if not 1 <= agent <= 2**31 - 1:
                raise InvalidInput("wecom.agent_id_range", "the agent ID (AgentId) is a positive number", field="agent_id")
        base = (api_base_url or DEFAULT_API_BASE_URL).strip().rstrip("/")
        if not _BASE_URL.fullmatch(base):
            raise InvalidInput("wecom.api_base_url", "the API base URL is http(s)://host[:port][/path]", field="api_base_url")
        secret = _clean(contact_secret)
        if secret is not None and not _SECRET.fullmatch(secret):
            raise InvalidInput("wecom.secret_format", "the customer-contact secret is 16-128 letters, digits, _ or -", field="contact_secret")
        token = _clean(callback_token)
        if token is not None and not _TOKEN.fullmatch(token):
            raise InvalidInput("wecom.token_format", "the callback Token is at most 32 English letters and digits", field="callback_token")
        aes = _clean(encoding_aes_key)
        if aes is not None:
            aes_key_bytes(aes)
        app = _clean(app_secret)
        if app is not None and not _SECRET.fullmatch(app):
            raise InvalidInput("wecom.app_secret_format", "the app secret is 16-128 letters, digits, _ or -", field="app_secret")
        return cls(corp, agent, base, secret, token, aes, app)


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def callback_url(base_url: str, tenant_slug: str) -> str:
    """The URL an admin pastes into WeCom (Customer Contact → API → Receive events) for this tenant."""
    return f"{base_url.rstrip('/')}/callbacks/wecom/{tenant_slug}"


@dataclass(frozen=True, slots=True)
class WeComSettings:
    """A tenant's settings as anyone may see them: secrets only as hints."""

    tenant_id: int
    corp_id: str
    agent_id: int | None
    api_base_url: str
    contact_secret_hint: str | None
    callback_token_hint: str | None
    encoding_aes_key_hint: str | None
    callback_verified_at: datetime | None
    updated_at: datetime
    updated_by: str
    app_secret_hint: str | None = None

    @property
    def callbacks_ready(self) -> bool:
        return self.callback_token_hint is not None and self.encoding_aes_key_hint is not None


@dataclass(frozen=True, slots=True)
class WeComSecrets:
    """The secrets themselves, for the channel and the callback check. Never logged, never shown."""

    corp_id: str
    agent_id: int | None
    api_base_url: str
    contact_secret: str | None = field(repr=False)
    callback_token: str | None = field(repr=False)
    encoding_aes_key: str | None = field(repr=False)
    app_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class CallbackReceipt:
    """One event WeCom delivered (once, however many times it was delivered)."""

    id: int
    event: str
    change_type: str
    wecom_userid: str | None
    external_userid: str | None
    chat_id: str | None
    occurred_at: datetime
    received_at: datetime
    outcome: str
    deliveries: int
    payload: dict[str, str]


class CallbackEvent(StrEnum):
    EXTERNAL_CONTACT = "change_external_contact"
    EXTERNAL_CHAT = "change_external_chat"
    EXTERNAL_TAG = "change_external_tag"


class ContactChange(StrEnum):
    ADD = "add_external_contact"
    EDIT = "edit_external_contact"
    ADD_HALF = "add_half_external_contact"
    DELETE_BY_STAFF = "del_external_contact"  # the staff member deleted the customer
    DELETE_BY_CUSTOMER = "del_follow_user"  # the customer deleted the staff member
    TRANSFER_FAIL = "transfer_fail"


CHANGE_TYPES: dict[CallbackEvent, frozenset[str]] = {
    CallbackEvent.EXTERNAL_CONTACT: frozenset(c.value for c in ContactChange),
    CallbackEvent.EXTERNAL_CHAT: frozenset({"create", "update", "dismiss"}),
    CallbackEvent.EXTERNAL_TAG: frozenset({"create", "update", "delete", "shuffle"}),
}

# The fields that make an event itself (not its delivery): a retry or replay repeats them all.
_KEY_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "Event", "ChangeType", "UserID", "ExternalUserID",
               "ChatId", "UpdateDetail", "JoinScene", "QuitScene", "MemChangeCnt", "Id", "TagType", "Source", "FailReason")


@dataclass(frozen=True, slots=True)
class WeComEvent:
    """One decrypted callback. ``fields`` is the XML's top-level elements as text."""

    fields: dict[str, str]

    @classmethod
    def parse(cls, fields: dict[str, str]) -> WeComEvent:
        event = cls(fields)
        if fields.get("MsgType") != "event" or not event.event:
            raise InvalidInput("callback.not_event", "not an event callback", field="MsgType")
        if not fields.get("CreateTime", "").isdigit():
            raise InvalidInput("callback.no_create_time", "the callback has no CreateTime", field="CreateTime")
        return event

    @property
    def event(self) -> str:
        return self.fields.get("Event", "")

    @property
    def change_type(self) -> str:
        return self.fields.get("ChangeType", "")

    @property
    def known(self) -> bool:
        """Whether Siyu knows this kind of event (others are recorded and acknowledged)."""
        try:
            return self.change_type in CHANGE_TYPES[CallbackEvent(self.event)]
        except ValueError:
            return False

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(int(self.fields["CreateTime"]), UTC)

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if value else None

    @property
    def key(self) -> str:
        """The dedupe key: the same for every delivery of one event, different for two events
        (WeCom's own rule: FromUserName + CreateTime + ChangeType + UserID + ExternalUserID,
        widened with the chat and tag fields so two tag or chat events in one second differ)."""
        canonical = "\x1f".join(f"{name}={self.fields.get(name, '')}" for name in _KEY_FIELDS)
        return hashlib.sha256(canonical.encode()).hexdigest()
