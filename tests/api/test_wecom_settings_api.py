"""The WeCom settings API: admins set them, secrets are write-only and sealed at rest."""

from __future__ import annotations

from sqlalchemy import select

from siyu.adapters.db.tables import wecom_settings
from siyu.domain.access import Role
from tests.api.conftest import api_tenant

SECRET = "Zx9-contact-secret-abcdefgh1234"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
BODY = {"corp_id": "ww1436e0e65a779aee", "agent_id": 1000002, "contact_secret": SECRET,
        "callback_token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "encoding_aes_key": AES_KEY}


def test_an_admin_sets_the_settings_and_sees_only_hints(context, client):
    admin = api_tenant(context)
    assert client.get("/api/v1/wecom/settings", headers=admin.headers).status_code == 404
    saved = client.put("/api/v1/wecom/settings", json=BODY, headers=admin.headers)
    assert saved.status_code == 200, saved.text
    shown = client.get("/api/v1/wecom/settings", headers=admin.headers).json()
    assert shown["corp_id"] == "ww1436e0e65a779aee" and shown["api_base_url"] == "https://qyapi.weixin.qq.com"
    assert shown["contact_secret_hint"] == "••••••••1234" and shown["encoding_aes_key_hint"].endswith("qhUt")
    with context.uow() as uow:
        slug = uow.tenants.get(admin.actor.tenant_id).slug
    assert shown["callback_url"] == f"{context.settings.base_url}/callbacks/wecom/{slug}"
    for response in (saved, client.get("/api/v1/wecom/settings", headers=admin.headers)):
        for secret in (SECRET, AES_KEY, BODY["callback_token"]):
            assert secret not in response.text


def test_secrets_are_sealed_in_the_database(context, client):
    admin = api_tenant(context)
    client.put("/api/v1/wecom/settings", json=BODY, headers=admin.headers)
    with context.uow() as uow:
        row = uow.session.execute(select(wecom_settings).where(wecom_settings.c.tenant_id == admin.actor.tenant_id)).one()
    stored = " ".join(str(v) for v in row)
    for secret in (SECRET, AES_KEY, BODY["callback_token"]):
        assert secret not in stored


def test_an_empty_secret_keeps_the_stored_one(context, client):
    admin = api_tenant(context)
    client.put("/api/v1/wecom/settings", json=BODY, headers=admin.headers)
    changed = client.put("/api/v1/wecom/settings", json={"corp_id": "wwchanged00000001", "agent_id": 7}, headers=admin.headers).json()
    assert changed["corp_id"] == "wwchanged00000001" and changed["contact_secret_hint"] == "••••••••1234"


def test_bad_settings_get_a_clear_error_per_field(context, client):
    admin = api_tenant(context)
    for field, value, words in (("encoding_aes_key", "short", "43"), ("corp_id", "ww 14", "corp ID"),
                                ("callback_token", "有中文", "Token"), ("api_base_url", "ftp://x", "base URL")):
        response = client.put("/api/v1/wecom/settings", json={**BODY, field: value}, headers=admin.headers)
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        assert error["field"] == field and words in error["message"]


def test_only_admins_manage_wecom(context, client):
    operator = api_tenant(context, role=Role.OPERATOR)
    assert client.put("/api/v1/wecom/settings", json=BODY, headers=operator.headers).status_code == 403
    assert client.get("/api/v1/wecom/settings", headers=operator.headers).status_code == 403
    assert client.get("/api/v1/wecom/callbacks", headers=operator.headers).status_code == 403


def test_the_app_secret_is_sealed_and_shown_as_a_hint_with_the_sign_in_link(context, client):
    admin = api_tenant(context)
    app_secret = "the-app-secret-for-sign-in-9876"
    shown = client.put("/api/v1/wecom/settings", json={**BODY, "app_secret": app_secret}, headers=admin.headers).json()
    assert shown["app_secret_hint"] == "••••••••9876" and app_secret not in str(shown)
    with context.uow() as uow:
        slug = uow.tenants.get(admin.actor.tenant_id).slug
        row = uow.session.execute(select(wecom_settings).where(wecom_settings.c.tenant_id == admin.actor.tenant_id)).one()
    assert shown["sign_in_url"] == f"{context.settings.base_url}/m/wecom/{slug}/login"
    assert app_secret not in " ".join(str(v) for v in row)
    bad = client.put("/api/v1/wecom/settings", json={**BODY, "app_secret": "短"}, headers=admin.headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "app_secret"
