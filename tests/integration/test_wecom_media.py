"""Materials' media ids on the operational store (SQLite and PostgreSQL) against the fake WeCom
over HTTP: uploaded once and reused, uploaded again when expired, changed or refused (40007),
checked before upload, and safe when two workers send the same material at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from siyu.adapters.db.tables import wecom_media
from siyu.domain.errors import InvalidInput
from siyu.domain.mass_sends import TaskState
from siyu.domain.media import MB, MediaPurpose
from siyu.domain.moments import MomentDraft, MomentStatus
from siyu.domain.welcome import MaterialDraft
from siyu.services import mass_send_worker, moments, welcome
from siyu.services.clock import utcnow
from siyu.services.wecom_media import MaterialMedia, with_fresh_media
from siyu.services.wecom_settings import load_secrets
from siyu.testing.fake_wecom import FakeWeCom, host_file
from tests.channels.test_media import PNG
from tests.integration.test_journey_workers import own_db  # noqa: F401 - the fixture
from tests.integration.test_mass_sends import QUICK, _send
from tests.mass_send_setup import T0, brand, customer

EC = "/cgi-bin/externalcontact"
UPLOAD = "/cgi-bin/media/upload"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200


@pytest.fixture
def fake():
    with FakeWeCom() as server:
        server.corp.mass_confirm_seconds = None
        yield server


def _material(context, b, fake, kind="image", name="poster.png", data=PNG, **extra):  # type: ignore[no-untyped-def]
    url = fake.url + host_file(fake.corp, name, data)
    values = {"pic_url": url} if kind == "miniprogram" else {"url": url}
    return welcome.create_material(context.uow(), b.admin, MaterialDraft.parse(kind=kind, title=name, **values, **extra))


def _advance(context, b, send_id):  # type: ignore[no-untyped-def]
    return mass_send_worker.advance(context.uow(), context.secret_box, context.wecom_channel, b.tenant_id, send_id, timing=QUICK,
                                    now=T0)


def _rows(context, tenant_id):  # type: ignore[no-untyped-def]
    with context.uow() as uow:
        return uow.session.execute(select(wecom_media).where(wecom_media.c.tenant_id == tenant_id)).all()


def _secrets(context, b):  # type: ignore[no-untyped-def]
    with context.uow() as uow:
        return load_secrets(uow, context.secret_box, b.tenant_id)


def _sent_attachments(fake):  # type: ignore[no-untyped-def]
    return [m["attachments"] for m in fake.corp.mass_messages.values()]


def test_a_mass_send_carries_media_ids_uploaded_once_and_reused_until_they_expire(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    image = _material(context, b, fake)
    clip = _material(context, b, fake, kind="video", name="开箱.mp4", data=MP4)
    price_list = _material(context, b, fake, kind="file", name="价目表.pdf", data=b"%PDF-1.4 price list")
    mini = _material(context, b, fake, kind="miniprogram", name="cover.png", appid="wx1234", page="pages/index")
    ids = [image.id, clip.id, price_list.id, mini.id]
    _advance(context, b, _send(context, b, text="", material_ids=ids).id)
    [sent] = _sent_attachments(fake)
    assert [a["msgtype"] for a in sent] == ["image", "video", "file", "miniprogram"]
    issued = [sent[0]["image"]["media_id"], sent[1]["video"]["media_id"], sent[2]["file"]["media_id"],
              sent[3]["miniprogram"]["pic_media_id"]]
    assert [fake.corp.media[i]["type"] for i in issued] == ["image", "video", "file", "image"]
    assert fake.corp.count(UPLOAD) == 4
    rows = {(r.material_id, r.part): r for r in _rows(context, b.tenant_id)}
    assert set(rows) == {(image.id, "main"), (clip.id, "main"), (price_list.id, "main"), (mini.id, "cover")}
    row = rows[(image.id, "main")]
    assert row.purpose == "message" and timedelta(days=3) - (row.expires_at - row.uploaded_at) == timedelta(0)

    _advance(context, b, _send(context, b, text="", material_ids=[image.id]).id)  # within 3 days: the same id, no upload
    assert _sent_attachments(fake)[-1] == [sent[0]] and fake.corp.count(UPLOAD) == 4

    with context.uow() as uow:  # 2.5 days on: less than the reuse margin is left
        uow.session.execute(update(wecom_media).where(wecom_media.c.material_id == image.id)
                            .values(expires_at=utcnow() + timedelta(hours=11)))
        uow.commit()
    _advance(context, b, _send(context, b, text="", material_ids=[image.id]).id)
    renewed = _sent_attachments(fake)[-1][0]["image"]["media_id"]
    assert renewed != issued[0] and fake.corp.count(UPLOAD) == 5
    assert {r.media_id for r in _rows(context, b.tenant_id) if r.material_id == image.id} == {renewed}


def test_an_edited_material_is_uploaded_again(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    image = _material(context, b, fake)
    _advance(context, b, _send(context, b, text="", material_ids=[image.id]).id)
    new_url = fake.url + host_file(fake.corp, "poster-v2.png", PNG + b"v2")
    welcome.update_material(context.uow(), b.admin, image.id, MaterialDraft.parse(kind="image", title="新版", url=new_url))
    _advance(context, b, _send(context, b, text="", material_ids=[image.id]).id)
    first, second = (a[0]["image"]["media_id"] for a in _sent_attachments(fake))
    assert first != second and fake.corp.count(UPLOAD) == 2
    assert [r.source for r in _rows(context, b.tenant_id)] == [new_url]


def test_when_wecom_no_longer_knows_an_id_it_is_uploaded_again_and_the_send_goes_through(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    image = _material(context, b, fake)
    _advance(context, b, _send(context, b, text="", material_ids=[image.id]).id)
    [stale] = [r.media_id for r in _rows(context, b.tenant_id)]
    del fake.corp.media[stale]  # WeCom dropped it early: the next send answers 40007
    send = _send(context, b, text="", material_ids=[image.id])
    _advance(context, b, send.id)
    with context.uow() as uow:
        [task] = uow.mass_sends.tasks(b.tenant_id, send.id)
    assert task.state is TaskState.SUBMITTED and task.msgid
    fresh = _sent_attachments(fake)[-1][0]["image"]["media_id"]
    assert fresh != stale and fake.corp.media[fresh] and [r.media_id for r in _rows(context, b.tenant_id)] == [fresh]
    assert fake.corp.count(f"{EC}/add_msg_template") == 3  # the first send, the refused try, the resend


def test_a_file_wecom_would_refuse_fails_the_task_with_the_reason_and_is_never_uploaded(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    gif = _material(context, b, fake, name="动图.gif", data=b"GIF89a" + b"\x00" * 100)
    send = _send(context, b, text="", material_ids=[gif.id])
    _advance(context, b, send.id)
    with context.uow() as uow:
        [task] = uow.mass_sends.tasks(b.tenant_id, send.id)
    assert task.state is TaskState.FINAL and task.error.startswith("media.bad_format")
    assert fake.corp.count(UPLOAD) == 0 and fake.corp.count(f"{EC}/add_msg_template") == 0


def test_a_brand_server_that_is_down_leaves_the_task_for_the_next_round(context, fake):
    b = brand(context, fake, staff_count=1)
    customer(context, fake, b, follows=[(b.staff[0], T0 - timedelta(days=1))])
    image = _material(context, b, fake)
    saved = fake.corp.files.pop("/files/poster.png")
    send = _send(context, b, text="", material_ids=[image.id])
    _advance(context, b, send.id)
    with context.uow() as uow:
        assert [t.state for t in uow.mass_sends.tasks(b.tenant_id, send.id)] == [TaskState.PLANNED]
    fake.corp.files["/files/poster.png"] = saved
    _advance(context, b, send.id)
    with context.uow() as uow:
        assert [t.state for t in uow.mass_sends.tasks(b.tenant_id, send.id)] == [TaskState.SUBMITTED]


def test_two_workers_sending_the_same_material_both_send_valid_ids_and_one_is_kept(own_db, fake):
    context = own_db  # a database of its own: each worker on its own connection, as two processes are
    b = brand(context, fake, staff_count=1)
    image = _material(context, b, fake)
    with context.uow() as uow:
        material = uow.welcome.get_material(b.tenant_id, image.id)
    channels = [context.wecom_channel(_secrets(context, b)) for _ in range(2)]
    start, got, errors = threading.Barrier(2), [], []

    def work(channel) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            got.append(MaterialMedia(context.uow(), channel, b.tenant_id, [material], MediaPurpose.MESSAGE).ids()[image.id]["main"])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(got) == 2 and all(g in fake.corp.media for g in got)
    [row] = _rows(context, b.tenant_id)
    assert row.media_id in got
    again = MaterialMedia(context.uow(), channels[0], b.tenant_id, [material], MediaPurpose.MESSAGE)
    assert again.ids()[image.id]["main"] == row.media_id and again.uploads == 0


def test_renewing_keeps_a_fresher_id_another_worker_kept_meanwhile(context, fake):
    b = brand(context, fake, staff_count=1)
    image = _material(context, b, fake)
    with context.uow() as uow:
        material = uow.welcome.get_material(b.tenant_id, image.id)
    channel = context.wecom_channel(_secrets(context, b))
    mine = MaterialMedia(context.uow(), channel, b.tenant_id, [material], MediaPurpose.MESSAGE)
    old = mine.ids()[image.id]["main"]
    with context.uow() as uow:  # another worker uploaded it again meanwhile
        uow.session.execute(update(wecom_media).values(media_id="media-fresher"))
        uow.commit()
    calls = []

    def send() -> str:
        calls.append(mine.ids()[image.id]["main"])
        if len(calls) == 1:
            from siyu.adapters.channels.wecom.errors import WeComInvalidMediaId
            raise WeComInvalidMediaId(api="test")
        return calls[-1]

    assert with_fresh_media(mine, send) == "media-fresher" and calls == [old, "media-fresher"]


def test_a_moment_with_a_video_uploads_it_as_a_moments_attachment(context, fake):
    from tests.api.wecom_setup import link

    linked = link(context, fake)
    clip = _material(context, linked, fake, kind="video", name="开箱.mp4", data=MP4)
    made = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="新品开箱", material_ids=[clip.id],
                                                                                 staff_ids=[linked.staff.id]))
    submitted = moments.advance_moment(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, made.id)
    assert submitted.status is MomentStatus.SUBMITTED
    [attachment] = submitted.attachments
    assert fake.corp.media[attachment["video"]["media_id"]]["purpose"] == "moment"
    with pytest.raises(InvalidInput) as refused:  # a video goes alone
        image = _material(context, linked, fake)
        moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="x", material_ids=[clip.id, image.id],
                                                                             staff_ids=[linked.staff.id]))
    assert refused.value.code == "moment.video_alone"


def test_a_moment_image_too_large_for_wecom_fails_the_task_without_an_upload(context, fake):
    from tests.api.wecom_setup import link

    linked = link(context, fake)
    huge = _material(context, linked, fake, name="huge.png", data=PNG + b"\x00" * (10 * MB))
    made = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="大图", material_ids=[huge.id],
                                                                                 staff_ids=[linked.staff.id]))
    failed = moments.advance_moment(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, made.id)
    assert failed.status is MomentStatus.FAILED and failed.error.startswith("media.too_large")
    assert fake.corp.count("/cgi-bin/media/upload_attachment") == 0


def test_a_moment_link_carries_its_picture_as_an_uploaded_cover(context, fake):
    from tests.api.wecom_setup import link

    linked = link(context, fake)
    cover = fake.url + host_file(fake.corp, "cover.png", PNG)
    page = welcome.create_material(context.uow(), linked.admin, MaterialDraft.parse(kind="link", title="活动页", url="https://x.cn/p",
                                                                                    pic_url=cover))
    made = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="活动", material_ids=[page.id],
                                                                                 staff_ids=[linked.staff.id]))
    submitted = moments.advance_moment(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, made.id)
    [attachment] = submitted.attachments
    assert attachment["link"]["url"] == "https://x.cn/p" and fake.corp.media[attachment["link"]["media_id"]]["purpose"] == "moment"
