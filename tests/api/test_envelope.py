"""Every failure, whatever its source, arrives in the one error envelope."""

from __future__ import annotations

from fastapi.testclient import TestClient


def _assert_envelope(body: dict[str, object], code: str) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code


def test_unknown_route(client: TestClient) -> None:
    response = client.get("/api/nowhere")
    assert response.status_code == 404
    _assert_envelope(response.json(), "not_found")


def test_wrong_method(client: TestClient) -> None:
    response = client.delete("/api/health")
    assert response.status_code == 405
    _assert_envelope(response.json(), "method_not_allowed")


def test_unknown_area_in_chinese_and_english(client: TestClient) -> None:
    zh = client.get("/api/areas/310115999999", headers={"Accept-Language": "zh-CN"})
    en = client.get("/api/areas/310115999999", headers={"Accept-Language": "en"})
    _assert_envelope(zh.json(), "unknown_area")
    assert en.json()["error"]["message"] == "Unknown area 310115999999"
    assert zh.json()["error"]["message"] != en.json()["error"]["message"]
    assert "310115999999" in zh.json()["error"]["message"]


def test_bad_query_parameter(client: TestClient) -> None:
    response = client.get("/api/areas", params={"page": 0})
    assert response.status_code == 422
    _assert_envelope(response.json(), "validation_error")


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/areas" in spec["paths"]
