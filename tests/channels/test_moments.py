"""Moments (朋友圈) through the Channel port: a task, its asynchronous job, per-staff publish status, cancel —
over real HTTP against the fake WeCom and in-process through the sandbox."""

from __future__ import annotations

import httpx
import pytest

from siyu.adapters.channels.media import MediaFile
from siyu.adapters.channels.moments import MomentTask
from siyu.adapters.channels.sandbox.corp import Fail
from siyu.adapters.channels.wecom.errors import WeComError
from siyu.domain.errors import InvalidInput
from siyu.domain.media import MediaKind
from siyu.testing.fake_wecom import FakeWeCom, publish_moment
from tests.channels.test_media import PNG

EC = "/cgi-bin/externalcontact"

IMAGE = {"msgtype": "image", "image": {"media_id": "MEDIA1"}}


@pytest.fixture
def tagged(fake: FakeWeCom) -> FakeWeCom:
    fake.corp.tag_groups["g1"] = {"group_id": "g1", "group_name": "兴趣", "order": 0, "create_time": 0,
                                  "tag": [{"id": "etVIP", "name": "VIP", "order": 0, "create_time": 0}]}
    return fake


def test_a_moment_task_runs_as_a_job_then_staff_publish_it(channel, tagged) -> None:
    media_id = channel.upload_attachment(MediaKind.IMAGE, MediaFile(filename="a.png", content_type="image/png", data=PNG)).media_id
    image = {"msgtype": "image", "image": {"media_id": media_id}}
    jobid = channel.add_moment_task(MomentTask(text="双十二新品", attachments=[image, image],
                                               sender_userids=["zhangsan", "lisi", "nobody"], tag_ids=["etVIP", "etGONE"]))
    sent = next(body for path, body in tagged.corp.calls if path == f"{EC}/add_moment_task")
    assert sent["visible_range"] == {"sender_list": {"user_list": ["zhangsan", "lisi", "nobody"], "department_list": []},
                                     "external_contact_list": {"tag_list": ["etVIP", "etGONE"]}}
    assert sent["text"] == {"content": "双十二新品"} and len(sent["attachments"]) == 2

    running = channel.get_moment_task_result(jobid)
    assert running.status == 2 and not running.done and running.result is None
    done = channel.get_moment_task_result(jobid)
    assert done.done and done.result is not None
    assert done.result.invalid_sender_list.user_list == ["nobody"]
    assert done.result.invalid_external_contact_list.tag_list == ["etGONE"]
    moment_id = done.result.moment_id
    assert moment_id and channel.get_moment_task_result(jobid).result.moment_id == moment_id  # stable once done

    before = channel.get_moment_task(moment_id)
    assert [(s.userid, s.publish_status) for s in before.task_list] == [("zhangsan", 0), ("lisi", 0)]
    publish_moment(tagged.corp, moment_id, "lisi")
    first = channel.get_moment_task(moment_id, limit=1)
    assert [(s.userid, s.publish_status) for s in first.task_list] == [("zhangsan", 0)] and first.next_cursor
    rest = channel.get_moment_task(moment_id, cursor=first.next_cursor, limit=1)
    assert [(s.userid, s.publish_status) for s in rest.task_list] == [("lisi", 1)] and rest.next_cursor == ""

    channel.cancel_moment_task(moment_id)
    with pytest.raises(Fail):
        publish_moment(tagged.corp, moment_id, "zhangsan")


def test_no_sender_list_means_every_staff_member(channel, fake) -> None:
    jobid = channel.add_moment_task(MomentTask(text="全员发"))
    fake.corp.moments["job_reads"] = 0
    done = channel.get_moment_task_result(jobid)
    sent = next(body for path, body in fake.corp.calls if path == f"{EC}/add_moment_task")
    assert sent["visible_range"] == {} and "attachments" not in sent
    assert done.result is not None
    assert sorted(s.userid for s in channel.get_moment_task(done.result.moment_id).task_list) == ["lisi", "zhangsan"]


@pytest.mark.parametrize("task, reason", [
    (dict(text=""), "text or an attachment"),
    (dict(text="x" * 2001), "2000 characters"),
    (dict(attachments=[IMAGE] * 10), "9 images"),
    (dict(attachments=[IMAGE, {"msgtype": "link", "link": {"title": "t", "url": "https://x.cn"}}]), "9 images"),
    (dict(attachments=[{"msgtype": "miniprogram", "miniprogram": {}}]), "images, a video or a link"),
])
def test_what_wecom_would_refuse_is_refused_before_a_call(channel, fake, task, reason) -> None:
    with pytest.raises((InvalidInput, ValueError)) as caught:
        channel.add_moment_task(MomentTask(**task))
    assert reason in str(caught.value)
    assert fake.corp.count(f"{EC}/add_moment_task") == 0


def test_an_unknown_job_or_moment_is_wecoms_error(channel) -> None:
    with pytest.raises(InvalidInput):
        channel.get_moment_task("mom-none", limit=0)
    with pytest.raises(WeComError):
        channel.get_moment_task_result("no-such-job")
    with pytest.raises(WeComError):
        channel.get_moment_task("no-such-moment")


def test_the_fake_answers_the_result_by_get_and_by_post(fake) -> None:
    token = httpx.get(f"{fake.url}/cgi-bin/gettoken", params={"corpid": fake.corp.corp_id, "corpsecret": fake.corp.secret}).json()
    params = {"access_token": token["access_token"]}
    jobid = httpx.post(f"{fake.url}{EC}/add_moment_task", params=params, json={"text": {"content": "hi"}}).json()["jobid"]
    by_get = httpx.get(f"{fake.url}{EC}/get_moment_task_result", params={**params, "jobid": jobid}).json()
    by_post = httpx.post(f"{fake.url}{EC}/get_moment_task_result", params=params, json={"jobid": jobid}).json()
    assert (by_get["errcode"], by_get["status"]) == (0, 2)
    assert by_post["errcode"] == 0 and by_post["status"] == 3 and by_post["result"]["moment_id"]
