"""The transfers page: start a transfer from the console and watch it."""

from __future__ import annotations

from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import wecom_settings
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom, complete_transfers


def test_an_admin_starts_a_transfer_and_follows_it(context, org, signed_in):
    with FakeWeCom() as fake:
        store = org.store()
        handover = org.member("老导购", store=store)
        takeover = org.member("新导购", store=store)
        for member in (handover, takeover):
            fake.corp.add_user(member.wecom_userid)
        fake.corp.add_contact("wmPage1", follows={handover.wecom_userid: {}})
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, org.system, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret))
        customer_id = org.customer("转接客户", followed_by=handover)
        with context.uow() as uow:
            uow.identities.add(org.tenant.id, customer_id, [IdentityKey(IdentityKind.WECOM_EXTERNAL, "wmPage1")], source="wecom",
                               now=utcnow())
            uow.commit()

        listed = signed_in.get("/transfers")
        assert listed.status_code == 200 and "老导购" in listed.text and 'name="takeover_staff_id"' in listed.text
        bad = signed_in.post("/transfers", {"handover_staff_id": str(handover.id), "takeover_staff_id": str(handover.id)})
        assert bad.status_code == 422
        started = signed_in.post("/transfers", {"handover_staff_id": str(handover.id), "takeover_staff_id": str(takeover.id)})
        assert started.status_code in (302, 303)
        location = started.headers["location"]
        shown = signed_in.get(location)
        assert shown.status_code == 200 and "hx-trigger=\"every 10s\"" in shown.text  # waiting for WeCom: the page follows it
        complete_transfers(fake.corp)
        context.tasks["poll_transfers"]()
        assert "hx-trigger=\"every 10s\"" not in signed_in.get(location).text
