"""Media for WeCom: the file handed to an upload, what WeCom answers, and where the bytes come from.

``media/upload?type=image|voice|video|file`` (doc 90389) and ``media/upload_attachment?media_type=
image|video|file&attachment_type=1`` (doc 95098, moments) take ``multipart/form-data`` with the
file under the name ``media`` (filename, length and content type given) and answer
``{type, media_id, created_at}`` (``created_at`` a Unix time, as a string); the id is valid 3 days.

A material keeps a URL (the brand's CDN, or the console's file store); :class:`MediaSource`
fetches the bytes to upload. :class:`HttpMediaSource` streams them with httpx and stops at the
limit, so a 2 GB file is never read whole to learn that it is too large.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, field_validator

from siyu.domain.errors import ChannelError, InvalidInput


class MediaFile(BaseModel):
    model_config = ConfigDict(frozen=True)

    filename: str
    content_type: str = "application/octet-stream"
    data: bytes

    def __repr__(self) -> str:  # never a 10 MB repr in a log or a failed assertion
        return f"MediaFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


class UploadedMedia(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str = ""
    media_id: str
    created_at: int = 0

    @field_validator("created_at", mode="before")
    @classmethod
    def _number(cls, value: object) -> int:
        return int(value or 0)  # type: ignore[call-overload]


class MediaSource(Protocol):
    def fetch(self, url: str, *, max_bytes: int) -> MediaFile: ...


def filename_of(url: str, default: str = "file") -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return name[:128] or default


class MediaFetchFailed(ChannelError):
    code = "media.fetch_failed"
    template = "could not fetch the material's file from %(url)s (%(reason)s): check its URL"
    retryable = True  # the brand's server may be back in a moment

    def __init__(self, *, url: str, reason: str) -> None:
        super().__init__(self.code, self.template, field="url", url=url[:200], reason=reason)


class QrCodeFetchFailed(ChannelError):
    """WeCom's QR code image (the ``qr_code`` URL of a contact way or join way) could not be had."""

    code = "wecom.qr_fetch_failed"
    template = "could not fetch the QR code image WeCom made (%(reason)s): try again, or open %(url)s"
    retryable = True

    def __init__(self, *, url: str, reason: str) -> None:
        super().__init__(self.code, self.template, field="qr_code", url=url[:200], reason=reason)


def _private(host: str) -> bool:
    """Whether the host is (or resolves to) a loopback, private, link-local or reserved address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False  # unresolvable: the fetch itself fails, with its reason
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address.is_loopback or address.is_private or address.is_link_local or address.is_reserved or address.is_multicast:
            return True
    return False


class HttpMediaSource:
    """The material's bytes over HTTP(S), streamed, cut off one byte past the limit.

    ``allow_private=False`` (prod): a URL whose host is a loopback, private or link-local address
    (a cloud's metadata service, the database) is refused, on every redirect too (at most 3,
    followed by hand so each hop is checked): a material must not make the server read its own
    network and hand the answer to WeCom. The check resolves the name before httpx does; a DNS
    answer that changes in between is not caught (a proxy that enforces it is the stronger fix).
    """

    MAX_REDIRECTS = 3

    def __init__(self, http: httpx.Client, *, allow_private: bool = True) -> None:
        self._http = http
        self.allow_private = allow_private

    def _checked(self, url: str) -> str:
        if not url.startswith(("https://", "http://")):
            raise InvalidInput("material.bad_url", "a link starts with https:// or http://", field="url")
        if not self.allow_private and _private(urlsplit(url).hostname or ""):
            raise InvalidInput("media.private_address", "the material's URL points at a private network address; use a public URL",
                               field="url")
        return url

    def fetch(self, url: str, *, max_bytes: int) -> MediaFile:
        original, url = url, self._checked(url)
        for _ in range(self.MAX_REDIRECTS):
            try:
                with self._http.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = self._checked(str(response.url.join(response.headers["location"])))
                        continue
                    return self._read(original, response, max_bytes)
            except httpx.HTTPError as exc:
                raise MediaFetchFailed(url=original, reason=type(exc).__name__) from None
        raise MediaFetchFailed(url=original, reason="too many redirects")

    def _read(self, url: str, response: httpx.Response, max_bytes: int) -> MediaFile:
        chunks: list[bytes] = []
        size = 0
        if response.status_code != 200:
            raise MediaFetchFailed(url=url, reason=f"HTTP {response.status_code}")
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise InvalidInput("media.too_large_to_fetch", "the material's file is larger than %(max_mb)s MB, more than WeCom takes",
                                   field="url", max_mb=max_bytes >> 20)
        content_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return MediaFile(filename=filename_of(url), content_type=content_type, data=b"".join(chunks))
