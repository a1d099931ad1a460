"""Batches against a real app loop (TestClient's portal thread), polled with the official SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openai import OpenAI
from openai.types import Batch
from starlette.testclient import TestClient

from fakeai import Settings, create_app
from tests.conftest import FAST, sdk
from tests.contract.spec import Spec, response_hook

FINAL = ("completed", "failed", "cancelled", "expired")


def chat_line(custom_id: str, **body: Any) -> dict[str, Any]:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"hi {custom_id}"}], **body}
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def jsonl(lines: list[Any]) -> bytes:
    return b"".join(
        (line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n" for line in lines
    )


def submit(client: OpenAI, lines: list[Any], endpoint: str = "/v1/chat/completions", **extra: Any) -> Batch:
    file = client.files.create(file=("in.jsonl", jsonl(lines)), purpose="batch")
    return client.batches.create(
        input_file_id=file.id,
        endpoint=endpoint,  # type: ignore[arg-type]
        completion_window="24h",
        **extra,
    )


def wait(
    client: OpenAI, batch_id: str, until: Callable[[Batch], bool] | None = None, timeout: float = 20
) -> Batch:
    """Poll as an SDK user does, until ``until`` (default: a final status); bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        batch = client.batches.retrieve(batch_id)
        if (until(batch) if until else batch.status in FINAL) or time.monotonic() > deadline:
            return batch
        time.sleep(0.01)


def read_lines(client: OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


@pytest.fixture
def batch_client(optional_spec: Spec | None, validated: list) -> Iterator[Callable[..., OpenAI]]:
    """``batch_client(**settings)``: the strict SDK on a fresh app whose loop keeps running between calls."""
    stack: list[TestClient] = []

    def build(**overrides: Any) -> OpenAI:
        http = TestClient(create_app(Settings(**{**FAST, **overrides})), raise_server_exceptions=False)
        http.__enter__()
        stack.append(http)
        if optional_spec is not None:
            http.event_hooks["response"] = [response_hook(optional_spec, validated)]
        return sdk(http)

    yield build
    for http in reversed(stack):
        http.__exit__(None, None, None)
