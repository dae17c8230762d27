"""Moments tasks on the operational store (SQLite and PostgreSQL) against the fake WeCom over HTTP:
recorded with their senders, submitted, WeCom's job polled, per-staff publish status, completion, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from siyu.adapters.db.tables import tags as tags_table
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.moments import MomentDraft, MomentStatus, SenderStatus
from siyu.domain.welcome import MaterialDraft
from siyu.services import moments, tags, welcome
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom, host_file, publish_moment
from tests.channels.test_media import PNG
from tests import factories as f
from tests.api.wecom_setup import link

EC = "/cgi-bin/externalcontact"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server


def _brand(context, fake):  # type: ignore[no-untyped-def]
    linked = link(context, fake)
    admin, store = linked.admin, linked.staff.store_id
    second = f.member(context, admin, store_id=store)
    other_store = f.store(context, admin)
    third = f.member(context, admin, store_id=other_store.id)
    for member in (second, third):
        fake.corp.add_user(member.wecom_userid)
    vip = tags.create_tag(context.uow(), admin, group="会员", name=f"VIP{f.uid(4)}")
    with context.uow() as uow:
        uow.session.execute(update(tags_table).where(tags_table.c.id == vip.id).values(wecom_tag_id="etVIP"))
        uow.commit()
    fake.corp.tag_groups["g1"] = {"group_id": "g1", "group_name": "会员", "order": 0, "create_time": 0,
                                  "tag": [{"id": "etVIP", "name": vip.name, "order": 0, "create_time": 0}]}
    poster = fake.url + host_file(fake.corp, "a.png", PNG, "image/png")  # the brand's file, where the material points
    image = welcome.create_material(context.uow(), admin, MaterialDraft.parse(kind="image", title="新品", url=poster))
    return linked, second, third, other_store, vip, image


def _advance(context, linked, moment_id, **kwargs):  # type: ignore[no-untyped-def]
    return moments.advance_moment(context.uow(), context.secret_box, context.wecom_channel, linked.tenant.id, moment_id, **kwargs)


def test_a_moment_goes_to_wecom_and_its_publishing_is_followed(context, fake) -> None:
    linked, second, third, other_store, vip, image = _brand(context, fake)
    draft = MomentDraft.parse(text="双十二新品上架", material_ids=[image.id], staff_ids=[linked.staff.id],
                              store_ids=[other_store.id], tag_ids=[vip.id])
    made = moments.create_moment(context.uow(), linked.admin, draft)
    assert made.status is MomentStatus.QUEUED and made.senders == 2 and made.completion_rate == 0.0
    assert made.attachments == ({"msgtype": "image", "image": {"pic_url": image.url}},)
    senders = moments.moment_senders(context.uow(), linked.admin, made.id)
    assert {s.staff_id for s in senders} == {linked.staff.id, third.id}  # the store's staff, not second's store

    fake.corp.users[third.wecom_userid]["resigned"] = True  # WeCom will not take this sender
    submitted = _advance(context, linked, made.id)
    assert submitted.status is MomentStatus.SUBMITTED and submitted.jobid  # WeCom's job answers "running" first
    body = next(b for p, b in fake.corp.calls if p == f"{EC}/add_moment_task")
    media_id = body["attachments"][0]["image"]["media_id"]  # uploaded with upload_attachment, not a URL
    assert fake.corp.media[media_id]["purpose"] == "moment" and submitted.attachments == tuple(body["attachments"])
    assert body["visible_range"]["external_contact_list"] == {"tag_list": ["etVIP"]}
    assert sorted(body["visible_range"]["sender_list"]["user_list"]) == sorted([linked.staff.wecom_userid, third.wecom_userid])

    publishing = _advance(context, linked, made.id)
    assert publishing.status is MomentStatus.PUBLISHING and publishing.wecom_moment_id
    assert (publishing.senders, publishing.invalid, publishing.published, publishing.completion_rate) == (2, 1, 0, 0.0)

    publish_moment(fake.corp, publishing.wecom_moment_id, linked.staff.wecom_userid)
    done = _advance(context, linked, made.id)
    assert done.status is MomentStatus.DONE and done.published == 1 and done.completion_rate == 1.0 and done.finished_at
    states = {s.staff_id: s.status for s in moments.moment_senders(context.uow(), linked.admin, made.id)}
    assert states == {linked.staff.id: SenderStatus.PUBLISHED, third.id: SenderStatus.INVALID}
    calls = len(fake.corp.calls)
    assert _advance(context, linked, made.id).status is MomentStatus.DONE and len(fake.corp.calls) == calls  # final: no calls
    assert fake.corp.count(f"{EC}/add_moment_task") == 1


def test_publishing_is_followed_for_a_few_days_then_closed(context, fake) -> None:
    linked, second, *_ = _brand(context, fake)
    made = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="周末活动", staff_ids=[linked.staff.id, second.id]))
    fake.corp.moments["job_reads"] = 0
    publishing = _advance(context, linked, made.id)
    assert publishing.status is MomentStatus.PUBLISHING  # job done at once: straight to publishing
    publish_moment(fake.corp, publishing.wecom_moment_id, second.wecom_userid)
    still = _advance(context, linked, made.id, now=utcnow() + timedelta(days=1))
    assert still.status is MomentStatus.PUBLISHING and still.completion_rate == 0.5
    closed = _advance(context, linked, made.id, now=utcnow() + timedelta(days=4))
    assert closed.status is MomentStatus.DONE and closed.published == 1 and closed.completion_rate == 0.5
    assert (linked.tenant.id, made.id) not in moments.unfinished(context.uow())


def test_cancel_before_submission_sends_nothing_and_after_stops_wecom(context, fake) -> None:
    linked, second, *_ = _brand(context, fake)
    box, channels = context.secret_box, context.wecom_channel
    early = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="取消", staff_ids=[second.id]))
    assert moments.cancel_moment(context.uow(), box, channels, linked.admin, early.id).status is MomentStatus.CANCELLED
    assert _advance(context, linked, early.id).status is MomentStatus.CANCELLED and fake.corp.count(f"{EC}/add_moment_task") == 0
    with pytest.raises(Conflict):
        moments.cancel_moment(context.uow(), box, channels, linked.admin, early.id)

    later = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="稍后取消", staff_ids=[second.id]))
    assert _advance(context, linked, later.id).status is MomentStatus.SUBMITTED
    with pytest.raises(Conflict) as caught:
        moments.cancel_moment(context.uow(), box, channels, linked.admin, later.id)
    assert caught.value.code == "moment.being_made"
    _advance(context, linked, later.id)
    cancelled = moments.cancel_moment(context.uow(), box, channels, linked.admin, later.id)
    assert cancelled.status is MomentStatus.CANCELLED and fake.corp.count(f"{EC}/cancel_moment_task") == 1


def test_wecom_refusing_the_task_fails_it_with_the_reason(context, fake) -> None:
    linked, second, *_ = _brand(context, fake)
    made = moments.create_moment(context.uow(), linked.admin, MomentDraft.parse(text="x", staff_ids=[second.id]))
    fake.corp.faults.deny(f"{EC}/add_moment_task")
    failed = _advance(context, linked, made.id)
    assert failed.status is MomentStatus.FAILED and failed.finished_at is not None
    assert failed.error is not None and failed.error.startswith("wecom.")  # WeCom's typed error: no permission for this API


def test_a_draft_is_checked_against_the_brand(context, fake) -> None:
    linked, second, third, other_store, vip, image = _brand(context, fake)
    admin = linked.admin
    link_material = welcome.create_material(context.uow(), admin, MaterialDraft.parse(kind="link", title="活动页",
                                                                                     url="https://x.cn/p"))
    mini = welcome.create_material(context.uow(), admin, MaterialDraft.parse(kind="miniprogram", title="小程序", pic_url="https://x.cn/c.png",
                                                                            appid="wxapp", page="pages/index"))
    local = tags.create_tag(context.uow(), admin, group="本地", name=f"未同步{f.uid(4)}")
    _, foreign = f.tenant(context)
    theirs = f.member(context, foreign, store_id=f.store(context, foreign).id)
    cases = [
        (dict(text="x", staff_ids=[theirs.id]), "moment.unknown_staff"),
        (dict(text="x", store_ids=[10**9]), "moment.unknown_store"),
        (dict(text="x", staff_ids=[second.id], tag_ids=[local.id]), "moment.tag_not_in_wecom"),
        (dict(text="x", staff_ids=[second.id], tag_ids=[10**9]), "moment.unknown_tag"),
        (dict(text="x", staff_ids=[second.id], material_ids=[image.id, link_material.id]), "moment.link_alone"),
        (dict(text="x", staff_ids=[second.id], material_ids=[mini.id]), "moment.no_miniprogram"),
        (dict(text="x", staff_ids=[second.id], material_ids=[link_material.id]), "moment.link_needs_picture"),
    ]
    for fields, code in cases:
        with pytest.raises(InvalidInput) as caught:
            moments.create_moment(context.uow(), admin, MomentDraft.parse(**fields))
        assert caught.value.code == code
    with pytest.raises(NotFound):
        moments.create_moment(context.uow(), admin, MomentDraft.parse(text="x", staff_ids=[second.id], material_ids=[10**9]))
    with pytest.raises(NotFound):
        moments.get_moment(context.uow(), foreign, moments.create_moment(context.uow(), admin, MomentDraft.parse(
            text="mine", staff_ids=[second.id])).id)
    assert moments.list_moments(context.uow(), admin).total == 1 and moments.list_moments(context.uow(), foreign).total == 0
