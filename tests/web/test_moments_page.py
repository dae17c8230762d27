"""The moments pages: create a task from the console, then follow each staff member's posting."""

from __future__ import annotations

from siyu.domain.wecom import WeComSettingsDraft
from siyu.domain.welcome import MaterialDraft
from siyu.services import welcome, wecom_settings
from siyu.testing.fake_wecom import FakeWeCom, host_file, publish_moment
from tests.channels.test_media import PNG


def test_an_admin_asks_a_store_to_post_a_moment_and_follows_it(context, org, signed_in) -> None:
    with FakeWeCom() as fake:
        store = org.store("静安店")
        first, second = org.member("王导购", store=store), org.member("李导购", store=store)
        for member in (first, second):
            fake.corp.add_user(member.wecom_userid)
        wecom_settings.save_wecom_settings(context.uow(), context.secret_box, org.system, WeComSettingsDraft.parse(
            corp_id=fake.corp.corp_id, api_base_url=fake.url, contact_secret=fake.corp.secret))
        image = welcome.create_material(context.uow(), org.system, MaterialDraft.parse(kind="image", title="新品海报",
                                                                                      url=fake.url + host_file(fake.corp, "p.png", PNG)))
        listed = signed_in.get("/moments")
        assert listed.status_code == 200 and "静安店" in listed.text and "新品海报" in listed.text and "朋友圈" in listed.text

        refused = signed_in.post("/moments", {"text": "没有人发"})
        assert refused.status_code == 422 and "请选择发表的员工或门店" in refused.text and "没有人发" in refused.text

        made = signed_in.post("/moments", {"text": "双十二新品", "store_ids": [str(store.id)], "material_ids": [str(image.id)]})
        assert made.status_code in (302, 303)
        location = made.headers["location"]
        shown = signed_in.get(location)  # the worker ran (immediate queue): WeCom is preparing it
        assert shown.status_code == 200 and "王导购" in shown.text and "李导购" in shown.text and 'every 30s' in shown.text

        context.tasks["poll_moments"]()
        moment_id = next(iter(fake.corp.moments["tasks"]))
        publish_moment(fake.corp, moment_id, first.wecom_userid)
        context.tasks["poll_moments"]()
        shown = signed_in.get(location)
        assert "50%" in shown.text and shown.text.count("badge badge-green") == 1  # one of two posted

        stopped = signed_in.post(f"{location}/cancel")
        assert stopped.status_code in (302, 303)
        final = signed_in.get(location)
        assert "已取消" in final.text and "every 30s" not in final.text and fake.corp.count(
            "/cgi-bin/externalcontact/cancel_moment_task") == 1
        assert "双十二新品" in signed_in.get("/moments").text
