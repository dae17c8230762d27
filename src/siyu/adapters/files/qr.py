"""QR code images made with ``segno`` (pure Python, no Pillow needed; well kept and typed).

Only the WeCom simulation draws codes: a real contact way's or join way's code is WeCom's own
image (``Channel.fetch_qr_code``), since its ``qr_code`` is an image's address, not the text to encode."""

from __future__ import annotations

import io

import segno


def qr_png(content: str, *, scale: int = 8) -> bytes:
    """The QR code for ``content`` as PNG bytes (quiet zone of 4 modules, level M)."""
    out = io.BytesIO()
    segno.make(content, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
