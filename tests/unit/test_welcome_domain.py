"""Welcome messages: names filled in, the most specific message chosen, materials as attachments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siyu.domain.errors import InvalidInput
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
    assert link.attachment() == {"msgtype": "link", "link": {"title": "新品", "url": "https://x.cn/p", "picurl": "https://x.cn/p.png",
                                                              "desc": "看看"}}
    image = Material(2, MaterialKind.IMAGE, "海报", "https://x.cn/a.png", "", "", "", "", NOW, NOW)
    assert image.attachment() == {"msgtype": "image", "image": {"pic_url": "https://x.cn/a.png"}}


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
