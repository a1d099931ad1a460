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

``run()`` is importable and returns the statistics; failures (non-200, cut connections, short streams,
requests the time limit cut off) are counted in ``errors``, never raised, so a saturated server still reports.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import math
import resource
import statistics
import time

CONTENT = b'"delta":{"content":"'
DONE = b"data: [DONE]"
DROPPED = -1  # status recorded for a request whose connection closed before [DONE]


class Stream(asyncio.Protocol):
    """One keep-alive connection sending ``requests`` streaming requests in turn."""

    def __init__(self, request: bytes, requests: int, done: asyncio.Future[None]) -> None:
        self.request = request
        self.remaining = requests
        self.done = done
        self.results: list[tuple[int, float, list[float]]] = []  # (status, sent, content stamps)
        self.tail = b""
        self.in_flight = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.in_flight = True
        self.remaining -= 1
        self.status = 0
        self.stamps: list[float] = []
        self.tail = b""
        self.sent = time.perf_counter()
        self.transport.write(self.request)  # type: ignore[attr-defined]

    def _complete(self) -> None:
        self.in_flight = False
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
        # Events end with a blank line; only complete ones are counted (chunked-encoding size lines between
        # them do not matter). Counting markers instead of splitting events keeps the client cheap: at
        # 100,000 events/s its per-read cost decides whether it, not the server, is the bottleneck.
        buffer = self.tail + data if self.tail else data
        end = buffer.rfind(b"\n\n") + 2
        if end < 2:
            self.tail = buffer
            return
        complete, self.tail = buffer[:end], buffer[end:]
        count = complete.count(CONTENT)  # role-only chunks do not match: they are not tokens
        if count:
            self.stamps.extend([now] * count)
        if DONE in complete:
            self._complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.in_flight:  # cut mid-response (server reset, or our own timeout): a failed request
            self.in_flight = False
            self.results.append((self.status or DROPPED, self.sent, self.stamps))
        if not self.done.done():
            self.done.set_result(None)


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (NaN when there are none, so a dead run still reports)."""
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(len(values) * q) - 1))]


def raise_fd_limit(needed: int) -> int:
    """Raise the soft open-files limit towards the hard one: 2,500 sockets exceed the usual 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def chat_request(port: int, tokens: int, model: str) -> bytes:
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": "Tell me a story."}],
            "max_tokens": tokens,
            "ignore_eos": True,
            "stream": True,
        }
    ).encode()
    return (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer sk-bench\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def run(
    port: int,
    streams: int,
    tokens: int = 100,
    model: str = "gpt-4o-mini",
    requests: int = 3,
    ramp: float = 0.0,
    time_limit: float = 120.0,
    metrics: bool = False,
) -> dict[str, float]:
    """One load run; returns its statistics. Never raises for server trouble: failures are counted."""
    raise_fd_limit(streams + 64)
    before = await _server_ttft(port) if metrics else (0.0, 0.0)
    loop = asyncio.get_running_loop()
    request = chat_request(port, tokens, model)
    conns: list[Stream] = []
    futures = []
    connect_errors = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    deadline = started + time_limit
    for index in range(streams):
        if ramp:  # spread the starts, so the connections' requests do not arrive in lockstep
            await asyncio.sleep(max(0.0, started + ramp * index / streams - time.perf_counter()))
        done = loop.create_future()
        stream = Stream(request, requests, done)
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda s=stream: s, "127.0.0.1", port),
                max(0.1, deadline - time.perf_counter()),
            )
        except (OSError, TimeoutError):
            connect_errors += 1
            continue
        conns.append(stream)
        futures.append(done)
    if futures:
        _, pending = await asyncio.wait(futures, timeout=max(0.1, deadline - time.perf_counter()))
        for stream in conns:  # bounded in time: whatever is still streaming is cut and counted as failed
            if not stream.done.done():
                stream.transport.close()  # type: ignore[attr-defined]
        if pending:
            await asyncio.wait(pending, timeout=2.0)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    every = [r for s in conns for r in s.results]
    measured = [r for s in conns for r in s.results[1:]] or every
    ok = [(sent, stamps) for status, sent, stamps in measured if status == 200 and len(stamps) == tokens]
    ttfts = sorted((stamps[0] - sent) * 1000 for sent, stamps in ok)
    medians = sorted(
        statistics.median([(b - a) * 1000 for a, b in itertools.pairwise(stamps)])
        for _, stamps in ok
        if len(stamps) > 1
    )
    all_ttfts = [(st[0] - sent) * 1000 for status, sent, st in every if status == 200 and st]
    statuses = collections.Counter(status for status, _, stamps in measured if status != 200)
    short = sum(1 for status, _, stamps in measured if status == 200 and len(stamps) != tokens)
    # Requests that never completed (cut by the timeout) count as failures too.
    unfinished = sum(max(0, requests - len(s.results)) for s in conns) + connect_errors * requests
    result = {
        "streams": streams,
        "requests_measured": len(measured),
        "ok": len(ok),
        "errors": len(measured) - len(ok) + connect_errors + unfinished,
        "connect_errors": connect_errors,
        "dropped": statuses.pop(DROPPED, 0),
        "short_streams": short,
        "unfinished": unfinished,
        "status_errors": {str(k): v for k, v in sorted(statuses.items())},
        "ttft_p50_ms": _percentile(ttfts, 0.5),
        "ttft_p99_ms": _percentile(ttfts, 0.99),
        "ttft_mean_ms": statistics.fmean(ttfts) if ttfts else math.nan,
        "ttft_mean_all_ms": statistics.fmean(all_ttfts) if all_ttfts else math.nan,
        "itl_median_of_stream_medians_ms": _percentile(medians, 0.5),
        "itl_p99_of_stream_medians_ms": _percentile(medians, 0.99),
        "itl_mean_ms": (
            statistics.fmean((st[-1] - st[0]) * 1000 / (tokens - 1) for _, st in ok)
            if ok and tokens > 1
            else math.nan
        ),
        "events_per_s": sum(len(st) for _, _, st in every) / elapsed,
        "elapsed_s": elapsed,
        # The client's own CPU share of its core: near 100 % would mean the client, not the server, limits.
        "client_cpu_pct": 100 * cpu / elapsed,
    }
    if metrics:  # over this run's requests: compare with ttft_mean_all_ms
        total, count = await _server_ttft(port)
        count -= before[1]
        result["server_ttft_mean_ms"] = (total - before[0]) / count * 1000 if count else math.nan
    return result


async def _server_ttft(port: int) -> tuple[float, float]:
    """The server's own TTFT histogram so far, from its Prometheus text: (sum in seconds, count)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    text = (await reader.read()).decode()
    writer.close()
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith("vllm:time_to_first_token_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("vllm:time_to_first_token_seconds_count"):
            count += float(line.rsplit(" ", 1)[1])
    return total, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--requests", type=int, default=3, help="per connection; the first is a warm-up")
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which connections start")
    parser.add_argument("--timeout", type=float, default=120.0, help="the whole run is cut after this")
    parser.add_argument("--metrics", action="store_true")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(
        run(
            args.port,
            args.streams,
            tokens=args.tokens,
            model=args.model,
            requests=args.requests,
            ramp=args.ramp,
            time_limit=args.timeout,
            metrics=args.metrics,
        )
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
