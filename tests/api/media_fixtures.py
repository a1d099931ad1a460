"""One app per test module for the media families: their vocabularies (for usage and segment tokens) load
once per module instead of once per test. Import the fixtures into a conftest."""

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
    """A raw client on the module's app; spec-valid bodies are asserted on every response."""
    with TestClient(create_app(Settings(**FAST)), raise_server_exceptions=False) as client:
        client.event_hooks["response"] = [response_hook(load_spec())]
        yield client


@pytest.fixture(scope="module")
def shared(shared_http: TestClient) -> OpenAI:
    """The official SDK, strict, on the module's app."""
    return sdk(shared_http)
