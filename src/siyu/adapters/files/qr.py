"""QR code images of contact ways, made with ``segno`` (pure Python, no Pillow needed, PNG and
SVG from one encoder, error-correction level chosen for print; well kept and typed)."""

from __future__ import annotations

import io

import segno

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def qr_image(content: str, fmt: str = "png", *, scale: int = 8) -> bytes:
    """The QR code for ``content`` as PNG or SVG bytes (quiet zone of 4 modules, level M)."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"QR format is png or svg, not {fmt!r}")
    code = segno.make(content, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind=fmt, scale=scale, border=4, **({"xmldecl": False, "svgns": True} if fmt == "svg" else {}))
    return out.getvalue()


def qr_svg_inline(content: str, *, scale: int = 10) -> str:
    """An SVG element to put inside an HTML page (the printable poster)."""
    code = segno.make(content, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True, omitsize=False)
    return out.getvalue().decode()
