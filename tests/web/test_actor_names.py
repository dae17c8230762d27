"""Who did it, by name: every role that sees a customer or an import sees the people and
tokens behind it, never a bare "console user #3"."""

from __future__ import annotations

from siyu.domain.access import Actor, Role
from siyu.services import auth, merging, stages, tags, tokens
from tests.web.conftest import Browser, Org

from .test_imports_page import _upload


def _actor_of(org: Org, user) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(tenant_id=org.tenant.id, role=user.role, user_id=user.id, staff_id=user.staff_id)


def test_a_guide_sees_who_tagged_moved_and_merged_their_customer(browser: Browser, org: Org) -> None:
    store = org.store()
    guide = org.member("林导购", store=store)
    manager = org.user(Role.ADMIN)
    by_manager = _actor_of(org, manager)
    kept = org.customer("张三", followed_by=guide)
    twin = org.customer("张三", followed_by=guide)
    vip, stage = org.tag("VIP"), org.stage("意向")
    tags.apply_tags(org.context.uow(), by_manager, [kept], [vip.id])
    stages.move_stage(org.context.uow(), by_manager, kept, stage.id)
    survivor = merging.merge_customers(org.context.uow(), by_manager, kept, twin).survivor_id
    issued = tokens.create_api_token(org.context.uow(), by_manager, name="CRM 同步", role=Role.OPERATOR)
    by_token = auth.actor_for_api_token(org.context.uow(), issued.secret)
    tags.apply_tags(org.context.uow(), by_token, [survivor], [org.tag("会员").id])

    browser.sign_in(org.user(Role.GUIDE, member=guide).login)
    page = browser.get(f"/customers/{survivor}").text
    timeline = page.split('id="timeline"')[1].split("</section>")[0]
    assert "控制台用户 #" not in page and "API 令牌 #" not in page
    assert timeline.count(f"· {manager.name}</small>") >= 3  # tagged, stage set, merged
    assert "· API 令牌“CRM 同步”</small>" in timeline
    tag_card = page.split('id="tags-card"')[1].split("</section>")[0]
    assert f"· {manager.name} ·" in tag_card and "· API 令牌“CRM 同步” ·" in tag_card
    merges = page.split('id="merges"')[1].split("</section>")[0]
    assert f"· {manager.name}</small>" in merges

    merge_history = browser.get("/customers/merges")  # the merge history page is for managers
    assert merge_history.status_code == 403


def test_an_operator_sees_who_started_each_import(browser: Browser, org: Org, admin) -> None:  # type: ignore[no-untyped-def]
    browser.sign_in(admin.login)
    started = _upload(browser, "姓名,手机\n张三,13800000001\n".encode())
    browser.post("/logout")
    browser.csrf = ""
    browser.sign_in(org.user(Role.OPERATOR).login)
    listing = browser.get("/customers/imports").text
    assert f"<td>{admin.name}</td>" in listing
    run_page = browser.get(started.headers["location"]).text
    assert f"由 {admin.name} 于" in run_page and "控制台用户 #" not in run_page


def test_the_merge_history_names_who_merged(browser: Browser, org: Org) -> None:
    manager = org.user(Role.ADMIN)
    merging.merge_customers(org.context.uow(), _actor_of(org, manager), org.customer("李四"), org.customer("李四"))
    browser.sign_in(org.user(Role.OPERATOR).login)
    history = browser.get("/customers/merges").text
    assert f"<td>{manager.name}</td>" in history and "控制台用户 #" not in history
