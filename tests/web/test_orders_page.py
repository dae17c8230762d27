"""The orders page: the viewer's orders, and the ones matching no customer."""

from __future__ import annotations

from siyu.domain.access import Role
from siyu.services import orders

from .conftest import Browser, Org


def _orders(org: Org, *bodies: dict) -> None:
    base = {"source": "mall", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "32.00"}
    orders.record_orders(org.context.uow(), org.system, [{**base, **body} for body in bodies])


def test_the_orders_page_lists_orders_and_the_unmatched_ones(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三", "13800138000")
    store = org.store("南京西路店", code="NJ01")
    _orders(org, {"order_id": "MATCHED-1", "identities": {"phone": "13800138000"}, "store_code": store.code},
            {"order_id": "LOST-1", "identities": {"phone": "13900000000"}})
    page = signed_in.get("/orders").text
    assert "MATCHED-1" in page and "LOST-1" in page and f"/customers/{customer_id}" in page and "南京西路店" in page
    assert "尚未匹配" in page and "商城" in page
    unmatched = signed_in.get("/orders?unmatched=1").text
    table = unmatched.split("<tbody>")[1].split("</tbody>")[0]
    assert "LOST-1" in table and "MATCHED-1" not in table


def test_a_guide_sees_only_the_orders_credited_to_them(browser: Browser, org: Org) -> None:
    store = org.store("徐家汇店", code="XJH1")
    guide, other = org.member("王导购", store=store), org.member("李导购", store=store)
    _orders(org, {"order_id": "MINE-1", "store_code": store.code, "staff_userid": guide.wecom_userid},
            {"order_id": "THEIRS-1", "store_code": store.code, "staff_userid": other.wecom_userid})
    assert browser.sign_in(org.user(Role.GUIDE, member=guide).login).status_code == 303
    page = browser.get("/orders").text
    assert "MINE-1" in page and "THEIRS-1" not in page
    assert "未匹配客户" not in page  # the unmatched list is for those who manage orders
