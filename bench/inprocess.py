"""In-process CPU cost of the generation path, without HTTP: µs per request and per streamed token.

Builds the app with ``create_app`` and drives it on one event loop: through the chat service directly
(``service``), through the ASGI app with a hand-rolled ASGI call (``asgi``: Starlette routing, middleware
and body decoding included, no HTTP parsing), or through the default server's RSGI front (``rsgi``,
bench/rsgi.py: its streams pushed from the engine's wake-ups, as on Granian). Cases:

- ``chat``: non-streaming chat completions of 16 output tokens (``--chat-tokens``), zero TTFT/ITL on the
  loop clock; ``--concurrency`` requests in flight at a time. Reports process CPU µs per request.
- ``stream``: ``--streams`` concurrent streams of ``--tokens`` tokens each on a virtual clock stepped by
  the ITL, so the loop never idles: reports CPU µs per streamed token (setup of the streams excluded), of
  which inside the engine's timer, and per stream set-up.

    python -m bench.inprocess chat --via rsgi --requests 20000
    python -m bench.inprocess stream --via service --streams 200 --tokens 100 --profile cprofile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import time
from typing import Any

from bench.asgi import post
from fakeai.api.generation import step_events
from fakeai.app import create_app
from fakeai.engine.clock import VirtualClock
from fakeai.server.runner import tune_interpreter
from fakeai.settings import Settings

MODEL = "gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Tell me about the weather in Lisbon in spring."},
]


def body(tokens: int, stream: bool) -> bytes:
    payload: dict[str, Any] = {"model": MODEL, "messages": MESSAGES, "max_tokens": tokens, "ignore_eos": True}
    if stream:
        payload["stream"] = True
    return json.dumps(payload).encode()


class Driver:
    """One way into the app: ``call(body)`` returns the response bytes (all SSE frames for a stream)."""

    def __init__(self, app: Any, via: str) -> None:
        self.app = app
        self.state = app.state.fakeai
        self.via = via
        key = app.state.fakeai.settings.api_key
        self.extra_headers = [(b"authorization", b"Bearer " + key[0].encode())] if key else []
        self._ids = iter(range(1 << 62))
        # Load the vocabulary now (the app's lifespan would, in a thread): never inside a measurement.
        self.state.prose.get(self.state.catalog.resolve(MODEL).tokenizer)
        if via == "rsgi":
            from bench.rsgi import Front

            self._front = Front(app)
            self._headers = {name.decode(): value.decode() for name, value in self.extra_headers}
        if via == "service":
            from fakeai.api.chat.protocol import ChatCompletionRequest
            from fakeai.api.chat.service import ChatService
            from fakeai.server.decode import decode_json

            self._service = ChatService(self.state)
            self._decode = lambda raw: decode_json(raw, ChatCompletionRequest)

    async def call(self, raw: bytes) -> int:
        if self.via == "asgi":
            return await self._asgi(raw)
        if self.via == "rsgi":
            return (await self._front.post("/v1/chat/completions", raw, self._headers))[1]
        import msgspec

        request = self._decode(raw)
        arrival = self.state.engine.clock.now()
        generation = await self._service.create(request, f"req_{next(self._ids)}", arrival)
        if request.stream:
            size = 0
            try:
                async for frame in step_events(generation.run, generation.frames()):
                    size += len(frame)
            finally:
                generation.run.abort()
            return size
        return len(msgspec.json.encode(await generation.response()))

    async def _asgi(self, raw: bytes) -> int:
        return (await post(self.app, "/v1/chat/completions", raw, self.extra_headers))[1]


def settings(**overrides: Any) -> Settings:
    return Settings(**{"ttft_ms": 0, "itl_ms": 0, **overrides})


def security(args: argparse.Namespace) -> dict[str, Any]:
    """--api-key (each request sends it: its rate limit is counted) and --fault-rules (that never match)."""
    found: dict[str, Any] = {}
    if args.api_key:
        found.update(api_key=[args.api_key], default_tier="tier-5")
    if args.fault_rules:
        never = {"match": {"model": "no-such-model"}, "action": {"status": 500}}
        found["faults"] = [never] * args.fault_rules
    return found


async def bench_chat(args: argparse.Namespace) -> dict[str, float]:
    app = create_app(settings(**security(args)))
    driver = Driver(app, args.via)
    raw = body(args.chat_tokens, stream=False)
    for _ in range(200):  # warm-up: tokenizer load, caches, series creation
        await driver.call(raw)
    gc.collect()
    tune_interpreter()  # the collector as a server worker runs it
    started = time.process_time()
    remaining = args.requests
    while remaining:
        batch = min(args.concurrency, remaining)
        await asyncio.gather(*(driver.call(raw) for _ in range(batch)))
        remaining -= batch
    cpu = time.process_time() - started
    return {"us_per_request": cpu / args.requests * 1e6}


async def bench_stream(args: argparse.Namespace) -> dict[str, float]:
    clock = VirtualClock()
    app = create_app(settings(itl_ms=args.itl_ms), clock=clock)
    driver = Driver(app, args.via)
    raw = body(args.tokens, stream=True)
    itl = args.itl_ms / 1000.0

    async def run(streams: int) -> tuple[float, float, float]:
        tasks = [asyncio.create_task(driver.call(raw)) for _ in range(streams)]
        started = time.process_time()
        for _ in range(5):  # every stream submitted (tokenization, engine admission, first frames)
            await asyncio.sleep(0)
        setup = time.process_time() - started
        started = time.process_time()
        engine = 0.0  # of which inside the engine's timer (pacing, metrics, wake-ups)
        while not all(task.done() for task in tasks):
            before = time.process_time()
            clock.advance(itl)
            engine += time.process_time() - before
            await asyncio.sleep(0)  # the consumers woken by this step run before the next step
            await asyncio.sleep(0)
        streaming = time.process_time() - started
        sizes = [task.result() for task in tasks]
        assert all(sizes), "a stream sent nothing"
        return setup, streaming, engine

    await run(20)  # warm-up
    gc.collect()
    tune_interpreter()
    setup, streaming, engine = await run(args.streams)
    tokens = args.streams * args.tokens
    return {
        "us_per_stream_setup": setup / args.streams * 1e6,
        "us_per_token": streaming / tokens * 1e6,
        "us_per_token_engine": engine / tokens * 1e6,
    }


def _run(coroutine: Any) -> Any:
    """On uvloop, as the server's workers run (the default asyncio loop costs several us more per task)."""
    try:
        import uvloop
    except ImportError:  # not on this platform: the stdlib loop
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("case", choices=("chat", "stream"))
    parser.add_argument("--via", choices=("service", "asgi", "rsgi"), default="service")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--chat-tokens", type=int, default=16, help="output tokens of each chat request")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--itl-ms", type=float, default=20.0)
    parser.add_argument("--api-key", help="configure this key and send it (chat; its limits are counted)")
    parser.add_argument("--fault-rules", type=int, default=0, help="fault rules that match no request (chat)")
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    case = bench_chat if args.case == "chat" else bench_stream

    if args.profile == "cprofile":
        profiler = cProfile.Profile()
        profiler.enable()
        result = _run(case(args))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    elif args.profile == "pyinstrument":
        from pyinstrument import Profiler

        with Profiler(interval=0.0002) as profiler:
            result = _run(case(args))
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        result = _run(case(args))
    print(json.dumps({"case": args.case, "via": args.via, **{k: round(v, 2) for k, v in result.items()}}))


if __name__ == "__main__":
    main()
