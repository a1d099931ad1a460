"""A pytest plugin: the ``fakeai`` fixture starts an in-process FakeAI with clean, isolated state for one
test, and gives it the official SDK and the control API (docs/faults.md has recipes).

```python
import pytest

@pytest.mark.fakeai(api_key=["sk-test"], faults=[{"action": {"status": 503}, "trigger": {"first": 1}}])
def test_my_retry_loop(fakeai):
    client = fakeai.client(api_key="sk-test", max_retries=2)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert [e["status"] for e in fakeai.journal()] == [503, 200]
```

The marker's keyword arguments are ``Settings`` (instant tokens unless it sets ``ttft_ms``/``itl_ms``).
Installed with FakeAI as the ``fakeai`` pytest plugin; nothing here runs unless pytest loads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from fakeai.api.admin.latency import apply_latency
from fakeai.state import AppState

#: Instant tokens: most tests check what is said, not when.
INSTANT = {"ttft_ms": 0, "itl_ms": 0}


class FakeAI:
    """One running in-process server: ``client()`` for the SDK, and the control API as methods."""

    def __init__(self, app: Starlette, http: TestClient) -> None:
        self.app = app
        self.http = http  # an httpx client bound to the app (raw requests)
        self.state: AppState = app.state.fakeai
        self.base_url = f"{http.base_url}/v1"

    def client(self, api_key: str = "sk-fakeai", max_retries: int = 0, **options: Any) -> Any:
        """The official sync SDK against this server."""
        from openai import OpenAI

        return OpenAI(api_key=api_key, base_url=self.base_url, http_client=self.http, max_retries=max_retries,
                      **options)  # fmt: skip

    def add_fault(self, rule: Mapping[str, Any]) -> dict[str, Any]:
        return self.state.faults.add(rule).describe()

    def set_faults(self, rules: list[Mapping[str, Any]]) -> None:
        self.state.faults.set_rules(list(rules))

    def set_latency(self, **changes: Any) -> None:
        apply_latency(self.state, changes)

    def journal(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.state.journal.entries(limit)

    def reset(self, *parts: str) -> None:
        """Forget everything (see ``AppState.reset``), or only the parts named."""
        from fakeai.api.admin.routes import RESET_PARTS

        self.state.reset(parts or RESET_PARTS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fakeai(**settings): the settings of the test's fakeai fixture")


@pytest.fixture
def fakeai(request: pytest.FixtureRequest) -> Iterator[FakeAI]:
    """An in-process FakeAI for this test only (its own engine, stores, limits and journal)."""
    marker = request.node.get_closest_marker("fakeai")
    settings = Settings(**{**INSTANT, **(marker.kwargs if marker else {})})
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield FakeAI(app, http)
