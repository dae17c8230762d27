"""A welcome message's files uploaded when it is saved, and renewed before they lapse, so the
welcome sent inside WeCom's 20 seconds uploads nothing (fake WeCom over HTTP; SQLite and PG)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from siyu.adapters.db.tables import wecom_media
from siyu.domain.contact_ways import StaffRule
from siyu.domain.mass_sends import MassSendDraft
from siyu.domain.welcome import MaterialDraft, SendStatus, WelcomeDraft
from siyu.services import mass_sends, tokens, welcome, welcome_media
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom, host_file
from tests import factories as f
from tests.api.test_acquisition_flow import ADD, _way
from tests.api.test_wecom_callbacks import _customer_of
from tests.api.wecom_setup import link
from tests.channels.test_media import PNG

UPLOAD = "/cgi-bin/media/upload"
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _material(context, linked, fake, kind, name, data):  # type: ignore[no-untyped-def]
    url = fake.url + host_file(fake.corp, name, data)
    return welcome.create_material(context.uow(), linked.admin, MaterialDraft.parse(kind=kind, title=name, url=url))


def _expires(context, tenant_id):  # type: ignore[no-untyped-def]
    with context.uow() as uow:
        rows = uow.session.execute(select(wecom_media).where(wecom_media.c.tenant_id == tenant_id)).all()
    return {r.material_id: (r.media_id, r.expires_at) for r in rows}


def test_a_welcome_saved_through_the_api_has_its_files_uploaded_so_the_send_uploads_nothing(context, client, fake):
    linked = link(context, fake)
    _, way = _way(context, linked, StaffRule(linked.staff.id))
    image = _material(context, linked, fake, "image", "poster.png", PNG)
    clip = _material(context, linked, fake, "video", "开箱.mp4", MP4)
    page = welcome.create_material(context.uow(), linked.admin, MaterialDraft.parse(kind="link", title="新人礼",
                                                                                    url="https://shop.example.cn/gift"))
    headers = {"Authorization": f"Bearer {tokens.create_api_token(context.uow(), linked.admin, name=f't{f.uid()}').secret}"}
    warm, queued = context.tasks["warm_welcome_media"], []
    context.tasks["warm_welcome_media"] = lambda *args: queued.append(args)

    saved = client.post("/api/v1/welcome-messages", headers=headers, json={
        "scope": "way", "contact_way_id": way.id, "text": "{customer_name}您好", "material_ids": [image.id, clip.id, page.id]})
    assert saved.status_code == 201 and queued == [(linked.tenant.id, saved.json()["id"])]
    assert fake.corp.count(UPLOAD) == 0  # queued, not done inside the request
    assert warm(*queued[0]) is not None  # the worker runs it
    assert fake.corp.count(UPLOAD) == 2  # the image and the video; a link has no file
    cached = _expires(context, linked.tenant.id)
    assert set(cached) == {image.id, clip.id}

    fake.corp.add_contact("wmWarm", name="韩梅梅", follows={linked.staff.wecom_userid: {"state": way.state}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, "wmWarm")
    assert linked.contact_event(client, ADD, "wmWarm", State=way.state, WelcomeCode=code).status_code == 200

    sent = fake.corp.welcome_codes[code]["sent"]
    assert fake.corp.count(UPLOAD) == 2  # the send found every id ready
    assert [a["msgtype"] for a in sent["attachments"]] == ["image", "video", "link"]
    assert sent["attachments"][0]["image"]["media_id"] == cached[image.id][0]
    [send] = welcome.sends_for_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, "wmWarm"))
    assert send.status is SendStatus.SENT

    again = client.put(f"/api/v1/welcome-messages/{saved.json()['id']}", headers=headers, json={
        "scope": "way", "contact_way_id": way.id, "text": "又见面了", "material_ids": [image.id]})
    assert again.status_code == 200 and len(queued) == 2
    assert warm(*queued[1]) is not None and fake.corp.count(UPLOAD) == 2  # still fresh: nothing to upload
    only_text = client.put(f"/api/v1/welcome-messages/{saved.json()['id']}", headers=headers, json={
        "scope": "way", "contact_way_id": way.id, "text": "只有文字"})
    assert only_text.status_code == 200 and len(queued) == 2  # no files: nothing queued

    def queue_down(*args: object) -> None:
        raise ConnectionError("redis is down")

    context.tasks["warm_welcome_media"] = queue_down
    down = client.put(f"/api/v1/welcome-messages/{saved.json()['id']}", headers=headers, json={
        "scope": "way", "contact_way_id": way.id, "text": "队列停了也保存", "material_ids": [image.id]})
    assert down.status_code == 200  # saved; its files are uploaded by the hourly refresh or the first add
    assert welcome.get_welcome_message(context.uow(), linked.admin, saved.json()["id"]).text == "队列停了也保存"


def test_the_hourly_refresh_renews_welcome_files_that_would_lapse_before_the_next_round(context, fake):
    linked = link(context, fake)
    soon = _material(context, linked, fake, "image", "soon.png", PNG)
    later = _material(context, linked, fake, "file", "价目表.pdf", b"%PDF-1.4 price list")
    only_sent = _material(context, linked, fake, "image", "mass.png", PNG + b"m")
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(scope="default", text="你好",
                                                                                 material_ids=[soon.id, later.id]))
    mass_sends.create_mass_send(context.uow(), linked.admin, MassSendDraft.parse(name="群发", text="", material_ids=[only_sent.id],
                                                                                 customer_ids=[f.customers_of(context, linked.admin, 1)[0].id]))
    unlinked, unlinked_admin = f.tenant(context)  # a tenant with a welcome file but no WeCom: left alone
    elsewhere = welcome.create_material(context.uow(), unlinked_admin, MaterialDraft.parse(
        kind="image", title="x", url=fake.url + host_file(fake.corp, "x.png", PNG)))
    welcome.save_welcome_message(context.uow(), unlinked_admin, WelcomeDraft.parse(scope="default", text="", material_ids=[elsewhere.id]))

    first = welcome_media.refresh_welcome_media(context.uow(), context.secret_box, context.wecom_channel)
    assert first == {linked.tenant.id: 2, unlinked.id: 0} and fake.corp.count(UPLOAD) == 2  # never uploaded: uploaded now
    assert set(_expires(context, linked.tenant.id)) == {soon.id, later.id}  # the mass send's file waits for its send

    with context.uow() as uow:  # 12 h 30 min left: still reused now, no longer after the next round
        uow.session.execute(update(wecom_media).where(wecom_media.c.material_id == soon.id)
                            .values(expires_at=utcnow() + timedelta(hours=12, minutes=30)))
        uow.commit()
    before = _expires(context, linked.tenant.id)
    second = welcome_media.refresh_welcome_media(context.uow(), context.secret_box, context.wecom_channel)
    assert second == {linked.tenant.id: 1, unlinked.id: 0} and fake.corp.count(UPLOAD) == 3
    after = _expires(context, linked.tenant.id)
    assert after[later.id] == before[later.id] and after[soon.id][0] != before[soon.id][0]
    assert after[soon.id][1] - utcnow() > timedelta(days=2, hours=23)

    assert context.tasks["refresh_welcome_media"]() is not None  # the periodic task runs the same (nothing due now)
    assert fake.corp.count(UPLOAD) == 3
