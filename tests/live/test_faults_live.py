"""Faults against real servers: a reset drops the connection (the SDK sees a connection error), and keys are
enforced on the RSGI front's native endpoints as on its bridged routes."""

from __future__ import annotations

import httpx2
import openai
import pytest

from tests.live.server import live_server

pytestmark = pytest.mark.live
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
KEY = "sk-live-test-key-0001"


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_a_reset_drops_the_connection_and_keys_are_enforced(server: str) -> None:
    flags = ("--server", server, "--ttft-ms", "0", "--itl-ms", "1", "--api-key", KEY, "--cors-origins", "*")
    with live_server(*flags) as live:
        client = openai.OpenAI(api_key=KEY, base_url=f"{live.url}/v1", max_retries=0, timeout=5)
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(**CHAT, extra_headers={"x-fakeai-fault": "reset"})
        for fault in ("reset", "reset,reset_after_chunks=2"):  # before the stream, and inside it
            received = []
            # Before the head: the SDK's connection error; while iterating, the SDK passes httpx's on.
            with pytest.raises((openai.APIConnectionError, httpx2.TransportError)):
                for chunk in client.chat.completions.create(
                    **CHAT, stream=True, extra_headers={"x-fakeai-fault": fault}
                ):
                    received.append(chunk)
            assert len(received) == (0 if fault == "reset" else 2)
        with pytest.raises((httpx2.TransportError, httpx2.RemoteProtocolError)):
            httpx2.get(f"{live.url}/v1/models", headers={"authorization": f"Bearer {KEY}",
                                                           "x-fakeai-fault": "reset"})  # fmt: skip
        for path in ("/v1/chat/completions", "/v1/models"):  # native and bridged on granian
            method = "POST" if "chat" in path else "GET"
            response = httpx2.request(
                method, f"{live.url}{path}", json=CHAT, headers={"origin": "http://a.test"}
            )
            assert response.status_code == 401 and response.json()["error"]["message"].startswith(
                "You didn't"
            )
            assert response.headers["access-control-allow-origin"] == "*"
        raw = client.chat.completions.with_raw_response.create(
            **CHAT, extra_headers={"origin": "http://a.test"}
        )
        assert int(raw.headers["x-ratelimit-remaining-requests"]) < 500  # it refills at 500 per minute
        assert "x-ratelimit-remaining-tokens" in raw.headers["access-control-expose-headers"]
        assert client.chat.completions.create(**CHAT).choices  # the server is still fine
