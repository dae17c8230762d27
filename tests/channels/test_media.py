"""Media uploads over the channel (media/upload, media/upload_attachment): multipart over real
HTTP against the fake WeCom and in-process in the sandbox; limits checked before upload; sends
must name media the corp issued, by the right upload, under 3 days old."""

from __future__ import annotations

import httpx
import pytest

from siyu.adapters.channels.media import HttpMediaSource, MediaFile
from siyu.adapters.channels.moments import MomentTask
from siyu.adapters.channels.models import WelcomeMessage
from siyu.adapters.channels.sandbox.media import _MP4, _PNG
from siyu.adapters.channels.wecom import errors as e
from siyu.domain.errors import InvalidInput
from siyu.domain.media import MB, MediaKind
from siyu.testing.fake_wecom import host_file

PNG = _PNG + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _png(name: str = "海报.png") -> MediaFile:
    return MediaFile(filename=name, content_type="image/png", data=PNG)


def test_an_image_uploads_as_multipart_and_comes_back_as_a_media_id(fake, channel):
    uploaded = channel.upload_media(MediaKind.IMAGE, _png())
    assert uploaded.type == "image" and uploaded.media_id and uploaded.created_at > 0
    stored = fake.corp.media[uploaded.media_id]
    assert (stored["purpose"], stored["size"], stored["filename"]) == ("message", len(PNG), "海报.png")
    path, logged = next(c for c in fake.corp.calls if c[0] == "/cgi-bin/media/upload")
    assert logged["type"] == "image" and logged["media"]["size"] == len(PNG) and "data" not in logged["media"]


def test_a_moments_attachment_uploads_with_its_media_and_attachment_type(fake, channel):
    uploaded = channel.upload_attachment(MediaKind.VIDEO, MediaFile(filename="a.mp4", content_type="video/mp4", data=_MP4))
    assert fake.corp.media[uploaded.media_id]["purpose"] == "moment"
    _, logged = next(c for c in fake.corp.calls if c[0] == "/cgi-bin/media/upload_attachment")
    assert (logged["media_type"], logged["attachment_type"]) == ("video", "1")


@pytest.mark.parametrize(("kind", "data", "code"), [
    (MediaKind.IMAGE, b"GIF89a" + b"\x00" * 20, "media.bad_format"),
    (MediaKind.VIDEO, PNG, "media.bad_format"),
    (MediaKind.IMAGE, JPG + b"\x00" * (10 * MB), "media.too_large"),
    (MediaKind.FILE, b"abc", "media.too_small"),
])
def test_size_and_format_are_checked_before_any_upload(fake, channel, kind, data, code):
    with pytest.raises(InvalidInput) as raised:
        channel.upload_media(kind, MediaFile(filename="x", data=data))
    assert raised.value.code == code
    assert fake.corp.count("/cgi-bin/media/upload") == 0


def test_a_file_may_be_anything_up_to_twenty_megabytes(fake, channel):
    assert channel.upload_media(MediaKind.FILE, MediaFile(filename="价目表.pdf", data=b"%PDF-1.4 " * 100)).media_id
    with pytest.raises(InvalidInput) as raised:
        channel.upload_attachment(MediaKind.FILE, MediaFile(filename="价目表.pdf", data=b"%PDF-1.4 " * 100))
    assert raised.value.code == "media.kind_not_allowed"  # moments take images and a video only


def test_uploads_retry_through_wecom_limits_and_refresh_an_expired_token(fake, channel):
    channel.upload_media(MediaKind.IMAGE, _png())
    fake.corp.faults.frequency_limit(2)
    fake.corp.expire_tokens()
    assert channel.upload_media(MediaKind.IMAGE, _png()).media_id
    assert fake.corp.count("/cgi-bin/media/upload") == 5  # one, then 45009 twice, then 42001, then the refreshed call


