"""Transport: OpenAI headers, body limits, unknown routes and methods, unexpected errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from fakeai.api.chat.service import ChatService

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}


def test_openai_headers_on_every_response(http: TestClient) -> None:
    for response in (http.get("/health"), http.post("/v1/chat/completions", json=CHAT), http.get("/nope")):
        assert response.headers["x-request-id"].startswith("req_")
        assert response.headers["openai-version"] == "2020-10-01"
        assert response.headers["openai-processing-ms"].isdigit()


def test_a_client_request_id_is_echoed(http: TestClient) -> None:
    response = http.get("/health", headers={"x-request-id": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"


def test_unknown_route_is_an_openai_404(http: TestClient) -> None:
    response = http.post("/v1/does-not-exist", json={})
    assert response.status_code == 404
    assert response.json() == {
        "error": {"message": "Invalid URL (POST /v1/does-not-exist)", "type": "invalid_request_error",
                  "param": None, "code": None}
    }  # fmt: skip


def test_wrong_method_is_an_openai_405(http: TestClient) -> None:
    response = http.get("/v1/chat/completions")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["message"] == "Invalid method for URL (GET /v1/chat/completions)"
    assert http.delete("/v1/models").status_code == 405


def test_body_over_the_limit_by_content_length_is_413(make_app: Callable) -> None:
    with TestClient(make_app(max_request_bytes=2048)) as http:
        response = http.post(
            "/v1/chat/completions", content=b"x" * 4096, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        assert http.post("/v1/chat/completions", json=CHAT).status_code == 200


def test_chunked_body_over_the_limit_is_413(make_app: Callable) -> None:
    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(10):
            yield b"x" * 1024

    with TestClient(make_app(max_request_bytes=4096)) as http:
        response = http.post("/v1/chat/completions", content=chunks())
        assert response.status_code == 413
        assert http.post("/v1/chat/completions", json=CHAT).status_code == 200


def test_default_limit_is_32_mib(http: TestClient) -> None:
    body = (
        b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "'
        + b"a" * (33 * 1024 * 1024)
        + b'"}]}'
    )
    assert http.post("/v1/chat/completions", content=body).status_code == 413


def test_an_unexpected_error_is_an_openai_500_and_the_server_survives(
    http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: ChatService, request: object, request_id: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ChatService, "create", broken)
    response = http.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert "boom" not in response.text  # internals are logged, not sent
    monkeypatch.undo()
    assert http.get("/health").status_code == 200
