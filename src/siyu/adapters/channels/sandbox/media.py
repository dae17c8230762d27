"""The simulated WeCom's media: ``media/upload`` and ``media/upload_attachment``, the media ids
they issue (valid 3 days), and the check every send makes that its media ids are ones it issued.

An upload is ``multipart/form-data`` with the file under ``media``; :func:`parse_multipart`
reads it with the stdlib's email parser (both faces of the simulation hand it the raw body).
The same limits as WeCom (``siyu.domain.media``): kind, size, format by the file's first bytes.
A send naming a media id it never issued, issued by the other upload (a message id on a moment),
or issued more than 3 days ago is refused with 40007, as WeCom does.

The QR code images WeCom keeps for contact ways and join ways are served too, under ``/fake/``.

Files the brand keeps (material URLs) are simulated too: ``corp.files`` maps a URL path to
(content type, bytes); the fake server serves them over HTTP and :class:`SandboxMediaSource`
reads them in-process. A lenient (demo) corp makes up a small valid file for a path it does not
hold, so the demo's materials need no network.
"""

from __future__ import annotations

import base64
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import unquote, urlsplit

from siyu.adapters.channels.media import MediaFetchFailed, MediaFile, filename_of
from siyu.adapters.channels.sandbox.corp import Corp, Fail, need
from siyu.adapters.channels.sandbox.customers import route
from siyu.adapters.files import qr
from siyu.domain.errors import InvalidInput
from siyu.domain.media import MEDIA_LIFETIME, MediaKind, MediaPurpose, check_media

UPLOAD = "/cgi-bin/media/upload"
UPLOAD_ATTACHMENT = "/cgi-bin/media/upload_attachment"
FILES_PREFIX = "/files/"
QR_PREFIX = "/fake/"  # the QR code images of contact ways and join ways (``Corp.qr_code_url``)
_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 16


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """The form's file fields: ``{name: {"filename", "content_type", "data"}}``."""
    message = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields: dict[str, Any] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = {"filename": part.get_filename() or "", "content_type": part.get_content_type(),
                                 "data": part.get_payload(decode=True) or b""}
    return fields


def _book(corp: Corp) -> dict[str, dict[str, Any]]:
    return corp.media


def _upload(corp: Corp, purpose: MediaPurpose, kind_name: str, body: dict[str, Any]) -> dict[str, Any]:
    media = body.get("media")
    need(isinstance(media, dict) and "data" in media, 41005, "media data missing")
    assert isinstance(media, dict)
    try:
        kind = MediaKind(kind_name)
    except ValueError:
        raise Fail(40004, "invalid media type") from None
    data: bytes = media["data"]
    need(len(data) > 0, 44001, "empty media data")
    try:
        check_media(purpose, kind, data)
    except InvalidInput as exc:
        raise Fail({"media.too_large": 40006, "media.too_small": 40006, "media.bad_format": 40005}.get(exc.code, 40004),
                   exc.message) from None
    media_id = corp.new_id("media" if purpose is MediaPurpose.MESSAGE else "attach")
    created = int(corp.clock())
    _book(corp)[media_id] = {"purpose": purpose.value, "type": kind.value, "created_at": created, "size": len(data),
                             "filename": media.get("filename") or ""}
    return {"type": kind.value, "media_id": media_id, "created_at": str(created)}


