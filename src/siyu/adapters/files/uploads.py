"""Keeping an uploaded file on disk until the worker has read it.

The upload is copied in 1 MiB chunks (it never sits in memory whole) to ``<data_dir>/uploads``
under a random name, and refused as soon as it passes the size limit: the partial copy is
removed, so a refused upload leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import IO

from siyu.domain.errors import InvalidInput, TooLarge

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


SHEET_SUFFIXES = (".csv", ".xlsx")


@contextmanager
def kept_while_read(stream: IO[bytes], folder: Path, *, filename: str, max_bytes: int) -> Iterator[Path]:
    """A CSV or XLSX upload read in the request (a phone list): stored as above while the caller
    reads it, removed after, whatever happens."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise InvalidInput("file.not_sheet", "choose a .csv or .xlsx file", field="file")
    stored = store_upload(stream, folder, suffix=suffix, max_bytes=max_bytes)
    try:
        yield stored
    finally:
        stored.unlink(missing_ok=True)
