from __future__ import annotations

import time

from starlette.testclient import TestClient


def test_liveness_answers_at_once(http: TestClient) -> None:
    assert http.get("/health").json() == {"status": "ok"}


def test_readiness_turns_ready_once_vocabularies_are_loaded(http: TestClient) -> None:
    deadline = time.monotonic() + 30
    while (response := http.get("/health/ready")).status_code == 503:
        assert response.json()["status"] == "loading"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    ready = response.json()
    assert response.status_code == 200
    assert ready["status"] == "ready" and ready["models"] > 0 and ready["running_sequences"] == 0
