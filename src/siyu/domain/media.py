"""Media (素材文件) as WeCom takes them: which kinds go where, the size and format limits, and
how long an uploaded media id lives.

WeCom sends no file by URL: an image, video or file on a welcome message or a mass send, and a
mini-program card's cover, are a ``media_id`` from ``media/upload`` (doc 90389, "temporary
media"); a moment's images and video are a ``media_id`` from ``media/upload_attachment`` with
``attachment_type=1`` (doc 95098). Either id is valid for 3 days after upload. The limits are
checked before any upload is spent, each with its own code, so the admin learns what to change.

- ``media/upload``: image JPG/PNG <= 10 MB, video MP4 <= 10 MB, file <= 20 MB; every file
  more than 5 bytes.
- ``media/upload_attachment`` (moments): image JPG/PNG <= 10 MB, video MP4 <= 10 MB.

The format is told by the file's first bytes, not its name or the server's content type: a
PNG saved as ``.jpg`` is still a PNG, and a web page answered for a missing picture is not one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from siyu.domain.errors import InvalidInput

MEDIA_LIFETIME = timedelta(days=3)  # WeCom: a temporary media id is valid 3 days after upload
# A cached id with less than this left is uploaded again: a mass send is confirmed by staff
# later, and the id must still be good then.
REUSE_MARGIN = timedelta(hours=12)
MB = 1 << 20
MIN_BYTES = 6  # WeCom: every file is more than 5 bytes
INVALID_MEDIA_ID = 40007  # WeCom's errcode for a media id it does not know (or no longer)


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    FILE = "file"


class MediaPurpose(StrEnum):
    """Which upload a media id came from: the two kinds of id are not interchangeable."""

    MESSAGE = "message"  # media/upload: welcome messages, mass sends, mini-program covers
    MOMENT = "moment"  # media/upload_attachment?attachment_type=1: moments


_LIMITS: dict[tuple[MediaPurpose, MediaKind], int] = {
    (MediaPurpose.MESSAGE, MediaKind.IMAGE): 10 * MB,
    (MediaPurpose.MESSAGE, MediaKind.VIDEO): 10 * MB,
    (MediaPurpose.MESSAGE, MediaKind.FILE): 20 * MB,
    (MediaPurpose.MOMENT, MediaKind.IMAGE): 10 * MB,
    (MediaPurpose.MOMENT, MediaKind.VIDEO): 10 * MB,
}
_FORMATS = {MediaKind.IMAGE: "JPG, PNG", MediaKind.VIDEO: "MP4"}


def max_bytes(purpose: MediaPurpose, kind: MediaKind) -> int:
    limit = _LIMITS.get((purpose, kind))
    if limit is None:
        raise InvalidInput("media.kind_not_allowed", "WeCom takes no %(kind)s here", field="material_ids", kind=kind.value)
    return limit


def sniff(data: bytes) -> str | None:
    """The format the first bytes say: ``jpg``, ``png``, ``mp4``, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[4:8] == b"ftyp":
        return "mp4"
    return None


_ACCEPTED = {MediaKind.IMAGE: ("jpg", "png"), MediaKind.VIDEO: ("mp4",)}


def check_media(purpose: MediaPurpose, kind: MediaKind, data: bytes) -> str | None:
    """Refuse what WeCom would refuse (size, format), before uploading; answers the format."""
    limit = max_bytes(purpose, kind)
    if len(data) > limit:
        raise InvalidInput("media.too_large", "WeCom takes a %(kind)s of at most %(max_mb)s MB; this one is %(size_mb)s MB",
                           field="material_ids", kind=kind.value, max_mb=limit // MB, size_mb=round(len(data) / MB, 1))
    if len(data) < MIN_BYTES:
        raise InvalidInput("media.too_small", "the file is empty or too small for WeCom (more than 5 bytes)", field="material_ids")
    found = sniff(data)
    accepted = _ACCEPTED.get(kind)
    if accepted is not None and found not in accepted:
        raise InvalidInput("media.bad_format", "WeCom takes a %(kind)s as %(formats)s only", field="material_ids",
                           kind=kind.value, formats=_FORMATS[kind])
    return found


@dataclass(frozen=True, slots=True)
class CachedMedia:
    """A material's file uploaded to one tenant's WeCom: its media id and until when it holds."""

    material_id: int
    purpose: MediaPurpose
    part: str  # which of the material's files: "main" (the image, video, file) or "cover"
    source: str  # the URL that was uploaded: a material edited to another file is uploaded again
    media_id: str
    uploaded_at: datetime
    expires_at: datetime

    def usable(self, now: datetime, source: str) -> bool:
        return self.source == source and self.expires_at - REUSE_MARGIN > now
