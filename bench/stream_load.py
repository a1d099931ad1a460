"""Concurrent streaming load with per-chunk timing: TTFT, per-stream ITL, events/s, errors.

A raw asyncio protocol per connection (no HTTP library) so that the client, not the server, is never the
slow side: each ``data_received`` is stamped once, and the content events in it are counted. Each of the
``--streams`` connections sends ``--requests`` streaming requests one after another (keep-alive), as a
concurrency-mode benchmark does; the first request of each connection is a warm-up and is not reported.
``--ramp`` spreads the connections' starts over that many seconds: without it, with fixed latencies, every
connection's requests arrive in lockstep, a burst no real load has. Bounded by count and ``--timeout``:

    python bench/stream_load.py --port 8000 --streams 1000 --tokens 100 --requests 3 --ramp 2 [--metrics]

TTFT is from sending the request to the first chunk that carries content, as benchmark clients time it.
ITL is per stream: the gaps between content events (events that arrive in one read count as 0 gaps, as a
client would see them). ``--metrics`` also scrapes /metrics and prints the server's TTFT mean over the
same requests (warm-ups included, so compare it with ``ttft_mean_all_ms``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time

CONTENT = b'"delta":{"content":"'
ROLE_ONLY = b'"delta":{"role":"assistant","content":"",'


class Stream(asyncio.Protocol):
    """One keep-alive connection sending ``requests`` streaming requests in turn."""

    def __init__(self, request: bytes, requests: int, done: asyncio.Future[None]) -> None:
        self.request = request
        self.remaining = requests
        self.done = done
        self.results: list[tuple[int, float, list[float]]] = []  # (status, sent, content stamps)
        self.tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.remaining -= 1
        self.status = 0
        self.stamps: list[float] = []
        self.tail = b""
        self.sent = time.perf_counter()
        self.transport.write(self.request)  # type: ignore[attr-defined]

    def _complete(self) -> None:
        self.results.append((self.status, self.sent, self.stamps))
        if self.remaining > 0 and self.status == 200:
            self._send()
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        if not self.status:
            # The previous response's last chunk ("0" CRLF CRLF) may arrive alone: wait for a status line.
            start = data.find(b"HTTP/1.1 ")
            if start < 0:
                return
            data = data[start:]
            self.status = int(data[9:12])
            if self.status != 200:
                self._complete()
                return
        # Events end with a blank line; chunked-encoding size lines between them do not matter here.
        *events, self.tail = (self.tail + data).split(b"\n\n")
        for event in events:
            if CONTENT in event and ROLE_ONLY not in event:
                self.stamps.append(now)
            elif b"data: [DONE]" in event:
                self._complete()
                return

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def run(args: argparse.Namespace) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    body = json.dumps(
        {
            "model": args.model,
            "messages": [{"role": "user", "content": "Tell me a story."}],
            "max_tokens": args.tokens,
            "ignore_eos": True,
            "stream": True,
        }
    ).encode()
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer sk-bench\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    streams: list[Stream] = []
    futures = []
    started = time.perf_counter()
    for index in range(args.streams):
        if args.ramp:  # spread the starts, so the connections' requests do not arrive in lockstep
            await asyncio.sleep(max(0.0, started + args.ramp * index / args.streams - time.perf_counter()))
        done = loop.create_future()
        stream = Stream(request, args.requests, done)
        streams.append(stream)
        futures.append(done)
        await loop.create_connection(lambda s=stream: s, "127.0.0.1", args.port)
    await asyncio.wait_for(asyncio.gather(*futures), args.timeout)
    elapsed = time.perf_counter() - started
    every = [r for s in streams for r in s.results]
    measured = [r for s in streams for r in s.results[1:]] or every
    ok = [(sent, stamps) for status, sent, stamps in measured if status == 200 and len(stamps) == args.tokens]
    ttfts = sorted((stamps[0] - sent) * 1000 for sent, stamps in ok)
    medians = sorted(
        statistics.median([(b - a) * 1000 for a, b in itertools.pairwise(stamps)]) for _, stamps in ok
    )
    all_ttfts = [(st[0] - sent) * 1000 for status, sent, st in every if status == 200 and st]
    result = {
        "streams": args.streams,
        "requests_measured": len(measured),
        "ok": len(ok),
        "errors": len(measured) - len(ok),
        "ttft_p50_ms": ttfts[len(ttfts) // 2],
        "ttft_p99_ms": ttfts[max(0, int(len(ttfts) * 0.99) - 1)],
        "ttft_mean_ms": statistics.fmean(ttfts),
        "ttft_mean_all_ms": statistics.fmean(all_ttfts),
        "itl_median_of_stream_medians_ms": medians[len(medians) // 2],
        "itl_mean_ms": statistics.fmean((st[-1] - st[0]) * 1000 / (args.tokens - 1) for _, st in ok),
        "events_per_s": sum(len(st) for _, _, st in every) / elapsed,
    }
    if args.metrics:
        reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
        writer.write(
            f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nConnection: close\r\n\r\n".encode()
        )
        text = (await reader.read()).decode()
        writer.close()
        total = count = 0.0
        for line in text.splitlines():
            if line.startswith("vllm:time_to_first_token_seconds_sum"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith("vllm:time_to_first_token_seconds_count"):
                count += float(line.rsplit(" ", 1)[1])
        result["server_ttft_mean_ms"] = total / count * 1000 if count else float("nan")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--requests", type=int, default=3, help="per connection; the first is a warm-up")
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which connections start")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--metrics", action="store_true")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(run(args)), indent=1))


if __name__ == "__main__":
    main()
