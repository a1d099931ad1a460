"""The Responses API on the default server (Granian's RSGI front serves POST /v1/responses natively, its
streams sent from the engine's wakeup), with the Python SDK and, where node is set up, openai-node."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai import OpenAI

from tests.live.server import LiveServer, live_server

pytestmark = pytest.mark.live

NODE_CHECK = Path(__file__).parents[1] / "clients" / "node"


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server("--ttft-ms", "5", "--itl-ms", "1") as running:
        yield running


def test_sdk_creates_streams_and_continues(server: LiveServer) -> None:
    client = OpenAI(
        api_key="sk-test", base_url=f"{server.url}/v1", max_retries=0, _strict_response_validation=True
    )
    created = client.responses.create(model="gpt-4o", input="Tell me about tides.")
    assert created.status == "completed" and created.output_text
    with client.responses.stream(model="gpt-4o", input="Hello", previous_response_id=created.id) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert final.usage.input_tokens > created.usage.input_tokens
    assert client.responses.retrieve(final.id).output_text == final.output_text


def test_background_on_the_rsgi_front(server: LiveServer) -> None:
    client = OpenAI(api_key="sk-test", base_url=f"{server.url}/v1", max_retries=0)
    created = client.responses.create(model="gpt-4o", input="Hi", background=True, max_output_tokens=16)
    assert created.status == "queued"
    replayed = list(client.responses.retrieve(created.id, stream=True, starting_after=1))
    assert replayed[0].sequence_number == 2 and replayed[-1].type == "response.incomplete"
    streamed = list(client.responses.create(model="gpt-4o", input="Hi", background=True, stream=True))
    assert [e.type for e in streamed[:2]] == ["response.created", "response.queued"]
    assert [e.sequence_number for e in streamed] == list(range(len(streamed)))


def test_openai_node(server: LiveServer) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (NODE_CHECK / "node_modules" / "openai").is_dir():
        pytest.skip(f"openai-node is not installed: run `npm install` in {NODE_CHECK}")
    run = subprocess.run(
        ["node", "check.mjs", server.url],
        cwd=NODE_CHECK,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["text"] and seen["retrieved"] and seen["streamedMatches"]
    assert (seen["first"], seen["last"]) == ("response.created", "response.completed")
    assert (seen["call"], seen["callName"], seen["followUp"]) == ("function_call", "get_weather", "message")
