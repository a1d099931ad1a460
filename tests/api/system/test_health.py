from __future__ import annotations

from starlette.testclient import TestClient


def test_health_and_ready(http: TestClient) -> None:
    assert http.get("/health").json() == {"status": "ok"}
    ready = http.get("/health/ready").json()
    assert ready["status"] == "ready" and ready["models"] > 0 and ready["running_sequences"] == 0
