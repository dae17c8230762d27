"""Walk every API route as another tenant: nothing of tenant A is visible or changeable.

A new route with a path parameter this test does not know, or a body it cannot fill, fails
the test until it is registered here, so no route can forget tenancy unnoticed.
"""

from __future__ import annotations

import re

from siyu.domain.access import Role
from siyu.services import tokens
from tests import factories as f
from tests.api.conftest import api_tenant

BODIES = {
    "RegionCreate": {"name": "越权区域"},
    "RegionUpdate": {"name": "越权区域"},
    "StoreCreate": {"name": "越权门店"},
    "StoreUpdate": {"name": "越权门店"},
    "StaffCreate": {"wecom_userid": "intruder", "name": "越权", "role": "admin"},
    "StaffUpdate": {"wecom_userid": "intruder", "name": "越权", "role": "admin"},
    "TokenCreate": {"name": "intruder"},
    "UserCreate": {"login": "intruder@x.cn", "name": "越权", "password": "intruder-pass-1", "role": "operator"},
}


def _api_routes(app):
    """(method, path template, request body schema name) of every route in the OpenAPI document."""
    for template, operations in app.openapi()["paths"].items():
        assert template.startswith("/api/"), template
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body = schema["$ref"].rsplit("/", 1)[-1] if "$ref" in schema else None
            yield method.upper(), template, body


def _tenant_a(context):
    a = api_tenant(context)
    region = f.region(context, a.actor)
    store = f.store(context, a.actor, region_id=region.id)
    member = f.member(context, a.actor, store_id=store.id)
    token = tokens.create_api_token(context.uow(), a.actor, name=f"secret-{f.uid()}").token
    ids = {"region_id": region.id, "store_id": store.id, "staff_id": member.id, "token_id": token.id}
    markers = [region.name, store.name, member.wecom_userid, token.name]
    return a, ids, markers


def test_every_route_hides_another_tenants_objects(context, client):
    a, ids, markers = _tenant_a(context)
    b = api_tenant(context)
    f.store(context, b.actor)
    before = {path: client.get(path, headers=a.headers).json() for path in ("/api/v1/regions", "/api/v1/stores", "/api/v1/staff", "/api/v1/tokens")}

    checked = 0
    for method, template, body_name in _api_routes(client.app):
        params = re.findall(r"{(\w+)}", template)
        missing = [p for p in params if p not in ids]
        assert not missing, f"{method} {template}: teach this test the path parameter(s) {missing}"
        path = template.format(**{p: ids[p] for p in params})
        body = None
        if body_name is not None:
            assert body_name in BODIES, f"{method} {template}: teach this test a valid {body_name} body"
            body = BODIES[body_name]
        response = client.request(method, path, json=body, headers=b.headers)
        if params:
            assert response.status_code in (403, 404), f"{method} {path} as tenant B -> {response.status_code}"
        else:
            for marker in markers:
                assert marker not in response.text, f"{method} {template} leaked {marker!r} to tenant B"
        checked += 1
    assert checked >= 15

    after = {path: client.get(path, headers=a.headers).json() for path in before}
    assert after == before, "tenant B's requests changed tenant A's data"


def test_every_api_route_refuses_anonymous_callers(context, client):
    _, ids, _ = _tenant_a(context)
    for method, template, body_name in _api_routes(client.app):
        path = template.format(**ids) if "{" in template else template
        response = client.request(method, path, json=BODIES.get(body_name or ""))
        assert response.status_code == 401, f"{method} {path} -> {response.status_code}"


def test_a_revoked_token_of_the_right_tenant_is_refused_everywhere(context, client):
    a, ids, _ = _tenant_a(context)
    issued = tokens.create_api_token(context.uow(), a.actor, name="gone", role=Role.ADMIN)
    tokens.revoke_api_token(context.uow(), a.actor, issued.token.id)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    for method, template, body_name in _api_routes(client.app):
        path = template.format(**ids) if "{" in template else template
        assert client.request(method, path, json=BODIES.get(body_name or ""), headers=headers).status_code == 401
