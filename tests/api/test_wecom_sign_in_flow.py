"""The whole WeCom sign-in through the app on each database (SQLite, and PostgreSQL when
configured): menu link -> the fake WeCom's authorize page over HTTP -> callback -> /m/tasks."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from siyu.domain.wecom import WeComSettingsDraft
from siyu.services import guide_tasks, wecom_settings
from siyu.services.clock import utcnow
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import QUICK


def test_the_sign_in_round_trip_and_its_replay(context, client):  # type: ignore[no-untyped-def]
    context.wecom_retry = QUICK
    tenant, admin = f.tenant(context)
    store = f.store(context, admin)
    guide, other = f.member(context, admin, store_id=store.id), f.member(context, admin, store_id=store.id)
    with context.uow() as uow:
        for member, title in ((guide, "我的回访"), (other, "别人的回访")):
            guide_tasks.add_source_task_in(uow, tenant.id, staff_id=member.id, customer_id=None, kind="follow_up", title=title,
                                           script="", due_at=utcnow(), source_kind="journey", source_key=title)
        uow.commit()
    with FakeWeCom("wwsigninflow0001", "fake-contact-secret-0003") as fake:
        fake.corp.app_secret, fake.corp.agent_id = "flow-app-secret-0000000001", 1000002
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, admin, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, agent_id=1000002, api_base_url=fake.url, contact_secret=fake.corp.secret,
            app_secret=fake.corp.app_secret))
        fake.corp.add_user(guide.wecom_userid)
        fake.corp.oauth_member = guide.wecom_userid
        out = client.get(f"/m/wecom/{tenant.slug}/login", follow_redirects=False)
        back = urlsplit(httpx.get(out.headers["location"], follow_redirects=False).headers["location"])
        landed = client.get(f"{back.path}?{back.query}", follow_redirects=False)
        assert (landed.status_code, landed.headers["location"]) == (303, "/m/tasks")
        tasks = client.get("/m/tasks")
        assert "我的回访" in tasks.text and "别人的回访" not in tasks.text
        client.cookies.set("siyu_wecom_sign_in", out.cookies["siyu_wecom_sign_in"], path="/m/wecom/")
        replay = client.get(f"{back.path}?{back.query}", follow_redirects=False)
        assert replay.status_code == 403 and "已使用" in replay.text
