"""Welcome messages (欢迎语) and the materials (素材) they carry.

A welcome message is text with ``{customer_name}`` and ``{staff_name}`` filled in, plus up to
nine attachments from the material library (image, video, file, link, mini-program). A
material keeps URLs; WeCom takes images, videos, files and mini-program covers by media id
only, so the sender uploads them first (``siyu.services.wecom_media``) and builds the
attachment from the ids (:meth:`Material.attachment`). A tenant keeps one
default, one per channel and one per contact way; the most specific one wins
(:func:`choose_welcome`). WeCom takes it with the add callback's ``WelcomeCode`` within 20 s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from siyu.domain.contact_ways import fill
from siyu.domain.errors import InvalidInput
from siyu.domain.media import MediaKind, MediaPurpose

WELCOME_SECONDS = 20  # WeCom: a welcome code is valid this long after the add
TEXT_MAX_BYTES = 4000
MAX_ATTACHMENTS = 9


class MaterialKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    FILE = "file"
    LINK = "link"
    MINIPROGRAM = "miniprogram"


class WelcomeScope(StrEnum):
    DEFAULT = "default"
    CHANNEL = "channel"
    WAY = "way"


class SendStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    EXPIRED = "expired"  # 41050: the 20 seconds passed
    USED = "used"  # 41051: another app used the code, or they had chatted
    FAILED = "failed"  # any other error
    NO_MESSAGE = "no_message"  # no welcome message configured for this add


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("material.missing", "this is required", field=field)
    if len(text) > limit:
        raise InvalidInput("name.too_long", "at most %(max)s characters", field=field, max=limit)
    return text


def _url(value: str | None, field: str, *, required: bool = True) -> str:
    url = _text(value, field, 500, required=required)
    if url and not url.startswith(("https://", "http://")):
        raise InvalidInput("material.bad_url", "a link starts with https:// or http://", field=field)
    return url


@dataclass(frozen=True, slots=True)
class MaterialDraft:
    kind: MaterialKind
    title: str
    url: str = ""  # image: the picture; video, file: the file; link: the page
    pic_url: str = ""  # link: its thumbnail; mini-program: its cover
    description: str = ""
    appid: str = ""
    page: str = ""

    @classmethod
    def parse(cls, *, kind: str, title: str, url: str | None = None, pic_url: str | None = None, description: str | None = None,
              appid: str | None = None, page: str | None = None) -> MaterialDraft:
        try:
            material_kind = MaterialKind(kind)
        except ValueError:
            raise InvalidInput("material.bad_kind", "a material is an image, a video, a file, a link or a mini-program",
                               field="kind") from None
        name = _text(title, "title", 64, required=True)
        if material_kind in (MaterialKind.IMAGE, MaterialKind.VIDEO, MaterialKind.FILE):
            return cls(material_kind, name, url=_url(url, "url"))
        if material_kind is MaterialKind.LINK:
            return cls(material_kind, name, url=_url(url, "url"), pic_url=_url(pic_url, "pic_url", required=False),
                       description=_text(description, "description", 120))
        return cls(material_kind, name, pic_url=_url(pic_url, "pic_url"), appid=_text(appid, "appid", 32, required=True),
                   page=_text(page, "page", 200, required=True))


@dataclass(frozen=True, slots=True)
class Material:
    id: int
    kind: MaterialKind
    title: str
    url: str
    pic_url: str
    description: str
    appid: str
    page: str
    created_at: datetime
    updated_at: datetime

    def media_needed(self, purpose: MediaPurpose) -> list[tuple[str, MediaKind, str]]:
        """The files to upload before this material can be sent: ``(part, kind, URL)``; ``main``
        is the image, video or file itself, ``cover`` a mini-program's (or a moment link's) picture."""
        if self.kind in (MaterialKind.IMAGE, MaterialKind.VIDEO, MaterialKind.FILE):
            return [("main", MediaKind(self.kind.value), self.url)]
        if self.kind is MaterialKind.MINIPROGRAM and purpose is MediaPurpose.MESSAGE:
            return [("cover", MediaKind.IMAGE, self.pic_url)]
        if self.kind is MaterialKind.LINK and purpose is MediaPurpose.MOMENT and self.pic_url:
            return [("cover", MediaKind.IMAGE, self.pic_url)]
        return []

    def attachment(self, media: dict[str, str]) -> dict[str, Any]:
        """The attachment as send_welcome_msg and add_msg_template take it; ``media``: part -> media id
        (from ``media/upload``) for what :meth:`media_needed` named."""
        if self.kind in (MaterialKind.IMAGE, MaterialKind.VIDEO, MaterialKind.FILE):
            return {"msgtype": self.kind.value, self.kind.value: {"media_id": media["main"]}}
        if self.kind is MaterialKind.LINK:
            link = {"title": self.title, "url": self.url, **({"picurl": self.pic_url} if self.pic_url else {}),
                    **({"desc": self.description} if self.description else {})}
            return {"msgtype": "link", "link": link}
        return {"msgtype": "miniprogram", "miniprogram": {"title": self.title, "pic_media_id": media["cover"], "appid": self.appid,
                                                          "page": self.page}}


@dataclass(frozen=True, slots=True)
class WelcomeDraft:
    scope: WelcomeScope
    text: str
    material_ids: tuple[int, ...] = ()
    channel_id: int | None = None
    contact_way_id: int | None = None

    @classmethod
    def parse(cls, *, scope: str, text: str | None, material_ids: Iterable[int] = (), channel_id: int | None = None,
              contact_way_id: int | None = None) -> WelcomeDraft:
        try:
            kind = WelcomeScope(scope)
        except ValueError:
            raise InvalidInput("welcome.bad_scope", "a welcome message is for a contact way, a channel or the default",
                               field="scope") from None
        body = (text or "").strip()
        ids = tuple(dict.fromkeys(material_ids))
        if not body and not ids:
            raise InvalidInput("welcome.empty", "a welcome message needs text or an attachment", field="text")
        # the longest fill is unknown, so leave room for names: 4,000 bytes once filled
        if len(body.encode()) > TEXT_MAX_BYTES - 200:
            raise InvalidInput("welcome.too_long", "a welcome text is at most %(max)s bytes", field="text", max=TEXT_MAX_BYTES - 200)
        if len(ids) > MAX_ATTACHMENTS:
            raise InvalidInput("welcome.too_many_attachments", "at most %(max)s attachments", field="material_ids",
                               max=MAX_ATTACHMENTS)
        if (kind is WelcomeScope.WAY) != (contact_way_id is not None) or (kind is WelcomeScope.CHANNEL) != (channel_id is not None):
            raise InvalidInput("welcome.scope_target", "name the contact way or channel the welcome message is for", field="scope")
        return cls(kind, body, ids, channel_id if kind is WelcomeScope.CHANNEL else None,
                   contact_way_id if kind is WelcomeScope.WAY else None)


@dataclass(frozen=True, slots=True)
class WelcomeMessage:
    id: int
    scope: WelcomeScope
    text: str
    material_ids: tuple[int, ...]
    channel_id: int | None
    contact_way_id: int | None
    updated_at: datetime

    def render(self, *, customer_name: str, staff_name: str) -> str:
        return fill(self.text, customer_name=customer_name, staff_name=staff_name)


def choose_welcome(messages: Iterable[WelcomeMessage], *, contact_way_id: int | None, channel_id: int | None) -> WelcomeMessage | None:
    """The most specific message: the way's, else the channel's, else the tenant default."""
    by_scope: dict[tuple[WelcomeScope, int | None], WelcomeMessage] = {}
    for message in messages:
        target = message.contact_way_id if message.scope is WelcomeScope.WAY else message.channel_id
        by_scope[(message.scope, target)] = message
    for key in ((WelcomeScope.WAY, contact_way_id), (WelcomeScope.CHANNEL, channel_id), (WelcomeScope.DEFAULT, None)):
        if key[1] is not None or key[0] is WelcomeScope.DEFAULT:
            if key in by_scope:
                return by_scope[key]
    return None
