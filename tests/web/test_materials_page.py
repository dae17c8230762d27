"""The material library pages: each kind's fields, an upload checked as WeCom would and served
from its own URL, errors on their field with nothing typed lost, the kind filter and paging, a
delete refused while a welcome or an unfinished send carries the material, and who may edit."""

from __future__ import annotations

import pytest

from siyu.domain.access import Role
from siyu.domain.mass_sends import MassSendDraft
from siyu.domain.welcome import MaterialDraft, MaterialKind, WelcomeDraft
from siyu.services import mass_sends, welcome
from tests.channels.test_media import PNG

from .conftest import Browser, Org


def _materials(org: Org, kind: MaterialKind | None = None):  # type: ignore[no-untyped-def]
    return welcome.list_materials(org.context.uow(), org.system, kind=kind.value if kind else None).items


def _link(org: Org, title: str):  # type: ignore[no-untyped-def]
    return welcome.create_material(org.context.uow(), org.system, MaterialDraft.parse(kind="link", title=title,
                                                                                      url="https://shop.example.cn/p"))


def test_an_image_uploaded_through_the_form_is_checked_kept_and_served_at_its_url(signed_in: Browser, org: Org) -> None:
    form = signed_in.get("/materials/new")
    assert form.status_code == 200 and "新建素材" in form.text and 'enctype="multipart/form-data"' in form.text

    bad = signed_in.post("/materials/new", {"kind": "image", "title": "春季海报"},
                         files={"file": ("poster.png", b"<html>not a picture</html>", "image/png")})
    assert bad.status_code == 422 and "企业微信" in bad.text and 'id="e-file"' in bad.text
    assert 'value="春季海报"' in bad.text and not _materials(org)  # what was typed is back; nothing kept
    assert not list((org.context.settings.data_dir / "material-files").iterdir())

    made = signed_in.post("/materials/new", {"kind": "image", "title": "春季海报"},
                          files={"file": ("海报.jpg", PNG, "image/jpeg")})  # a PNG named .jpg is kept as a PNG
    assert made.status_code == 303
    [image] = _materials(org)
    assert image.kind is MaterialKind.IMAGE and image.url.startswith(f"{org.context.settings.base_url}/material-files/")
    assert image.url.endswith("/%E6%B5%B7%E6%8A%A5.png")
    served = signed_in.client.get(image.url.removeprefix(org.context.settings.base_url))
    assert served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "素材“春季海报”已创建" in signed_in.get("/materials").text

    page = signed_in.post("/materials/new", {"kind": "file", "title": "说明"}, files={"file": ("a.html", b"<script>x</script>", "text/html")})
    assert page.status_code == 303
    [kept] = _materials(org, MaterialKind.FILE)
    download = signed_in.client.get(kept.url.removeprefix(org.context.settings.base_url))
    assert download.headers["content-type"] == "application/octet-stream" and "attachment" in download.headers["content-disposition"]
    assert signed_in.client.get("/material-files/0123/..%2Fsiyu.db").status_code == 404
    folder = image.url.split("/material-files/")[1].split("/")[0]
    assert signed_in.client.get(f"/material-files/{folder}/a%00b.png").status_code == 404

    replaced = signed_in.post(f"/materials/{image.id}/edit", {"kind": "image", "title": "春季海报"},
                              files={"file": ("新海报.png", PNG, "image/png")})
    assert replaced.status_code == 303
    [image_now] = _materials(org, MaterialKind.IMAGE)
    assert image_now.url != image.url and signed_in.client.get(image_now.url.removeprefix(org.context.settings.base_url)).status_code == 200
    assert signed_in.client.get(image.url.removeprefix(org.context.settings.base_url)).status_code == 404  # the old file is gone
    assert signed_in.post(f"/materials/{kept.id}/delete", {}).status_code == 303
    assert signed_in.client.get(kept.url.removeprefix(org.context.settings.base_url)).status_code == 404
    assert sorted(p.name for p in (org.context.settings.data_dir / "material-files").iterdir()) == [
        image_now.url.split("/material-files/")[1].split("/")[0]]


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"kind": "link", "title": "新品", "url": "shop.example.cn", "description": "限时"}, "url", "链接需以 https:// 或 http:// 开头"),
    ({"kind": "miniprogram", "title": "商城", "pic_url": "https://cdn.example.cn/c.png", "page": "pages/index"}, "appid", "此项必填"),
    ({"kind": "image", "title": "", "url": "https://cdn.example.cn/a.png"}, "title", "此项必填"),
])
def test_a_rejected_material_shows_the_error_on_its_field_and_keeps_what_was_typed(signed_in: Browser, org: Org,
                                                                                  values: dict[str, str], field: str, message: str) -> None:
    bad = signed_in.post("/materials/new", values)
    assert bad.status_code == 422 and f'id="e-{field}">{message}' in bad.text
    for typed in values.values():
        assert f'value="{typed}"' in bad.text or f'"{typed}" selected' in bad.text or typed == ""
    assert not _materials(org)


