"""WeComChannel over real HTTP against the fake WeCom: tokens, retries, and every fault switch."""

from __future__ import annotations

import httpx
import pytest

from siyu.adapters.channels.models import ContactWayDraft
from siyu.adapters.channels.wecom import TokenCache
from siyu.adapters.channels.wecom import errors as e
from siyu.adapters.error_texts import error_text
from siyu.domain.errors import ChannelError, DomainError
from tests.channels.conftest import FAST, SLOW_FAKE_TIMEOUT

LIST = "/cgi-bin/externalcontact/get_follow_user_list"
TOKEN = "/cgi-bin/gettoken"


def test_the_token_is_fetched_once_and_reused(fake, channel):
    assert channel.follow_users() == ["zhangsan", "lisi"]
    channel.follow_users()
    assert fake.corp.count(TOKEN) == 1
    assert fake.corp.count(LIST) == 2


def test_the_token_cache_is_shared_per_corp_and_secret(fake, connect):
    cache = TokenCache()
    first, second = connect(tokens=cache), connect(tokens=cache)
    first.follow_users()
    second.follow_users()
    assert fake.corp.count(TOKEN) == 1


def test_an_expired_token_is_refreshed_and_the_call_retried_once(fake, channel):
    channel.follow_users()
    fake.corp.expire_tokens()
    assert channel.follow_users() == ["zhangsan", "lisi"]
    assert fake.corp.count(TOKEN) == 2
    assert fake.corp.count(LIST) == 3  # the first, the refused one, its retry


def test_an_invalid_token_is_refreshed_and_the_call_retried_once(fake, channel):
    channel.follow_users()
    fake.corp.invalidate_tokens()
    assert channel.follow_users() == ["zhangsan", "lisi"]
    assert fake.corp.count(TOKEN) == 2


def test_a_token_refused_again_after_the_refresh_is_an_error_not_a_loop(fake, channel):
    fake.corp.token_ttl = 0  # every token WeCom hands out is already expired
    with pytest.raises(e.WeComTokenExpired) as raised:
        channel.follow_users()
    assert fake.corp.count(LIST) == 2
    assert "secret" in raised.value.message


def test_a_missing_token_is_errcode_41001_and_maps_to_a_refresh(fake):
    answer = httpx.get(fake.url + LIST).json()
    assert answer["errcode"] == 41001
    assert isinstance(e.error_for(41001, api=LIST), e.WeComTokenMissing)
    assert 41001 in e.TOKEN_ERRCODES and 40014 in e.TOKEN_ERRCODES and 42001 in e.TOKEN_ERRCODES


@pytest.mark.parametrize(("switch", "error"), [("busy", e.WeComBusy), ("frequency_limit", e.WeComFrequencyLimited),
                                               ("concurrency_limit", e.WeComConcurrencyLimited)])
def test_busy_and_limit_answers_are_retried_with_backoff(fake, channel, switch, error):
    getattr(fake.corp.faults, switch)(times=2)
    assert channel.follow_users() == ["zhangsan", "lisi"]
    assert fake.corp.count(LIST) == 3
    getattr(fake.corp.faults, switch)(times=10)
    with pytest.raises(error) as raised:
        channel.follow_users()
    assert raised.value.retryable
    assert fake.corp.count(LIST) == 3 + FAST.attempts  # three retries at most, then the error


def test_the_per_minute_limit_answers_45009(fake, channel):
    fake.corp.rate_limit_per_minute = 2
    channel.follow_users()
    channel.follow_users()
    with pytest.raises(e.WeComFrequencyLimited):
        channel.follow_users()


def test_server_errors_are_retried_then_reported(fake, channel):
    fake.corp.faults.server_errors(times=2, status=503)
    assert channel.follow_users() == ["zhangsan", "lisi"]
    fake.corp.faults.server_errors(times=10)
    with pytest.raises(e.WeComUnavailable):
        channel.follow_users()


def test_a_slow_answer_times_out_and_a_safe_call_is_retried(fake, connect_http):
    channel = connect_http(retry=SLOW_FAKE_TIMEOUT)
    channel.follow_users()  # token fetched before the fault
    fake.corp.faults.slow(1.0, times=1)
    assert channel.follow_users() == ["zhangsan", "lisi"]
    fake.corp.faults.slow(1.0, times=5)
    with pytest.raises(e.WeComTimeout):
        channel.follow_users()


def test_a_timed_out_create_is_not_repeated(fake, connect_http):
    channel = connect_http(retry=SLOW_FAKE_TIMEOUT)
    channel.follow_users()
    fake.corp.faults.slow(1.0, times=1)
    with pytest.raises(ChannelError) as raised:
        channel.add_contact_way(ContactWayDraft(type=1, user=["zhangsan"], state="ch1"))
    assert not raised.value.retryable
    assert "not safe to repeat" in raised.value.message
    assert fake.corp.count("/cgi-bin/externalcontact/add_contact_way") == 1


