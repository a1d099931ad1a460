"""Graceful shutdown on a real server: SIGTERM (or SIGHUP) during many open streams ends every one cleanly,
on the default Granian front and on uvicorn (server/shutdown.py)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time

import httpx2
import pytest

from tests.live.server import live_server

pytestmark = pytest.mark.live

CHAT = {
    "model": "meta-llama/Llama-3.1-8B-Instruct",
    "messages": [{"role": "user", "content": "Tell me a story."}],
}
STREAMS = 60


async def _read(client: httpx2.AsyncClient, url: str, max_tokens: int, started: asyncio.Event) -> list[str]:
    """The stream's ``data:`` payloads; raises if the body ends without its proper end (chunked)."""
    body = {**CHAT, "stream": True, "max_tokens": max_tokens}
    data = []
    async with client.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                data.append(line[6:])
                started.set()
    return data


async def _run(url: str, pid: int, signum: int) -> tuple[list[list[str] | BaseException], int | None, float]:
    limits = httpx2.Limits(max_connections=STREAMS + 4)
    async with httpx2.AsyncClient(timeout=20, limits=limits) as client:
        events = [asyncio.Event() for _ in range(STREAMS)]
        # A few finish within the drain's 1.5 s, the rest would last 100 s: both kinds must end cleanly.
        tasks = [
            asyncio.ensure_future(_read(client, url, 10 if i % 10 == 0 else 2000, events[i]))
            for i in range(STREAMS)
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 15)
        signalled = time.monotonic()
        os.killpg(pid, signum)
        await asyncio.sleep(0.3)
        try:  # a new request while draining: refused at the door or answered 503
            status: int | None = (await client.get(f"{url}/v1/models")).status_code
        except httpx2.TransportError:
            status = None
        results = await asyncio.gather(*tasks, return_exceptions=True)
    return results, status, signalled


@pytest.mark.parametrize(
    ("server", "signum"),
    [("granian", signal.SIGTERM), ("uvicorn", signal.SIGTERM), ("granian-asgi", signal.SIGTERM)],
    ids=[
        "granian-sigterm",
        "uvicorn-sigterm",
        "granian-asgi-sigterm",
    ],  # SIGHUP: tests/server/test_shutdown.py
)
def test_a_shutdown_ends_every_open_stream_cleanly(server: str, signum: int) -> None:
    with live_server("--server", server, "--ttft-ms", "0", "--itl-ms", "50") as live:
        results, status, signalled = asyncio.run(_run(live.url, live.process.pid, signum))
        if signum == signal.SIGTERM:
            live.process.wait(timeout=10)
            assert time.monotonic() - signalled < 4.5  # the grace period is 3 s
    assert status in (None, 503)
    finished = interrupted = 0
    for result in results:
        assert not isinstance(result, BaseException), f"a stream ended badly: {result!r}"
        if result[-1] == "[DONE]":
            finished += 1
            continue
        error = json.loads(result[-1])["error"]  # the in-band error event is the last thing sent
        assert error["code"] == "server_shutting_down" and error["type"] == "server_error"
        interrupted += 1
    assert finished == STREAMS // 10 and interrupted == STREAMS - STREAMS // 10
