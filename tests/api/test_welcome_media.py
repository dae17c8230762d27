"""A welcome message's image and mini-program go to WeCom by media id: uploaded when the first
customer is welcomed, reused for the next, uploaded again when WeCom no longer knows the id."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.domain.welcome import MaterialDraft, SendStatus, WelcomeDraft
from siyu.services import welcome
from siyu.testing.fake_wecom import FakeWeCom, host_file
from tests.api.test_wecom_callbacks import _customer_of
from tests.api.wecom_setup import link
from tests.channels.test_media import PNG

ADD = "add_external_contact"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom() as server:
        yield server
UPLOAD = "/cgi-bin/media/upload"


def _welcomed(client, fake, linked, external: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    fake.corp.add_contact(external, name="韩梅梅", follows={linked.staff.wecom_userid: {}})
    code = fake.corp.issue_welcome_code(linked.staff.wecom_userid, external)
    assert linked.contact_event(client, ADD, external, WelcomeCode=code).status_code == 200
    return fake.corp.welcome_codes[code]


def test_a_welcome_sends_its_image_and_mini_program_cover_by_media_id(context, client, fake):
    linked = link(context, fake)
    poster = fake.url + host_file(fake.corp, "poster.png", PNG, "image/png")
    image = welcome.create_material(context.uow(), linked.admin, MaterialDraft.parse(kind="image", title="新人礼", url=poster))
    mini = welcome.create_material(context.uow(), linked.admin, MaterialDraft.parse(
        kind="miniprogram", title="商城", pic_url=poster, appid="wx1234567890", page="pages/index"))
    welcome.save_welcome_message(context.uow(), linked.admin, WelcomeDraft.parse(scope="default", text="{customer_name}您好",
                                                                                  material_ids=[image.id, mini.id]))
    first = _welcomed(client, fake, linked, "wmMedia1")
    assert first["used"]
    picture, card = first["sent"]["attachments"]
    assert fake.corp.media[picture["image"]["media_id"]]["purpose"] == "message"
    assert card["miniprogram"]["pic_media_id"] in fake.corp.media and card["miniprogram"]["appid"] == "wx1234567890"
    assert fake.corp.count(UPLOAD) == 2

    second = _welcomed(client, fake, linked, "wmMedia2")
    assert second["sent"]["attachments"] == first["sent"]["attachments"] and fake.corp.count(UPLOAD) == 2  # cached

    del fake.corp.media[picture["image"]["media_id"]]  # WeCom dropped it: 40007, uploaded again, sent
    third = _welcomed(client, fake, linked, "wmMedia3")
    assert third["used"] and third["sent"]["attachments"][0]["image"]["media_id"] in fake.corp.media
    assert fake.corp.count(UPLOAD) == 4
    sends = [s for c in ("wmMedia1", "wmMedia2", "wmMedia3") for s in _sends(context, linked, c)]
    assert [s.status for s in sends] == [SendStatus.SENT] * 3


def _sends(context, linked, external):  # type: ignore[no-untyped-def]
    return welcome.sends_for_customer(context.uow(), linked.admin, _customer_of(context, linked.tenant.id, external))
