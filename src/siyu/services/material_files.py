"""Material files uploaded in the console: kept on disk and served at a URL the material keeps.

WeCom takes no file by URL, but a material keeps one (``siyu.domain.welcome``), and the worker
fetches it from there to upload to WeCom (``siyu.services.wecom_media``). So an image, video or
file uploaded in the console is checked as WeCom would check it (size, format:
``siyu.domain.media.check_media``) before it is kept, then stored under
``<data_dir>/material-files/<random>/<its name>`` and served, without a sign-in, at
``<base_url>/material-files/<random>/<its name>`` (``siyu.web.material_files``): WeCom's servers,
the worker and a link's thumbnail all read it from there, like a brand's CDN. The random folder
(128 bits) is the only key; the name stays the file's own, as WeChat shows a file by its name.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path, PurePath
from typing import IO
from urllib.parse import quote

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.adapters.files.uploads import store_upload
from siyu.config import Settings
from siyu.domain.access import Actor, Permission
from siyu.domain.errors import InvalidInput, TooLarge
from siyu.domain.media import MB, MediaKind, MediaPurpose, check_media, max_bytes

FOLDER = "material-files"
URL_PATH = "/material-files"
_UNSAFE = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")
_FOLDER = re.compile(r"[0-9a-f]{32}")


def files_dir(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def _name(filename: str, found: str | None) -> str:
    name = _UNSAFE.sub("_", PurePath(filename or "").name).strip(" .")[-100:] or "file"
    if found and PurePath(name).suffix.lower().lstrip(".") != found:  # a PNG named .jpg is kept as what it is
        name = f"{PurePath(name).stem or 'file'}.{found}"
    return name


def keep_material_file(settings: Settings, actor: Actor, kind: str, upload: IO[bytes], filename: str) -> str:
    """Check and keep an uploaded image, video or file; answers the URL the material keeps."""
    actor.require(Permission.CHANNELS_MANAGE)  # before anything is written to disk
    try:
        media_kind = MediaKind(kind)
    except ValueError:
        raise InvalidInput("material.no_file_here", "only an image, a video or a file is uploaded; links and mini-programs "
                           "take URLs", field="file") from None
    limit = max_bytes(MediaPurpose.MESSAGE, media_kind)
    folder = files_dir(settings) / uuid.uuid4().hex
    try:
        stored = store_upload(upload, folder, suffix=".part", max_bytes=limit)
    except TooLarge:
        folder.rmdir()
        raise InvalidInput("material.file_too_large", "WeCom takes a %(kind)s of at most %(max_mb)s MB", field="file",
                           kind=media_kind.value, max_mb=limit // MB) from None
    try:
        found = check_media(MediaPurpose.MESSAGE, media_kind, stored.read_bytes())
    except InvalidInput as exc:
        stored.unlink()
        folder.rmdir()
        exc.field = "file"  # the form's file input, not a message's attachments
        raise
    kept = stored.rename(folder / _name(filename, found))
    return f"{settings.base_url.rstrip('/')}{URL_PATH}/{folder.name}/{quote(kept.name)}"


def forget_material_files(settings: Settings, uow: SqlUnitOfWork, actor: Actor, *urls: str) -> int:
    """After a material is deleted or given another file: remove the files kept here that no
    material of the tenant names any more, so they stop being served (their URL is public).
    Answers how many were removed; URLs not kept here (a brand's own CDN) are left alone."""
    prefix = f"{settings.base_url.rstrip('/')}{URL_PATH}/"
    removed = 0
    for url in urls:
        folder = url.removeprefix(prefix).split("/", 1)[0] if url.startswith(prefix) else ""
        if not _FOLDER.fullmatch(folder):
            continue
        with uow.reading():
            if uow.welcome.url_in_use(actor.tenant_id, url):
                continue
        shutil.rmtree(files_dir(settings) / folder, ignore_errors=True)
        removed += 1
    return removed
