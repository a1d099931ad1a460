"""Shared fixtures: apps built per test, the official SDK (sync and async, strict) as the client, and every
response body of a documented endpoint validated against the OpenAI spec by an HTTP response hook."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx2
import pytest
from openai import AsyncOpenAI, OpenAI
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from tests.contract.spec import Spec, async_response_hook, load_spec, response_hook

#: Instant tokens: API tests check content and shape; timing is tested on the engine's virtual clock and in
#: tests/live.
FAST = {"ttft_ms": 0, "itl_ms": 0}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FAKEAI_* variable of the developer's shell may change what a test builds."""
    for name in list(os.environ):
        if name.startswith("FAKEAI_") and name != "FAKEAI_OPENAPI_SPEC":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The pinned OpenAI spec, vendored in tests/contract/data: a missing file fails, never skips."""
    return load_spec()


@pytest.fixture(scope="session")
def optional_spec(spec: Spec) -> Spec:
    """The same spec under the name older tests use (it is always present now)."""
    return spec


@pytest.fixture
def make_app() -> Callable[..., Starlette]:
    def build(**overrides: Any) -> Starlette:
        return create_app(Settings(**{**FAST, **overrides}))

    return build


@pytest.fixture
def validated() -> list[tuple[str, int, int]]:
    """(path, status, objects validated) for every response the spec hook checked in this test."""
    return []


@pytest.fixture
def http(make_app: Callable[..., Starlette], spec: Spec, validated: list) -> Iterator[TestClient]:
    """A raw sync HTTP client on a fresh app; spec-valid bodies are asserted on every response."""
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        client.event_hooks["response"] = [response_hook(spec, validated)]
        yield client


def sdk(http_client: httpx2.Client) -> OpenAI:
    return OpenAI(
        api_key="sk-test",
        base_url=f"{http_client.base_url}/v1",
        http_client=http_client,
        max_retries=0,
        _strict_response_validation=True,
    )


@pytest.fixture
def client(http: TestClient) -> OpenAI:
    """The official sync SDK, strict, against a fresh app."""
    return sdk(http)


@pytest.fixture
async def aclient(
    make_app: Callable[..., Starlette], spec: Spec, validated: list
) -> AsyncIterator[AsyncOpenAI]:
    """The official async SDK, strict, against a fresh app (in-process ASGI transport)."""
    hooks = {"response": [async_response_hook(spec, validated)]}
    transport = httpx2.ASGITransport(app=make_app())
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver", event_hooks=hooks) as h:
        yield AsyncOpenAI(
            api_key="sk-test",
            base_url="http://testserver/v1",
            http_client=h,
            max_retries=0,
            _strict_response_validation=True,
        )
