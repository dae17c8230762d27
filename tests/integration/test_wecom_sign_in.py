"""WeCom sign-in's services on each database: the state is spent once (a unique key), the code
is exchanged through the Channel port (the fake WeCom over HTTP), and the session is the guide's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from siyu.adapters.db.repositories.users import UserRepository
from siyu.domain.access import Role
from siyu.domain.wecom import WeComSettingsDraft
from siyu.domain.wecom_sign_in import STATE_SECONDS, SignInRefused
from siyu.services import housekeeping, wecom_settings
from siyu.services.auth import actor_for_session
from siyu.services.clock import utcnow
from siyu.services.wecom_sign_in import finish_sign_in, start_sign_in
from siyu.testing.fake_wecom import FakeWeCom
from tests import factories as f
from tests.api.wecom_setup import QUICK
from tests.integration.test_journey_workers import own_db  # noqa: F401 - the fixture

APP_SECRET = "guide-app-secret-000000000002"


@pytest.fixture
def fake() -> Iterator[FakeWeCom]:
    with FakeWeCom("wwsignindb000001", "fake-contact-secret-0002") as running:
        running.corp.app_secret, running.corp.agent_id = APP_SECRET, 1000002
        yield running


def _link(context, fake):  # type: ignore[no-untyped-def]
    context.wecom_retry = QUICK
    tenant, admin = f.tenant(context)
    wecom_settings.save_wecom_settings(context.uow(), context.secret_box, admin, WeComSettingsDraft.parse(
        corp_id=fake.corp.corp_id, agent_id=1000002, api_base_url=fake.url, contact_secret=fake.corp.secret, app_secret=APP_SECRET))
    return tenant, admin


@pytest.fixture
def linked(context, fake):  # type: ignore[no-untyped-def]
    return _link(context, fake)


def _code_and_state(context, fake, slug: str, userid: str, now=None):  # type: ignore[no-untyped-def]
    start = start_sign_in(context.uow(), context.secret_box, context.settings, slug, now=now)
    fake.corp.add_user(userid)
    fake.corp.oauth_member = userid
    back = parse_qs(urlsplit(httpx.get(start.authorize_url, follow_redirects=False).headers["location"]).query)
    return back["code"][0], back["state"][0], start.nonce


def _finish(context, slug: str, code: str, state: str, nonce: str, now=None):  # type: ignore[no-untyped-def]
    return finish_sign_in(context.uow(), context.secret_box, context.wecom_app_channel, context.settings, slug, code=code,
                          state=state, browser_nonce=nonce, now=now)


def test_a_guide_signs_in_once_per_state_and_keeps_one_account(context, fake, linked):  # type: ignore[no-untyped-def]
    tenant, admin = linked
    store = f.store(context, admin)
    guide = f.member(context, admin, store_id=store.id)
    code, state, nonce = _code_and_state(context, fake, tenant.slug, guide.wecom_userid)
    signed = _finish(context, tenant.slug, code, state, nonce)
    actor, user = actor_for_session(context.uow(), signed.session_token)
    assert (actor.tenant_id, actor.role, actor.staff_id, actor.store_id) == (tenant.id, Role.GUIDE, guide.id, store.id)

    with pytest.raises(SignInRefused) as used:
        _finish(context, tenant.slug, code, state, nonce)
    assert used.value.code == "wecom_sign_in.state_used"

    code, state, nonce = _code_and_state(context, fake, tenant.slug, guide.wecom_userid)
    again = _finish(context, tenant.slug, code, state, nonce)
    assert again.user.id == user.id and again.session_token != signed.session_token  # the same account, a new session


def test_a_state_past_its_lifetime_or_for_another_brand_is_refused(context, fake, linked):  # type: ignore[no-untyped-def]
    tenant, admin = linked
    guide = f.member(context, admin, store_id=f.store(context, admin).id)
    earlier = utcnow() - timedelta(seconds=STATE_SECONDS + 1)
    code, state, nonce = _code_and_state(context, fake, tenant.slug, guide.wecom_userid, now=earlier)
    with pytest.raises(SignInRefused) as expired:
        _finish(context, tenant.slug, code, state, nonce)
    assert expired.value.code == "wecom_sign_in.expired"

    other, other_admin = f.tenant(context)
    wecom_settings.save_wecom_settings(context.uow(), context.secret_box, other_admin, WeComSettingsDraft.parse(
        corp_id=fake.corp.corp_id, agent_id=1000002, api_base_url=fake.url, contact_secret=fake.corp.secret, app_secret=APP_SECRET))
    code, state, nonce = _code_and_state(context, fake, tenant.slug, guide.wecom_userid)
    with pytest.raises(SignInRefused) as foreign:
        _finish(context, other.slug, code, state, nonce)
    assert foreign.value.code == "wecom_sign_in.bad_state"
    assert fake.corp.count("/cgi-bin/auth/getuserinfo") == 0


def test_unknown_staff_is_refused_after_the_code_is_spent(context, fake, linked):  # type: ignore[no-untyped-def]
    tenant, _ = linked
    code, state, nonce = _code_and_state(context, fake, tenant.slug, "stranger01")
    with pytest.raises(SignInRefused) as unknown:
        _finish(context, tenant.slug, code, state, nonce)
    assert (unknown.value.code, unknown.value.params) == ("wecom_sign_in.unknown_staff", {"userid": "stranger01"})


def test_used_states_are_kept_until_no_state_can_match_them(context, linked):  # type: ignore[no-untyped-def]
    tenant, _ = linked
    now = utcnow()
    with context.uow() as uow:
        assert uow.wecom.use_sign_in_state(tenant.id, "n" * 24, now - timedelta(seconds=3 * STATE_SECONDS))
        assert not uow.wecom.use_sign_in_state(tenant.id, "n" * 24, now)
        assert uow.wecom.use_sign_in_state(tenant.id, "m" * 24, now)
        uow.commit()
    housekeeping.purge_expired_sessions(context.uow())
    with context.uow() as uow:
        assert uow.wecom.use_sign_in_state(tenant.id, "n" * 24, now)  # forgotten: its state expired long ago
        assert not uow.wecom.use_sign_in_state(tenant.id, "m" * 24, now)


def test_two_first_sign_ins_of_one_guide_at_once_share_one_new_account(own_db, fake, monkeypatch):  # type: ignore[no-untyped-def]
    """Both sign-ins look for the guide's account before either has made it (a barrier after the
    look-up, which gives up after a few seconds: on SQLite the second waits for the first's write
    lock instead). The second to add it finds the login taken and signs in to the first's."""
    context = own_db  # a database of its own: each sign-in on its own connection, as two requests are
    tenant, admin = _link(context, fake)
    guide = f.member(context, admin, store_id=f.store(context, admin).id)
    starts = [_code_and_state(context, fake, tenant.slug, guide.wecom_userid) for _ in range(2)]
    looked = threading.Barrier(2, timeout=3)
    real_ids = UserRepository.ids_for_staff

    def look_together(self, tenant_id, staff_id):  # type: ignore[no-untyped-def]
        found = real_ids(self, tenant_id, staff_id)
        try:
            looked.wait()
        except threading.BrokenBarrierError:
            pass  # the other sign-in waits for this one's lock (SQLite), or has finished
        return found

    monkeypatch.setattr(UserRepository, "ids_for_staff", look_together)
    signed, errors = [], []

    def sign_in(code: str, state: str, nonce: str) -> None:
        try:
            signed.append(_finish(context, tenant.slug, code, state, nonce))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            looked.abort()

    threads = [threading.Thread(target=sign_in, args=start) for start in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(signed) == 2, errors
    assert signed[0].user.id == signed[1].user.id and signed[0].session_token != signed[1].session_token
    with context.uow() as uow:
        assert len(real_ids(uow.users, tenant.id, guide.id)) == 1
    for one in signed:
        actor, _ = actor_for_session(context.uow(), one.session_token)
        assert (actor.role, actor.staff_id) == (Role.GUIDE, guide.id)
