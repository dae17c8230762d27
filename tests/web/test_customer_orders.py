"""The customer page's orders section and the orders on the timeline."""

from __future__ import annotations

from siyu.services import orders

from .conftest import Browser, Org


def test_the_customer_page_lists_orders_and_the_timeline_tells_of_them(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("张三", "13800138000")
    refund = {"refund_id": "R1", "amount": "12", "refunded_at": "2026-11-02T10:00:00+08:00"}
    orders.record_orders(org.context.uow(), org.system, [
        {"source": "tmall", "order_id": "TB-1001", "ordered_at": "2026-11-01T10:00:00+08:00", "amount": "98.00",
         "identities": {"phone": "13800138000"}, "refunds": [refund]},
        {"source": "store", "order_id": "POS-7", "ordered_at": "2026-11-05T10:00:00+08:00", "amount": "32.00",
         "identities": {"phone": "13800138000"}},
    ])
    page = signed_in.get(f"/customers/{customer_id}").text
    card = page.split('id="orders"')[1].split("</section>")[0]
    assert "2 笔购买，退款后 ¥118.00" in card
    assert "TB-1001" in card and "天猫" in card and "部分退款" in card and "（已退 ¥12.00）" in card
    assert "POS-7" in card and "门店" in card and "已支付" in card
    timeline = page.split('id="timeline"')[1]
    assert "订单 TB-1001（天猫）：¥98.00" in timeline and "订单 TB-1001（天猫）退款 ¥12" in timeline


def test_a_customer_without_orders_says_so(signed_in: Browser, org: Org) -> None:
    customer_id = org.customer("李四")
    card = signed_in.get(f"/customers/{customer_id}").text.split('id="orders"')[1].split("</section>")[0]
    assert "暂无订单。" in card
