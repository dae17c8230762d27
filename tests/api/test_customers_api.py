from tests.api.conftest import api_tenant


def _create(client, h, *identities, **profile):
    body = {"identities": [{"kind": k, "value": v} for k, v in identities], **profile}
    response = client.post("/api/v1/customers", json=body, headers=h)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_attach_and_merge_through_the_api(context, client):
    h = api_tenant(context).headers
    a = _create(client, h, ("phone", "13800000001"), name="张三")
    b = _create(client, h, ("unionid", "oUNION1"), name="张三")
    assert a["created"] and b["created"]
    bridge = _create(client, h, ("phone", "+86 138 0000 0001"), ("unionid", "oUNION1"))
    assert (bridge["customer_id"], bridge["created"], bridge["merged_ids"]) == (a["customer_id"], False, [b["customer_id"]])
    assert client.get(f"/api/v1/customers/{b['customer_id']}", headers=h).status_code == 404
    listed = client.get("/api/v1/customers", headers=h).json()
    assert listed["total"] == 1
    assert {(i["kind"], i["value"]) for i in listed["items"][0]["identities"]} == {("phone", "13800000001"), ("unionid", "oUNION1")}

    merge_id = client.get("/api/v1/merges", headers=h).json()["items"][0]["id"]
    undone = client.post(f"/api/v1/merges/{merge_id}/undo", headers=h)
    assert undone.status_code == 200 and undone.json()["id"] == b["customer_id"]
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 2


def test_bad_identities_are_refused_with_the_field_named(context, client):
    h = api_tenant(context).headers
    bad = client.post("/api/v1/customers", json={"identities": [{"kind": "phone", "value": "12345"}]}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"
    assert client.post("/api/v1/customers", json={"identities": []}, headers=h).status_code == 422
    assert client.get("/api/v1/customers", headers=h).json()["total"] == 0


def test_tags_stages_fields_and_the_timeline(context, client):
    h = api_tenant(context).headers
    c = _create(client, h, ("phone", "13800000002"), name="李四")["customer_id"]
    tag = client.post("/api/v1/tags", json={"group": "兴趣", "name": "拿铁"}, headers=h).json()
    applied = client.post("/api/v1/tags/apply", json={"customer_ids": [c], "tag_ids": [tag["id"]]}, headers=h).json()
    assert applied == {"customers": 1, "changed": 1}
    stage = client.post("/api/v1/stages", json={"name": "意向"}, headers=h).json()
    assert client.put(f"/api/v1/customers/{c}/stage", json={"stage_id": stage["id"]}, headers=h).json()["stage_id"] == stage["id"]
    client.post("/api/v1/fields", json={"key": "taste", "label": "口味", "kind": "single", "options": ["美式", "拿铁"]}, headers=h)
    bad = client.put(f"/api/v1/customers/{c}/fields", json={"values": {"taste": "抹茶"}}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "taste"
    assert client.put(f"/api/v1/customers/{c}/fields", json={"values": {"taste": "拿铁"}}, headers=h).json()["fields"] == {"taste": "拿铁"}

    detail = client.get(f"/api/v1/customers/{c}", headers=h).json()
    assert detail["stage"] == "意向" and detail["tags"][0]["label"] == "兴趣/拿铁"
    kinds = [e["kind"] for e in client.get(f"/api/v1/customers/{c}/timeline", headers=h).json()["items"]]
    assert kinds == ["fields_changed", "stage_changed", "tagged", "created"]
    filtered = client.get("/api/v1/customers", params={"tag_id": tag["id"], "stage_id": stage["id"]}, headers=h).json()
    assert [row["customer"]["id"] for row in filtered["items"]] == [c]


def test_a_long_list_says_its_total_is_capped_and_still_pages(context, client, monkeypatch):
    monkeypatch.setattr("siyu.domain.paging.TOTAL_CAP", 2)
    h = api_tenant(context).headers
    made = [_create(client, h, ("phone", f"1380000010{n}"), name=f"王{n}")["customer_id"] for n in range(5)]
    first = client.get("/api/v1/customers", params={"page_size": 2}, headers=h).json()
    assert (first["total"], first["total_capped"], first["has_next"]) == (2, True, True)
    seen, page = [], 1
    while True:
        body = client.get("/api/v1/customers", params={"page_size": 2, "page": page}, headers=h).json()
        seen += [row["customer"]["id"] for row in body["items"]]
        if not body["has_next"]:
            break
        page += 1
    assert sorted(seen) == sorted(made) and page == 3
    exported = client.get("/api/v1/customers/export", headers=h)
    assert exported.status_code == 200 and exported.text.count("1380000010") == 5  # every row, whatever the cap
    schema = client.get("/openapi.json").json()["components"]["schemas"]["CustomerPage"]["properties"]
    assert "10,000" in schema["total_capped"]["description"]



def test_a_patch_changes_what_it_names_and_an_explicit_null_clears(context, client):
    h = api_tenant(context).headers
    c = _create(client, h, ("phone", "13800000077"), name="王五", gender="女", birthday="1990-05-01", region="上海",
                avatar="https://img.example.cn/a.png")["customer_id"]
    changed = client.patch(f"/api/v1/customers/{c}", json={"region": "杭州"}, headers=h)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["gender"], body["birthday"], body["region"]) == ("王五", 2, "1990-05-01", "杭州")

    cleared = client.patch(f"/api/v1/customers/{c}", json={"birthday": None, "gender": None, "avatar": None}, headers=h).json()
    assert (cleared["birthday"], cleared["gender"], cleared["avatar"], cleared["region"], cleared["name"]) == (None, 0, None, "杭州", "王五")
    stored = client.get(f"/api/v1/customers/{c}", headers=h).json()["customer"]
    assert (stored["birthday"], stored["gender"], stored["region"]) == (None, 0, "杭州")

    no_name = client.patch(f"/api/v1/customers/{c}", json={"name": None}, headers=h)
    assert no_name.status_code == 422
    assert (no_name.json()["error"]["code"], no_name.json()["error"]["field"]) == ("customer.not_clearable", "name")
    assert client.get(f"/api/v1/customers/{c}", headers=h).json()["customer"]["name"] == "王五"


def test_the_openapi_document_says_null_clears_a_profile_value(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["CustomerUpdate"]
    assert "sent as JSON `null` is cleared" in " ".join(schema["description"].split())
