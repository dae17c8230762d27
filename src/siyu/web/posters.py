"""Live codes' QR images and printable posters in the console (contact ways and group codes).

The image is WeCom's own (``Channel.fetch_qr_code``, through the services); the poster is an
HTML page sized for A5 paper with that image inlined, so it prints on its own with the
system's CJK fonts and its words translated like every console page (a Pillow PNG would need
a CJK font shipped with Siyu and fixed pixel sizes)."""

from __future__ import annotations

import base64
from typing import Literal

from fastapi import Request
from fastapi.responses import Response

from siyu.web.render import page


def qr_response(image: tuple[bytes, str]) -> Response:
    data, media_type = image
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=300",
                                                                "X-Content-Type-Options": "nosniff"})


def qr_poster(request: Request, *, kind: Literal["contact_way", "group_code"], title: str, label: str,
              image: tuple[bytes, str]) -> Response:
    data, media_type = image
    view = {"kind": kind, "title": title, "label": label, "qr_src": f"data:{media_type};base64,{base64.b64encode(data).decode()}"}
    return page(request, "poster.html", view)
