"""What caching materials' media ids saves a send: nine 1 MB images, uploaded vs. cached.

    .venv/bin/python bench/wecom_media.py
    SIYU_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/wecom_media.py

A tenant linked to the fake WeCom over real HTTP on 127.0.0.1; nine image materials (1 MB PNGs
kept on the fake, as a brand's CDN would). Each round times ``MaterialMedia.ids()`` for the nine,
as a mass send or a welcome does before it goes out:

- ``cold``: the cache emptied first: nine fetches, nine size/format checks, nine multipart
  ``media/upload`` calls and nine commits — what every send cost before the cache (and what a
  send costs once every 2.5 days).
- ``warm``: the ids cached: one read of ``wecom_media``.

Baseline in the same process: one bare ``media/upload`` of one file to the fake, so the cold
figure can be read as so many uploads' worth. Loopback is far faster than a real CDN and
qyapi.weixin.qq.com, so the real saving is larger than the ratio shown.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from databases import BENCH_SCHEMA, backends  # noqa: E402

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--images", type=int, default=9)
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-media"))
    parser.add_argument("--schema", default=f"{BENCH_SCHEMA}_media")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for backend in backends(args.data_dir, args.schema):
        if args.only in (None, backend.name):
            bench(backend, args.rounds, args.images, int(args.size_mb * (1 << 20)))


def bench(backend, rounds: int, images: int, size: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from siyu.adapters.channels.media import MediaFile
    from siyu.adapters.db.tables import wecom_media
    from siyu.domain.media import MediaKind, MediaPurpose
    from siyu.domain.welcome import MaterialDraft
    from siyu.domain.wecom import WeComSettingsDraft
    from siyu.services import tenants, welcome, wecom_settings
    from siyu.services.auth import system_actor
    from siyu.services.wecom_media import MaterialMedia
    from siyu.testing.fake_wecom import FakeWeCom, host_file

    context = backend.fresh_context()
    data = PNG_HEADER + b"\x00" * (size - len(PNG_HEADER))
    with FakeWeCom() as fake:
        tenant = tenants.create_tenant(context.uow(), slug="bench-media", name="素材压测")
        admin = system_actor(tenant.id)
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, admin, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret))
        made = [welcome.create_material(context.uow(), admin, MaterialDraft.parse(
            kind="image", title=f"海报{i}", url=fake.url + host_file(fake.corp, f"poster{i}.png", data, "image/png")))
            for i in range(images)]
        with context.uow() as uow:
            secrets = wecom_settings.load_secrets(uow, context.secret_box, tenant.id)
            materials = [uow.welcome.get_material(tenant.id, m.id) for m in made]
        channel = context.wecom_channel(secrets)
        channel.upload_media(MediaKind.IMAGE, MediaFile(filename="warmup.png", data=data))  # the token, the pool

        bare = []
        for _ in range(rounds):
            started = time.perf_counter()
            channel.upload_media(MediaKind.IMAGE, MediaFile(filename="one.png", data=data))
            bare.append((time.perf_counter() - started) * 1000)
        cold, warm = [], []
        for _ in range(rounds):
            with context.uow() as uow:
                uow.session.execute(delete(wecom_media))
                uow.commit()
            started = time.perf_counter()
            media = MaterialMedia(context.uow(), channel, tenant.id, materials, MediaPurpose.MESSAGE)
            media.ids()
            cold.append((time.perf_counter() - started) * 1000)
            assert media.uploads == images
            started = time.perf_counter()
            again = MaterialMedia(context.uow(), channel, tenant.id, materials, MediaPurpose.MESSAGE)
            again.ids()
            warm.append((time.perf_counter() - started) * 1000)
            assert again.uploads == 0
        channel.close()
    context.close()
    b, c, w = median(bare), median(cold), median(warm)
    print(f"{backend.name}: {images} images of {size / (1 << 20):.1f} MB, {rounds} rounds (medians)")
    print(f"  baseline one bare media/upload   {b:8.1f} ms")
    print(f"  cold: fetch + check + upload all {c:8.1f} ms  ({c / b:.1f} bare uploads)")
    print(f"  warm: ids from wecom_media       {w:8.1f} ms  (cold / warm = {c / w:.0f}x)")


if __name__ == "__main__":
    main()
