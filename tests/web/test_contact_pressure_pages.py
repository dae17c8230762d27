"""Contact pressure in the console: the rules form, do not disturb on the customer page and its timeline lines."""

from __future__ import annotations

from siyu.domain.access import Role
from siyu.domain.contact_pressure import ContactRules, OptOutSource, WeComCap
from siyu.services import contact_pressure

from .conftest import Browser, Org


def _rules(**changes: str) -> dict[str, str]:
    return {"per_day": "1", "per_week": "3", "per_month": "", "quiet_start": "21:30", "quiet_end": "08:00", "wecom_cap": "week",
            **changes}


def test_admin_saves_the_rules_and_sees_them_back(signed_in: Browser, org: Org) -> None:
    empty = signed_in.get("/settings/contact-rules")
    assert empty.status_code == 200 and "触达规则" in empty.text and "按月：当月天数条（企业微信默认）" in empty.text
    assert 'href="/settings/contact-rules"' in signed_in.get("/").text  # in the admin's menu
    saved = signed_in.post("/settings/contact-rules", _rules())
    assert saved.status_code == 303 and saved.headers["location"] == "/settings/contact-rules"
    assert contact_pressure.get_rules(org.context.uow(), org.system) == ContactRules(
        per_day=1, per_week=3, quiet_start=21 * 60 + 30, quiet_end=8 * 60, wecom_cap=WeComCap.WEEK)
    page = signed_in.get("/settings/contact-rules")
    assert "触达规则已保存" in page.text
    assert 'value="21:30"' in page.text and 'value="08:00"' in page.text and '<option value="week" selected>' in page.text


def test_a_bad_rule_is_explained_in_chinese_and_nothing_typed_is_lost(signed_in: Browser, org: Org) -> None:
    typed = _rules(per_day="5", per_week="2")
    refused = signed_in.post("/settings/contact-rules", typed)
    assert refused.status_code == 422
    assert "较长周期的上限不能小于较短周期的上限" in refused.text and 'aria-describedby="e-per_week"' in refused.text
    assert 'value="5"' in refused.text and 'value="2"' in refused.text and 'value="21:30"' in refused.text
    half = signed_in.post("/settings/contact-rules", _rules(quiet_end=""))
    assert half.status_code == 422 and "免打扰时段须同时填写开始和结束时间" in half.text
    assert contact_pressure.get_rules(org.context.uow(), org.system) == ContactRules()  # nothing saved


def test_the_rules_page_speaks_english_to_an_english_user(browser: Browser, org: Org) -> None:
    english = org.user(Role.ADMIN, locale="en")
    browser.sign_in(english.login)
    refused = browser.post("/settings/contact-rules", _rules(per_day="0"))
    assert refused.status_code == 422 and "a limit is a whole number from 1 to 1000, or empty for none" in refused.text
    assert "Quiet hours" in browser.get("/settings/contact-rules").text


def test_operators_cannot_see_or_change_the_rules(browser: Browser, org: Org) -> None:
    operator = org.user(Role.OPERATOR)
    browser.sign_in(operator.login)
    assert browser.get("/settings/contact-rules").status_code == 403
    assert browser.post("/settings/contact-rules", _rules()).status_code == 403
    assert contact_pressure.get_rules(org.context.uow(), org.system) == ContactRules()
    assert "/settings/contact-rules" not in browser.get("/").text  # not in the menu either


def test_do_not_disturb_on_the_customer_page_and_timeline(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("李四")
    page = signed_in.get(f"/customers/{customer_id}")
    assert "设为免打扰" in page.text and "在品牌的触达规则内" in page.text
    done = signed_in.post(f"/customers/{customer_id}/opt-out", {"source": "customer_request", "note": "请勿再发"})
    assert done.status_code == 303 and done.headers["location"] == f"/customers/{customer_id}"
    stored = contact_pressure.find_opt_out(org.context.uow(), org.system, customer_id)
    assert stored is not None and (stored.source, stored.note) == (OptOutSource.CUSTOMER_REQUEST, "请勿再发")
    page = signed_in.get(f"/customers/{customer_id}")
    assert "已设为免打扰" in page.text and "取消免打扰" in page.text and "备注：请勿再发" in page.text
    assert "设为免打扰（客户要求）：请勿再发" in page.text  # the timeline line
    assert "/customers/%d" % customer_id in signed_in.get("/opt-outs").text

    again = signed_in.post(f"/customers/{customer_id}/opt-out", {"source": "manual"})
    assert again.status_code == 303 and "该客户已设为免打扰" in signed_in.get(f"/customers/{customer_id}").text

    assert signed_in.post(f"/customers/{customer_id}/opt-in").status_code == 303
    assert contact_pressure.find_opt_out(org.context.uow(), org.system, customer_id) is None
    page = signed_in.get(f"/customers/{customer_id}")
    assert "已取消免打扰" in page.text and "取消免打扰，发送可以再次触达该客户" in page.text
    assert signed_in.post(f"/customers/{customer_id}/opt-in").status_code == 303  # already off: said, not an error page
    assert "该客户未设免打扰" in signed_in.get(f"/customers/{customer_id}").text


def test_a_guide_sets_do_not_disturb_only_on_their_own_customers(browser: Browser, org: Org) -> None:
    store = org.store()
    guide_member = org.member(store=store)
    guide = org.user(Role.GUIDE, member=guide_member)
    own = org.customer("自己的客户", followed_by=guide_member)
    other = org.customer("别人的客户")
    browser.sign_in(guide.login)
    assert browser.post(f"/customers/{own}/opt-out", {"source": "manual"}).status_code == 303
    assert browser.post(f"/customers/{other}/opt-out", {"source": "manual"}).status_code == 404
    assert contact_pressure.find_opt_out(org.context.uow(), org.system, own) is not None
    assert contact_pressure.find_opt_out(org.context.uow(), org.system, other) is None
    listed = browser.get("/opt-outs").text
    assert "自己的客户" in listed and "别人的客户" not in listed
