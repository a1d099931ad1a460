"""One app for the image tests that need gpt-image-1 (its vocabulary loads once, not per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from tests.conftest import FAST, sdk
from tests.contract.spec import load_spec, response_hook


@pytest.fixture(scope="module")
def shared_http() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**FAST)), raise_server_exceptions=False) as client:
        if (spec := load_spec()) is not None:
            client.event_hooks["response"] = [response_hook(spec)]
        yield client


@pytest.fixture(scope="module")
def shared(shared_http: TestClient) -> OpenAI:
    return sdk(shared_http)
