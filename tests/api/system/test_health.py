from __future__ import annotations

import time
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.testclient import TestClient


def test_liveness_answers_at_once(http: TestClient) -> None:
    assert http.get("/health").json() == {"status": "ok"}


def test_ready_at_once_when_vocabularies_load_on_first_use(http: TestClient) -> None:
    response = http.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_with_preloading_ready_once_vocabularies_are_loaded(make_app: Callable[..., Starlette]) -> None:
    with TestClient(make_app(preload_tokenizers=True)) as http:
        deadline = time.monotonic() + 30
        while (response := http.get("/health/ready")).status_code == 503:
            assert response.json()["status"] == "loading"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        ready = response.json()
        assert response.status_code == 200
        assert ready["status"] == "ready" and ready["models"] > 0 and ready["running_sequences"] == 0
