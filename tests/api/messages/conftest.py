"""The official ``anthropic`` SDK against a fresh app, as the openai SDK is for the OpenAI families."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient


def anthropic_sdk(http: TestClient) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="sk-ant-test", base_url=str(http.base_url), http_client=http, max_retries=0
    )


@pytest.fixture
def raw(make_app: Callable[..., Starlette]) -> Iterator[TestClient]:
    with TestClient(make_app(seed=7), raise_server_exceptions=False) as http:
        yield http


@pytest.fixture
def claude(raw: TestClient) -> anthropic.Anthropic:
    """The sync SDK on an app with a server seed (streamed and whole messages compare equal)."""
    return anthropic_sdk(raw)
