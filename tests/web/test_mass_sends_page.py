"""The mass-send pages: the form with its audience count, creating a send, its report."""

from __future__ import annotations

from siyu.adapters.channels.sandbox.mass_send import confirm_mass_message
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import wecom_settings
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom


def test_an_admin_creates_a_mass_send_and_reads_its_report(context, org, signed_in):
    with FakeWeCom() as fake:
        fake.corp.mass_confirm_seconds = None
        store = org.store()
        guide = org.member("群发导购", store=store)
        fake.corp.add_user(guide.wecom_userid)
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, org.system, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret))
        friend = org.customer("群发客户", followed_by=guide)
        lonely = org.customer("无好友客户")
        with context.uow() as uow:
            uow.identities.add(org.tenant.id, friend, [IdentityKey(IdentityKind.WECOM_EXTERNAL, "wmWeb1")], source="wecom", now=utcnow())
            uow.commit()
        fake.corp.add_contact("wmWeb1", follows={guide.wecom_userid: {}})

        form = signed_in.get("/mass-sends/new")
        assert form.status_code == 200 and 'name="customer_ids"' in form.text and "新建群发" in form.text
        count = signed_in.post("/mass-sends/audience-count", {"audience": "picked", "customer_ids": f"{friend}, {lonely}"})
        assert "当前受众 2 位客户" in count.text
        bad = signed_in.post("/mass-sends", {"name": "春季", "text": "{customer_name} 您好", "audience": "picked",
                                             "customer_ids": str(friend)})
        assert bad.status_code == 422 and "{staff_name}" in bad.text
        made = signed_in.post("/mass-sends", {"name": "春季上新", "text": "{staff_name} 推荐新品", "audience": "picked",
                                              "customer_ids": f"{friend}\n{lonely}"})
        assert made.status_code in (302, 303)
        location = made.headers["location"]
        shown = signed_in.get(location)
        assert shown.status_code == 200 and "无有效好友关系" in shown.text and "群发导购" in shown.text
        assert 'hx-trigger="every 10s"' in shown.text  # waiting for the staff member: the page follows it
        assert [m["text"]["content"] for m in fake.corp.mass_messages.values()] == ["群发导购 推荐新品"]
        confirm_mass_message(fake.corp, next(iter(fake.corp.mass_messages)))
        context.tasks["advance_mass_send"](org.tenant.id, int(location.rsplit("/", 1)[1]))
        done = signed_in.get(location)
        assert 'hx-trigger="every 10s"' not in done.text and 'badge-done">完成<' in done.text
        assert ">1 / 1<" in done.text  # the staff member confirmed their one task
        assert "春季上新" in signed_in.get("/mass-sends").text
