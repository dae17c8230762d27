"""The customer page's member level: shown, picked from the tenant's levels, cleared, and an
unlisted level refused on the field with the form kept."""

from __future__ import annotations

import re

from siyu.domain.customers import Profile
from siyu.domain.member_levels import MemberLevels
from siyu.services import customers, member_levels

from .conftest import Browser, Org

FORM = {"name": "张三", "gender": "1", "birthday": "1990-05-04", "region": "杭州", "avatar": ""}


def _levels(org: Org, *names: str) -> None:
    member_levels.set_member_levels(org.context.uow(), org.system, MemberLevels.parse(list(names), None))


def _level(org: Org, customer_id: int) -> str | None:
    return customers.get_customer(org.context.uow(), org.system, customer_id).customer.member_level


def _profile_card(html: str) -> str:
    return html.split('id="profile"')[1].split("</section>")[0]


def test_the_level_is_picked_from_the_tenant_levels_shown_and_cleared(signed_in: Browser, org: Org) -> None:
    _levels(org, "普卡", "银卡", "金卡")
    customer_id = org.customer("张三")
    card = _profile_card(signed_in.get(f"/customers/{customer_id}").text)
    options = card.split('name="member_level"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', options) == ["", "普卡", "银卡", "金卡"]
    assert '<option value="">无等级</option>' in options and " selected" not in options and "会员等级" in card

    saved = signed_in.post(f"/customers/{customer_id}/profile", {**FORM, "member_level": "银卡"})
    assert saved.status_code == 303 and _level(org, customer_id) == "银卡"
    page = signed_in.get(f"/customers/{customer_id}").text
    assert '<span id="member-level">会员等级: 银卡</span>' in page
    assert '<option value="银卡" selected>银卡</option>' in _profile_card(page) and "会员等级 — → 银卡" in page

    cleared = signed_in.post(f"/customers/{customer_id}/profile", {**FORM, "member_level": ""})
    assert cleared.status_code == 303 and _level(org, customer_id) is None
    assert 'id="member-level"' not in signed_in.get(f"/customers/{customer_id}").text


def test_an_unlisted_level_is_an_error_on_the_field_and_nothing_typed_is_lost(signed_in: Browser, org: Org) -> None:
    _levels(org, "普卡", "金卡")
    customer_id = org.customer("张三")
    signed_in.get(f"/customers/{customer_id}")
    bad = signed_in.post(f"/customers/{customer_id}/profile", {**FORM, "name": "张三丰", "member_level": "钻石卡"})
    assert bad.status_code == 422
    card = _profile_card(bad.text)
    assert re.search(r'<p class="field-error" id="e-member_level">“钻石卡”不在会员等级列表中</p>', card)
    assert 'value="张三丰"' in card and 'value="1990-05-04"' in card and 'value="杭州"' in card
    assert '<option value="钻石卡" selected>钻石卡（不在等级列表中）</option>' in card
    customer = customers.get_customer(org.context.uow(), org.system, customer_id).customer
    assert (customer.name, customer.member_level) == ("张三", None)  # nothing saved


def test_a_level_the_mall_set_outside_the_list_stays_when_the_form_is_saved(signed_in: Browser, org: Org) -> None:
    _levels(org, "普卡", "金卡")
    customer_id = org.customer("张三")
    customers.update_profile(org.context.uow(), org.system, customer_id, Profile.parse(member_level="黑卡"))  # as the API may
    card = _profile_card(signed_in.get(f"/customers/{customer_id}").text)
    assert '<option value="黑卡" selected>黑卡（不在等级列表中）</option>' in card
    kept = signed_in.post(f"/customers/{customer_id}/profile", {**FORM, "region": "苏州", "member_level": "黑卡"})
    assert kept.status_code == 303 and _level(org, customer_id) == "黑卡"
    # once changed to a listed level, the unlisted one cannot be picked back
    assert signed_in.post(f"/customers/{customer_id}/profile", {**FORM, "member_level": "金卡"}).status_code == 303
    assert signed_in.post(f"/customers/{customer_id}/profile", {**FORM, "member_level": "黑卡"}).status_code == 422
    assert _level(org, customer_id) == "金卡"
