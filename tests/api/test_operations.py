import json


def test_healthz(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_readyz_checks_the_database_and_reports_the_worker(client, context):
    body = client.get("/readyz").json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["worker"] == "no heartbeat yet"
    context.tasks["heartbeat"]()
    assert client.get("/readyz").json()["checks"]["worker"] == "ok"


def test_metrics_count_requests_by_route_template(client):
    client.get("/api/v1/regions/12345")
    text = client.get("/metrics").text
    assert 'siyu_http_requests_total{method="GET",route="/api/v1/regions/{region_id}",status="401"} 1.0' in text


def test_request_id_is_echoed_or_made_up_and_logged_as_json(capsys, client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made_up = client.get("/healthz").headers["X-Request-ID"]
    assert len(made_up) == 32
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert {"abc-123", made_up} <= {line["request_id"] for line in requests}
    assert all(line["path"] == "/healthz" and line["status"] == 200 for line in requests)


def test_openapi_and_offline_docs(client):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/staff/{staff_id}" in spec["paths"]
    docs = client.get("/docs").text
    assert "/docs-static/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/docs-static/swagger-ui-bundle.js").status_code == 200