def test_a_wrong_corp_id_or_secret_is_a_config_error_and_not_retried(fake, connect):
    with pytest.raises(e.WeComInvalidCorpId) as bad_corp:
        connect(corp_id="wwnotmycorp00000").follow_users()
    with pytest.raises(e.WeComInvalidSecret) as bad_secret:
        connect(secret="not-the-secret-at-all").follow_users()
    assert fake.corp.count(TOKEN) == 2
    assert "企业ID" in _zh(bad_corp.value) and "My Company" in bad_corp.value.message
    assert "客户联系 Secret" in _zh(bad_secret.value)


def test_a_missing_api_permission_and_an_untrusted_ip_say_what_to_fix(fake, channel, connect):
    fake.corp.faults.deny(LIST)
    with pytest.raises(e.WeComNoApiPermission) as denied:
        channel.follow_users()
    assert denied.value.errcode == 48002 and "permission" in denied.value.message
    fake.corp.faults.untrusted_ip = True
    with pytest.raises(e.WeComIpNotTrusted) as untrusted:
        connect().follow_users()
    assert "可信" in _zh(untrusted.value)


def _zh(error: DomainError) -> str:
    """What the console shows a Chinese-speaking admin: the catalog's text for the error's code."""
    return error_text("zh_CN", error.code, error.params, "")


# Every errcode in shared/reference/wecom.md, and the class it must become.
REFERENCE = {
    40014: e.WeComTokenInvalid, 42001: e.WeComTokenExpired, 41001: e.WeComTokenMissing,
    45009: e.WeComFrequencyLimited, 45033: e.WeComConcurrencyLimited, -1: e.WeComBusy,
    48002: e.WeComNoApiPermission, 60011: e.WeComNoUserPermission, 40096: e.WeComInvalidExternalUserId,
    40099: e.WeComCustomerLimit, 41048: e.WeComNoCustomerToSend, 41049: e.WeComMissingWelcomeCode,
    41050: e.WeComWelcomeCodeExpired, 41051: e.WeComWelcomeCodeUsed, 41063: e.WeComMassSendDispatching,
    41064: e.WeComAttachmentTooLarge, 41065: e.WeComBadAttachmentType, 84061: e.WeComNoRelationship,
    84074: e.WeComNoContactPermission, 81017: e.WeComTooManyOwners, 40097: e.WeComMemberNotResigned,
    40100: e.WeComAlreadyTransferring, 40128: e.WeComTransferTooFrequent, 40129: e.WeComBeingTransferred,
    40130: e.WeComSameMember, 40131: e.WeComNotAFollower, 40013: e.WeComInvalidCorpId, 40001: e.WeComInvalidSecret,
    60020: e.WeComIpNotTrusted,
}


@pytest.mark.parametrize(("errcode", "cls"), sorted(REFERENCE.items()))
def test_every_reference_errcode_has_its_own_exception_with_both_languages(errcode, cls):
    error = e.error_for(errcode, api="/cgi-bin/x", errmsg="whatever")
    assert type(error) is cls
    assert error.errcode == errcode and f"errcode {errcode}" in error.message
    assert error.code != e.WeComError.code or issubclass(cls, e.WeComTokenError)
    assert error.template in error.message and error.params["errcode"] == errcode and error.params["api"] == "/cgi-bin/x"
    zh = _zh(error)
    assert zh != error.template and zh != _zh(e.WeComError()) or issubclass(cls, e.WeComTokenError)
    assert error.retryable == (errcode in (-1, 45009, 45033))


def test_an_unknown_errcode_keeps_the_code_and_wecoms_words():
    error = e.error_for(99999, api="/cgi-bin/x", errmsg="something new")
    assert type(error) is e.WeComError and error.errcode == 99999 and "something new" in error.message
    assert (error.code, error.params["reason"]) == ("wecom.refused_with_message", "something new")
    assert _zh(error) == "企业微信拒绝了该请求：something new"


def test_the_secret_never_reaches_a_log_or_a_repr(fake, capsys, connect):
    channel = connect(secret="not-the-secret-at-all")
    with pytest.raises(e.WeComInvalidSecret):
        channel.follow_users()
    fake.corp.faults.busy(times=1)
    connect().follow_users()
    captured = capsys.readouterr()
    for secret in ("not-the-secret-at-all", fake.corp.secret):
        assert secret not in captured.out + captured.err
        assert secret not in repr(channel.client.connection)


def test_faults_can_hit_the_token_fetch_too_and_it_is_retried(fake, channel):
    fake.corp.faults.spare_gettoken = False
    fake.corp.faults.busy(times=1)  # the first call of all is gettoken: it answers -1
    assert channel.follow_users() == ["zhangsan", "lisi"]
    assert fake.corp.count(TOKEN) == 2 and fake.corp.count(LIST) == 1
    fake.corp.faults.server_errors(times=1)
    fake.corp.expire_tokens()
    assert channel.follow_users() == ["zhangsan", "lisi"]  # 502 on the call, then 42001, refresh, retry
