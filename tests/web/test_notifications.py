"""The notifications page and the bell: deletion alerts, read and unread, and the counts."""

from __future__ import annotations

from siyu.domain.customers import RelationState
from siyu.services import alerts
from siyu.services.clock import utcnow


def _deleted(context, org, member, name: str, state: RelationState) -> None:
    customer_id = org.customer(name, followed_by=member)
    with context.uow() as uow:
        alerts.relation_ended(uow, org.tenant.id, customer_id, member, state, at=utcnow())
        uow.commit()


def test_the_bell_counts_unread_alerts_and_the_page_lists_them(context, org, signed_in):
    store = org.store()
    member = org.member("王导购", store=store)
    _deleted(context, org, member, "离开的客户", RelationState.DELETED_BY_CUSTOMER)
    _deleted(context, org, member, "被删的客户", RelationState.DELETED_BY_STAFF)

    home = signed_in.get("/")
    assert 'hx-get="/notifications/unread"' in home.text  # the bell is in the layout
    assert ">2</span>" in signed_in.get("/notifications/unread").text

    listed = signed_in.get("/notifications")
    assert listed.status_code == 200
    assert "离开的客户" in listed.text and "被删的客户" in listed.text and "王导购" in listed.text
    assert listed.text.count('action="/notifications/') >= 3  # one "mark read" each, and "mark all read"

    response = signed_in.post("/notifications/read")
    assert response.status_code in (302, 303)
    assert signed_in.get("/notifications/unread").text.strip() == ""
    assert alerts.unread_count(context.uow(), org.system) == 2  # read state is the signed-in user's own