def test_a_send_must_name_media_the_corp_issued_by_the_right_upload_and_not_expired(fake, channel):
    fake.corp.add_contact("wm001", follows={"zhangsan": {}})
    message_id = channel.upload_media(MediaKind.IMAGE, _png()).media_id
    moment_id = channel.upload_attachment(MediaKind.IMAGE, _png()).media_id
    image = {"msgtype": "image", "image": {"media_id": message_id}}
    assert channel.add_msg_template("zhangsan", ["wm001"], attachments=[image]).msgid
    with pytest.raises(e.WeComInvalidMediaId):  # a moments id on a message
        channel.add_msg_template("zhangsan", ["wm001"], attachments=[{"msgtype": "image", "image": {"media_id": moment_id}}])
    with pytest.raises(e.WeComInvalidMediaId):  # a message id on a moment
        channel.add_moment_task(MomentTask(attachments=[{"msgtype": "image", "image": {"media_id": message_id}}],
                                           sender_userids=["zhangsan"]))
    assert channel.add_moment_task(MomentTask(attachments=[{"msgtype": "image", "image": {"media_id": moment_id}}],
                                              sender_userids=["zhangsan"]))
    fake.corp.media[message_id]["created_at"] -= 3 * 86400  # three days on
    with pytest.raises(e.WeComInvalidMediaId) as raised:
        channel.add_msg_template("zhangsan", ["wm001"], attachments=[image])
    assert raised.value.errcode == 40007 and raised.value.code == "wecom.invalid_media_id"


def test_a_welcome_mini_program_needs_a_cover_media_id(fake, channel):
    code = fake.corp.issue_welcome_code("zhangsan", "wm001")
    mini = {"msgtype": "miniprogram", "miniprogram": {"title": "商城", "pic_media_id": "https://x.cn/c.png", "appid": "wx1",
                                                      "page": "pages/index"}}
    with pytest.raises(e.WeComInvalidMediaId):
        channel.send_welcome_message(code, WelcomeMessage(attachments=[mini]))
    cover = channel.upload_media(MediaKind.IMAGE, _png()).media_id
    mini["miniprogram"]["pic_media_id"] = cover
    channel.send_welcome_message(code, WelcomeMessage(attachments=[mini]))
    assert fake.corp.welcome_codes[code]["sent"]["attachments"] == [mini]


def test_the_brand_files_are_fetched_streamed_and_cut_off_at_the_limit(fake, channel):
    path = host_file(fake.corp, "poster.png", PNG, "image/png")
    got = channel.fetch_media(fake.url + path, max_bytes=MB)
    assert (got.filename, got.content_type, got.data) == ("poster.png", "image/png", PNG)
    with pytest.raises(InvalidInput) as raised:
        channel.fetch_media(fake.url + path, max_bytes=10)
    assert raised.value.code == "media.too_large_to_fetch"
    with pytest.raises(e.ChannelError) as missing:
        channel.fetch_media(fake.url + "/files/none.png", max_bytes=MB)
    assert missing.value.code == "media.fetch_failed" and missing.value.retryable


def test_outside_dev_a_material_cannot_make_the_server_fetch_from_its_own_network(fake):
    path = host_file(fake.corp, "poster.png", PNG, "image/png")
    with httpx.Client() as http:
        guarded = HttpMediaSource(http, allow_private=False)
        for url in (fake.url + path, "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/a.png"):
            with pytest.raises(InvalidInput) as refused:
                guarded.fetch(url, max_bytes=MB)
            assert refused.value.code == "media.private_address"
        assert HttpMediaSource(http).fetch(fake.url + path, max_bytes=MB).data == PNG  # dev and tests: loopback allowed


def test_prod_settings_guard_the_fetch_and_other_envs_do_not(tmp_path):
    from siyu import bootstrap
    from siyu.config import Settings
    from siyu.domain.wecom import WeComSecrets

    secrets = WeComSecrets("wwx", None, "http://127.0.0.1:9", "s", None, None)
    for env, expected in (("test", True), ("prod", False)):
        settings = Settings(env=env, secret_key="k" * 40, data_dir=tmp_path, queue_url="memory://", password_hashing="fast"
                            if env != "prod" else "standard")
        context = bootstrap.build(settings)
        try:
            assert context.wecom_channel(secrets).media_source.allow_private is expected  # type: ignore[attr-defined]
        finally:
            context.close()