def test_each_kind_is_saved_with_its_own_fields_and_edited(signed_in: Browser, org: Org) -> None:
    assert signed_in.post("/materials/new", {"kind": "miniprogram", "title": "商城", "pic_url": "https://cdn.example.cn/c.png",
                                             "appid": "wx1234567890", "page": "pages/index", "url": "https://ignored.cn"}).status_code == 303
    [mini] = _materials(org)
    assert (mini.appid, mini.page, mini.pic_url, mini.url) == ("wx1234567890", "pages/index", "https://cdn.example.cn/c.png", "")
    edit = signed_in.get(f"/materials/{mini.id}/edit").text
    assert 'value="wx1234567890"' in edit and 'value="miniprogram" selected' in edit
    assert signed_in.post(f"/materials/{mini.id}/edit", {"kind": "link", "title": "新品页", "url": "https://shop.example.cn/new",
                                                         "description": "限时"}).status_code == 303
    [link] = _materials(org)
    assert (link.kind, link.url, link.description, link.appid) == (MaterialKind.LINK, "https://shop.example.cn/new", "限时", "")
    refused = signed_in.post("/materials/new", {"kind": "link", "title": "x", "url": "https://a.cn"},
                             files={"file": ("a.png", PNG, "image/png")})
    assert refused.status_code == 422 and "链接和小程序请填写地址" in refused.text


def test_the_list_filters_by_kind_and_pages_keeping_the_filter(signed_in: Browser, org: Org) -> None:
    for n in range(21):
        _link(org, f"链接{n:02d}")
    welcome.create_material(org.context.uow(), org.system, MaterialDraft.parse(kind="image", title="唯一图片",
                                                                               url="https://cdn.example.cn/a.png"))
    images = signed_in.get("/materials?kind=image").text
    assert "唯一图片" in images and "链接00" not in images and 'aria-current="page">图片<' in images
    links = signed_in.get("/materials?kind=link").text
    assert "唯一图片" not in links and "链接20" in links and "链接00" not in links and 'href="/materials?kind=link&amp;page=2"' in links
    assert "链接00" in signed_in.get("/materials?kind=link&page=2").text
    assert "唯一图片" in signed_in.get("/materials?kind=nonsense").text  # an unknown kind filters nothing


def test_a_material_a_welcome_or_an_unfinished_send_carries_is_not_deleted(signed_in: Browser, org: Org) -> None:
    in_welcome, in_send, free = _link(org, "欢迎语用"), _link(org, "群发用"), _link(org, "没人用")
    welcome.save_welcome_message(org.context.uow(), org.system, WelcomeDraft.parse(scope="default", text="你好",
                                                                                   material_ids=[in_welcome.id]))
    mass_sends.create_mass_send(org.context.uow(), org.system, MassSendDraft.parse(
        name="春季", text="上新", material_ids=[in_send.id], customer_ids=[org.customer("张三")]))

    for material, why in ((in_welcome, "有欢迎语正在使用此素材"), (in_send, "有尚未完成的群发或朋友圈任务正在使用此素材")):
        refused = signed_in.post(f"/materials/{material.id}/delete")
        assert refused.status_code == 303 and why in signed_in.get(refused.headers["location"]).text
    assert signed_in.post(f"/materials/{free.id}/delete").status_code == 303
    assert "素材“没人用”已删除" in signed_in.get("/materials").text
    assert {m.title for m in _materials(org)} == {"欢迎语用", "群发用"}


@pytest.mark.parametrize(("role", "may_edit"), [(Role.OPERATOR, True), (Role.STORE_MANAGER, False), (Role.GUIDE, False)])
def test_who_may_edit_materials_follows_the_contact_ways(browser: Browser, org: Org, role: Role, may_edit: bool) -> None:
    material = _link(org, "新品")
    member = org.member(store=org.store())
    assert browser.sign_in(org.user(role, member=member).login).status_code == 303
    listing = browser.get("/materials")
    assert listing.status_code == 200 and "新品" in listing.text and ("新建素材" in listing.text) is may_edit
    assert ('href="/materials"' in listing.text) and ('href="/welcome-messages"' in listing.text)  # in the navigation
    assert browser.get("/materials/new").status_code == (200 if may_edit else 403)
    assert browser.get(f"/materials/{material.id}/edit").status_code == (200 if may_edit else 403)
    edited = browser.post(f"/materials/{material.id}/edit", {"kind": "link", "title": "改名", "url": "https://a.cn"})
    assert edited.status_code == (303 if may_edit else 403)
    deleted = browser.post(f"/materials/{material.id}/delete")
    assert deleted.status_code == (303 if may_edit else 403)
    assert len(_materials(org)) == (0 if may_edit else 1)
