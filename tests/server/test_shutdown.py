"""The drain behind graceful shutdown (server/shutdown.py), in process: new requests get an OpenAI-shaped
503 once it has begun, running ones are interrupted after the finishing time, and the signal handlers
chain to the server's own."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import httpx2
import openai
import pytest
from openai import AsyncOpenAI
from starlette.applications import Starlette

from fakeai.server.shutdown import SIGNALS, Drain, install_signal_handlers

ASK = [{"role": "user", "content": "hi"}]


async def test_new_requests_get_503_once_draining(aclient: AsyncOpenAI, make_app: Any) -> None:
    app: Starlette = aclient._client._transport.app  # type: ignore[attr-defined]
    app.state.fakeai.drain.begin(finish_within=60)
    with pytest.raises(openai.InternalServerError) as caught:
        await aclient.chat.completions.create(model="gpt-4", messages=ASK, max_tokens=2)
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "server_shutting_down"  # type: ignore[index]
    assert caught.value.response.headers["connection"] == "close"


async def test_running_requests_are_interrupted_after_the_finishing_time(make_app: Any) -> None:
    app: Starlette = make_app(ttft_ms=0, itl_ms=10)
    drain: Drain = app.state.fakeai.drain
    transport = httpx2.ASGITransport(app=app)
    http = httpx2.AsyncClient(transport=transport, base_url="http://testserver")
    aclient = AsyncOpenAI(api_key="sk-test", base_url="http://testserver/v1", http_client=http, max_retries=0)

    async def streamed() -> list[object]:
        stream = await aclient.chat.completions.create(
            model="gpt-4", messages=ASK, max_tokens=4000, stream=True
        )
        return [chunk async for chunk in stream]

    # 40 s of tokens each; the in-process transport hands the stream over once it has ended.
    whole = asyncio.ensure_future(
        aclient.chat.completions.create(model="gpt-4", messages=ASK, max_tokens=4000)
    )
    stream = asyncio.ensure_future(streamed())
    for _ in range(500):  # both admitted (bounded: 5 s)
        if drain.open == 2:
            break
        await asyncio.sleep(0.01)
    drain.begin(finish_within=0.05)
    with pytest.raises(openai.APIError, match="shutting down"):  # the stream's in-band error event
        await stream
    with pytest.raises(openai.InternalServerError) as caught:
        await whole
    assert caught.value.status_code == 503 and drain.open == 0
    await http.aclose()


async def test_signals_start_the_drain_and_reach_the_servers_own_handler() -> None:
    drain, seen = Drain(), []
    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    try:
        for signum in SIGNALS:
            signal.signal(signum, lambda number, frame: seen.append(number))
        install_signal_handlers(drain, asyncio.get_running_loop())
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.sleep(0.01)
        assert drain.draining and seen == [signal.SIGHUP]
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        drain.interrupt_all()
