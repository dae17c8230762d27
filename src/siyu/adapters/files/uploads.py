"""Keeping an uploaded file on disk until the worker has read it.

The upload is copied in 1 MiB chunks (it never sits in memory whole) to ``<data_dir>/uploads``
under a random name, and refused as soon as it passes the size limit: the partial copy is
removed, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import IO

from siyu.domain.errors import TooLarge

CHUNK = 1 << 20


def store_upload(stream: IO[bytes], folder: Path, *, suffix: str, max_bytes: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{uuid.uuid4().hex}{suffix}"
    written = 0
    try:
        with stored.open("wb") as out:
            while chunk := stream.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge("upload.too_large", "the file is larger than %(max_mb)s MB: split it into smaller files",
                                   field="file", max_mb=max_bytes // CHUNK)
                out.write(chunk)
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    return stored
