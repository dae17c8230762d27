"""Serving material files kept by ``siyu.services.material_files``, without a sign-in: WeCom's
servers and the worker fetch them, as from a brand's CDN. Not a console route (no session, no
CSRF, so outside ``ROUTE_MODULES``); the random folder name is the key.

Whatever was uploaded as a "file" is served as a download (``application/octet-stream``,
``attachment``, ``nosniff``, a sandboxing CSP), never as a page: an uploaded HTML file must not
run as the console's own origin. Images and videos are served as the format their bytes showed.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from siyu.domain.errors import NotFound
from siyu.services.material_files import URL_PATH, files_dir
from siyu.web.console import get_console

router = APIRouter(include_in_schema=False)
_FOLDER = re.compile(r"^[0-9a-f]{32}$")
_SHOWN = {".png": "image/png", ".jpg": "image/jpeg", ".mp4": "video/mp4"}


@router.get(URL_PATH + "/{folder}/{name}")
def material_file(request: Request, folder: str, name: str) -> FileResponse:
    root = files_dir(get_console(request).context.settings)
    path = root / folder / name
    if not _FOLDER.match(folder) or Path(name).name != name or any(ord(c) < 32 for c in name) or not path.is_file():
        raise NotFound("page.not_found", "no such page")
    shown = _SHOWN.get(path.suffix.lower())
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'",
               "Cache-Control": "public, max-age=86400"}
    if shown:
        return FileResponse(path, media_type=shown, headers=headers)
    return FileResponse(path, media_type="application/octet-stream", headers=headers, filename=name)