@route(UPLOAD)
def upload(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    kind = params.get("type") or ""
    need(kind in ("image", "video", "file", "voice"), 40004, "invalid media type")
    need(kind != "voice", 40004, "the simulation takes no voice")
    return _upload(corp, MediaPurpose.MESSAGE, kind, body)


@route(UPLOAD_ATTACHMENT)
def upload_attachment(corp: Corp, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    need(params.get("attachment_type") in ("1", "2"), 40058, "attachment_type: 1 moments or 2 product catalogue")
    need(params.get("attachment_type") == "1", 40058, "the simulation takes moments attachments only")
    kind = params.get("media_type") or ""
    need(kind in ("image", "video", "file"), 40004, "invalid media type")
    return _upload(corp, MediaPurpose.MOMENT, kind, body)


def check_media_id(corp: Corp, media_id: Any, purpose: MediaPurpose, kind: str) -> None:
    """A send's media id: issued here, by the right upload, for the right kind, under 3 days old."""
    found = _book(corp).get(media_id) if isinstance(media_id, str) else None
    fresh = found is not None and corp.clock() - found["created_at"] < MEDIA_LIFETIME.total_seconds()
    need(fresh and found is not None and found["purpose"] == purpose.value and found["type"] == kind, 40007, "invalid media_id")


def check_message_attachments(corp: Corp, attachments: list[dict[str, Any]]) -> None:
    """Welcome messages and mass sends: image, video and file by media id (an image may instead
    name a ``pic_url``), a mini-program's cover by ``pic_media_id``."""
    for item in attachments:
        kind = item.get("msgtype")
        payload = item.get(kind) if isinstance(kind, str) else None
        if kind in ("image", "video", "file"):
            need(isinstance(payload, dict), 40058, f"{kind} missing")
            assert isinstance(payload, dict)
            if kind == "image" and "media_id" not in payload:
                need(bool(payload.get("pic_url")), 40058, "image: media_id or pic_url required")
                continue
            check_media_id(corp, payload.get("media_id"), MediaPurpose.MESSAGE, kind)
        elif kind == "miniprogram":
            need(isinstance(payload, dict) and bool(payload.get("appid")) and bool(payload.get("page")), 40058,
                 "miniprogram: appid and page required")
            assert isinstance(payload, dict)
            check_media_id(corp, payload.get("pic_media_id"), MediaPurpose.MESSAGE, "image")


def check_moment_attachments(corp: Corp, attachments: list[dict[str, Any]]) -> None:
    """Moments: images, a video and a link's cover (required), by ``upload_attachment`` media id."""
    for item in attachments:
        kind = item.get("msgtype")
        payload = item.get(kind) if isinstance(kind, str) else None
        need(isinstance(payload, dict), 40058, f"{kind} missing")
        assert isinstance(payload, dict)
        if kind in ("image", "video"):
            check_media_id(corp, payload.get("media_id"), MediaPurpose.MOMENT, kind)
        elif kind == "link":  # the cover is required on moments
            check_media_id(corp, payload.get("media_id"), MediaPurpose.MOMENT, "image")


# ---- the brand's files ---------------------------------------------------------------------------


def host_file(corp: Corp, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
    """Keep a file where the fake serves it; answers its path (``/files/<name>``)."""
    path = FILES_PREFIX + name
    with corp.lock:
        corp.files[path] = (content_type, data)
    return path


def hosted(corp: Corp, path: str) -> tuple[str, bytes] | None:
    path = unquote(path)  # a URL's path arrives percent-encoded (名称.png)
    if path.startswith(QR_PREFIX):
        return _qr_code(corp, path.removeprefix(QR_PREFIX))
    with corp.lock:
        found = corp.files.get(path)
    if found is None and corp.lenient:
        return _made_up(path)
    return found


def _qr_code(corp: Corp, config_id: str) -> tuple[str, bytes] | None:
    """WeCom's image of a way's code. WeCom's own encodes a URL of its choosing; the simulation's
    encodes the image's address, so a scan of a sandbox poster shows which way it was."""
    with corp.lock:
        known = config_id in corp.contact_ways or config_id in corp.join_ways
    if not known and not corp.lenient:
        return None
    return "image/png", qr.qr_png(corp.qr_code_url(config_id))


def _made_up(path: str) -> tuple[str, bytes]:
    lower = path.lower()
    if lower.endswith(".mp4"):
        return "video/mp4", _MP4
    if lower.endswith((".png", ".jpg", ".jpeg")):
        return "image/png", _PNG
    return "application/pdf", b"%PDF-1.4\n% siyu sandbox file\n"


class SandboxMediaSource:
    """The brand's files as the simulated corp keeps them (by the URL's path), in-process."""

    def __init__(self, corp: Corp) -> None:
        self.corp = corp

    def fetch(self, url: str, *, max_bytes: int) -> MediaFile:
        found = hosted(self.corp, urlsplit(url).path)
        if found is None:
            raise MediaFetchFailed(url=url, reason="HTTP 404")
        content_type, data = found
        if len(data) > max_bytes:
            raise InvalidInput("media.too_large_to_fetch", "the material's file is larger than %(max_mb)s MB, more than WeCom takes",
                               field="url", max_mb=max_bytes >> 20)
        return MediaFile(filename=filename_of(url), content_type=content_type, data=data)
