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


class HttpMediaSource:
    """The material's bytes over HTTP(S), streamed, cut off one byte past the limit."""

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def fetch(self, url: str, *, max_bytes: int) -> MediaFile:
        if not url.startswith(("https://", "http://")):
            raise InvalidInput("material.bad_url", "a link starts with https:// or http://", field="url")
        chunks: list[bytes] = []
        size = 0
        try:
            with self._http.stream("GET", url, follow_redirects=True) as response:
                if response.status_code != 200:
                    raise MediaFetchFailed(url=url, reason=f"HTTP {response.status_code}")
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > max_bytes:
                        raise InvalidInput("media.too_large_to_fetch", "the material's file is larger than %(max_mb)s MB, more than WeCom takes",
                                           field="url", max_mb=max_bytes >> 20)
                content_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        except httpx.HTTPError as exc:
            raise MediaFetchFailed(url=url, reason=type(exc).__name__) from None
        return MediaFile(filename=filename_of(url), content_type=content_type, data=b"".join(chunks))
