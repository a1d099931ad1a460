from __future__ import annotations

from collections.abc import Callable

import httpx2
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import ENCODINGS


def test_health_is_200_once_the_lifespan_has_loaded_every_vocabulary(http: TestClient) -> None:
    assert http.get("/health").json() == {"status": "ok"}
    state = http.app.state.fakeai  # type: ignore[attr-defined]
    assert set(state.tokenizers.loaded) == set(ENCODINGS)


def test_ready_reports_details_and_no_late_loads(http: TestClient) -> None:
    response = http.get("/health/ready")
    assert response.status_code == 200
    ready = response.json()
    assert ready["status"] == "ready" and ready["models"] > 0 and ready["running_sequences"] == 0
    assert ready["tokenizers"] == {"loaded": len(ENCODINGS), "loads_after_ready": 0}


async def test_an_app_whose_lifespan_did_not_run_says_so(make_app: Callable[..., Starlette]) -> None:
    """An embedding that skips the lifespan still serves, but its first requests build vocabularies."""
    transport = httpx2.ASGITransport(app=make_app())
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        health = await client.get("/health")
        assert (health.status_code, health.json()) == (503, {"status": "loading"})
        assert (await client.get("/health/ready")).json()["status"] == "loading"
        assert (await client.get("/v1/models")).status_code == 200
