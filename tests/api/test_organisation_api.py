from siyu.domain.access import Role
from tests.api.conftest import api_tenant


def test_regions_stores_and_staff_round_trip(context, client):
    brand = api_tenant(context)
    h = brand.headers
    region = client.post("/api/v1/regions", json={"name": "华东"}, headers=h)
    assert region.status_code == 201
    store = client.post(
        "/api/v1/stores", json={"name": "上海南京西路店", "code": "SH001", "region_id": region.json()["id"], "city": "上海"}, headers=h
    )
    assert store.status_code == 201, store.text
    store_id = store.json()["id"]
    member = client.post(
        "/api/v1/staff",
        json={"wecom_userid": "zhangsan", "name": "张三", "mobile": "+86 138 0013 8000", "store_id": store_id, "role": "guide"},
        headers=h,
    )
    assert member.status_code == 201, member.text
    assert member.json()["mobile"] == "13800138000"
    assert member.json()["status"] == "active"

    updated = client.put(f"/api/v1/stores/{store_id}", json={"name": "上海南京西路旗舰店", "code": "SH001", "is_open": False}, headers=h)
    assert updated.json()["name"] == "上海南京西路旗舰店" and updated.json()["is_open"] is False

    resigned = client.post(f"/api/v1/staff/{member.json()['id']}/resign", headers=h)
    assert resigned.json()["status"] == "resigned"
    listed = client.get("/api/v1/staff", params={"status": "resigned"}, headers=h).json()
    assert [m["wecom_userid"] for m in listed["items"]] == ["zhangsan"]


def test_lists_are_paged(context, client):
    brand = api_tenant(context)
    for i in range(5):
        client.post("/api/v1/regions", json={"name": f"区域{i}"}, headers=brand.headers)
    page = client.get("/api/v1/regions", params={"page": 2, "page_size": 2}, headers=brand.headers).json()
    assert (page["total"], page["pages"], page["page"], [r["name"] for r in page["items"]]) == (5, 3, 2, ["区域2", "区域3"])
    too_big = client.get("/api/v1/regions", params={"page_size": 1000}, headers=brand.headers)
    assert too_big.status_code == 422


def test_bad_input_names_the_field_and_saves_nothing(context, client):
    brand = api_tenant(context)
    store = client.post("/api/v1/stores", json={"name": "店"}, headers=brand.headers).json()
    bad = client.post(
        "/api/v1/staff",
        json={"wecom_userid": "lisi", "name": "李四", "mobile": "12345", "store_id": store["id"], "role": "guide"},
        headers=brand.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "mobile"
    assert client.get("/api/v1/staff", headers=brand.headers).json()["total"] == 0


def test_duplicates_are_conflicts(context, client):
    brand = api_tenant(context)
    assert client.post("/api/v1/regions", json={"name": "华南"}, headers=brand.headers).status_code == 201
    clash = client.post("/api/v1/regions", json={"name": "华南"}, headers=brand.headers)
    assert clash.status_code == 409
    assert clash.json()["error"] == {"code": "region.name_taken", "kind": "conflict", "message": "a region named “华南” already exists",
                                     "params": {"name": "华南"}, "field": "name"}


def test_operator_tokens_may_not_manage_stores(context, client):
    operator = api_tenant(context, role=Role.OPERATOR)
    refused = client.post("/api/v1/stores", json={"name": "店"}, headers=operator.headers)
    assert refused.status_code == 403
    assert client.get("/api/v1/stores", headers=operator.headers).status_code == 200


def test_requests_without_a_valid_token_are_unauthenticated(context, client):
    assert client.get("/api/v1/stores").status_code == 401
    bad = client.get("/api/v1/stores", headers={"Authorization": "Bearer syt_nope"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == "Bearer"


def test_tokens_show_their_secret_once_and_stop_working_when_revoked(context, client):
    brand = api_tenant(context)
    made = client.post("/api/v1/tokens", json={"name": "erp"}, headers=brand.headers)
    assert made.status_code == 201
    secret = made.json()["secret"]
    assert "secret" not in client.get("/api/v1/tokens", headers=brand.headers).json()["items"][0]
    new_headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=new_headers).json()["role"] == "operator"
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}", headers=brand.headers).status_code == 204
    assert client.get("/api/v1/me", headers=new_headers).status_code == 401


def test_me_lists_the_permissions_of_the_role(context, client):
    brand = api_tenant(context)
    me = client.get("/api/v1/me", headers=brand.headers).json()
    assert me["role"] == "admin" and "tokens.manage" in me["permissions"]
