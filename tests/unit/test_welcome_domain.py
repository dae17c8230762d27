"""Welcome messages: names filled in, the most specific message chosen, materials as attachments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.domain.errors import InvalidInput
from siyu.domain.media import MediaKind, MediaPurpose
from siyu.domain.welcome import Material, MaterialDraft, MaterialKind, WelcomeDraft, WelcomeMessage, WelcomeScope, choose_welcome

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def message(id_: int, scope: WelcomeScope, *, channel_id: int | None = None, way_id: int | None = None) -> WelcomeMessage:
    return WelcomeMessage(id_, scope, f"m{id_}", (), channel_id, way_id, NOW)


def test_welcome_text_fills_customer_and_staff_names():
    m = WelcomeMessage(1, WelcomeScope.DEFAULT, "{customer_name}您好，我是{staff_name}。{customer_name}!", (), None, None, NOW)
    assert m.render(customer_name="王小明", staff_name="李导购") == "王小明您好，我是李导购。王小明!"


def test_the_most_specific_welcome_message_wins():
    messages = [message(1, WelcomeScope.DEFAULT), message(2, WelcomeScope.CHANNEL, channel_id=7),
                message(3, WelcomeScope.WAY, way_id=70), message(4, WelcomeScope.WAY, way_id=71)]
    assert choose_welcome(messages, contact_way_id=70, channel_id=7).id == 3
    assert choose_welcome(messages, contact_way_id=72, channel_id=7).id == 2
    assert choose_welcome(messages, contact_way_id=72, channel_id=8).id == 1
    assert choose_welcome(messages, contact_way_id=None, channel_id=None).id == 1
    assert choose_welcome(messages[1:], contact_way_id=None, channel_id=8) is None


def test_materials_become_wecom_attachments():
    link = Material(1, MaterialKind.LINK, "新品", "https://x.cn/p", "https://x.cn/p.png", "看看", "", "", NOW, NOW)
    assert link.media_needed(MediaPurpose.MESSAGE) == []  # a link's picture goes by URL on messages
    assert link.attachment({}) == {"msgtype": "link", "link": {"title": "新品", "url": "https://x.cn/p", "picurl": "https://x.cn/p.png",
                                                                "desc": "看看"}}
    assert link.media_needed(MediaPurpose.MOMENT) == [("cover", MediaKind.IMAGE, "https://x.cn/p.png")]  # on moments by media id
    image = Material(2, MaterialKind.IMAGE, "海报", "https://x.cn/a.png", "", "", "", "", NOW, NOW)
    assert image.media_needed(MediaPurpose.MESSAGE) == [("main", MediaKind.IMAGE, "https://x.cn/a.png")]
    assert image.attachment({"main": "M1"}) == {"msgtype": "image", "image": {"media_id": "M1"}}
    video = Material(3, MaterialKind.VIDEO, "开箱", "https://x.cn/v.mp4", "", "", "", "", NOW, NOW)
    assert video.attachment({"main": "M2"}) == {"msgtype": "video", "video": {"media_id": "M2"}}
    file = Material(4, MaterialKind.FILE, "价目表", "https://x.cn/p.pdf", "", "", "", "", NOW, NOW)
    assert file.attachment({"main": "M3"}) == {"msgtype": "file", "file": {"media_id": "M3"}}
    mini = Material(5, MaterialKind.MINIPROGRAM, "商城", "", "https://x.cn/c.png", "", "wx1", "pages/index", NOW, NOW)
    assert mini.media_needed(MediaPurpose.MESSAGE) == [("cover", MediaKind.IMAGE, "https://x.cn/c.png")]
    assert mini.attachment({"cover": "M4"})["miniprogram"] == {"title": "商城", "pic_media_id": "M4", "appid": "wx1", "page": "pages/index"}


def test_material_and_welcome_drafts_refuse_bad_input():
    with pytest.raises(InvalidInput) as caught:
        MaterialDraft.parse(kind="link", title="x", url="ftp://x")
    assert caught.value.code == "material.bad_url"
    with pytest.raises(InvalidInput) as caught:
        MaterialDraft.parse(kind="miniprogram", title="x", pic_url="https://x.cn/c.png", page="pages/index")
    assert caught.value.field == "appid"
    with pytest.raises(InvalidInput) as caught:
        WelcomeDraft.parse(scope="way", text="hi")
    assert caught.value.code == "welcome.scope_target"
    with pytest.raises(InvalidInput) as caught:
        WelcomeDraft.parse(scope="default", text=" ")
    assert caught.value.code == "welcome.empty"
