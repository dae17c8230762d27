"""The background queue: Huey on SQLite by default, on Redis by URL."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, PriorityRedisHuey, SqliteHuey


def make_huey(url: str, *, immediate: bool = False, name: str = "siyu") -> Huey:
    if url.startswith("redis://") or url.startswith("rediss://"):
        huey: Huey = PriorityRedisHuey(name, url=url)  # task priorities: a welcome message goes first
    elif url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=str(path))
    elif url == "memory://":
        huey = Huey(name, immediate=True)  # in-process, for tests
        return huey
    else:
        raise ValueError(f"SIYU_QUEUE_URL must be sqlite:///PATH, redis://HOST or memory://, not {url!r}")
    huey.immediate = immediate
    return huey
