"""Replay the published scenarios of each latency profile through the HTTP API, as a client measures them.

    python -m bench.latency [--profiles h200-llama-3.1-8b-fp8,h100-llama-3.1-8b] [--update-docs]

Each profile file names the published figures it was fitted to (``calibration``). For every point this
starts FakeAI with that profile, sends the point's scenario as streaming legacy completions whose prompts are
token ids (so the prompt length is exact and never cached), and prints the published figure, what the client
measured, their ratio, and what the engine alone predicts in virtual time (engine/replay.py). Bounded: every
scenario has a request count and a time limit, and all traffic is loopback. ``--update-docs`` rewrites the
table in docs/engine.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass

from bench.servers import ROOT, Server, fakeai, stop_all
from fakeai.engine import ProfileLatency, load_profile, profile_names
from fakeai.engine.profiles import Point
from fakeai.engine.replay import DECODE_OUTPUT, replay
from fakeai.engine.replay import SERVING_REQUESTS as SERVING_POINT_REQUESTS

DOCS = ROOT / "docs" / "engine.md"
BEGIN, END = "<!-- latency-validation:begin -->", "<!-- latency-validation:end -->"
#: Scenarios run in wall time: a faster --time-scale would multiply FakeAI's own per-request HTTP time
#: (about 1 ms here) into simulated milliseconds, which a 20 ms TTFT cannot hide.
SERVING_REQUESTS = {
    "concurrency": 24,
    "rate": SERVING_POINT_REQUESTS,
}  # the rate: the same arrivals as replay()
LIMIT_S = 120.0  # per scenario
MODEL = "meta-llama/Llama-3.1-8B-Instruct"  # a 128k context: every published prompt fits


@dataclass
class Timing:
    sent: float
    stamps: list[float]


async def _stream(port: int, prompt: list[int], output: int) -> Timing:
    """One streaming request on its own connection; the time of every event line that carries data."""
    body = json.dumps(
        {"model": MODEL, "prompt": prompt, "max_tokens": output, "ignore_eos": True, "stream": True}
    ).encode()
    head = (
        f"POST /v1/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = time.perf_counter()
    writer.write(head + body)
    stamps: list[float] = []
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"the server answered {status.decode().strip()}")
    try:
        while line := await reader.readline():
            if line.startswith(b"data: {"):
                stamps.append(time.perf_counter())
            elif line.startswith(b"data: [DONE]"):
                break
    finally:
        writer.close()
    return Timing(sent, stamps)


def _prompts(seed: int) -> itertools.count:
    return itertools.count(1000 + seed * 10_000_000)


async def _scenario(port: int, point: Point) -> dict[str, float]:
    ids = _prompts(0)

    def prompt(length: int) -> list[int]:
        return [100 + next(ids) % 50_000 for _ in range(length)]  # distinct ids: no prefix is ever shared

    await _stream(port, prompt(8), 2)  # warm-up: the vocabulary and connection are ready
    if point.kind == "prefill":
        runs = [await _stream(port, prompt(point.isl), 2) for _ in range(3)]
    elif point.kind == "decode":
        isl = max(1, point.context - DECODE_OUTPUT // 2)
        runs = await asyncio.gather(*(_stream(port, prompt(isl), DECODE_OUTPUT) for _ in range(point.batch)))
    elif point.rate:
        rng = random.Random(0)
        tasks = []
        for _ in range(SERVING_REQUESTS["rate"]):
            await asyncio.sleep(rng.expovariate(point.rate))
            tasks.append(asyncio.create_task(_stream(port, prompt(point.isl), point.osl)))
        runs = await asyncio.gather(*tasks)
    else:
        per_client = max(1, SERVING_REQUESTS["concurrency"] // point.concurrency)

        async def loop() -> list[Timing]:
            return [await _stream(port, prompt(point.isl), point.osl) for _ in range(per_client)]

        runs = [t for ts in await asyncio.gather(*(loop() for _ in range(point.concurrency))) for t in ts]
    ms = 1000.0  # seconds to milliseconds
    ttft = statistics.median((r.stamps[0] - r.sent) * ms for r in runs)
    gaps = [(b - a) * ms for r in runs for a, b in itertools.pairwise(r.stamps)]
    tpot = [(r.stamps[-1] - r.stamps[0]) * ms / (len(r.stamps) - 1) for r in runs if len(r.stamps) > 1]
    return {
        "ttft_ms": ttft,
        "itl_ms": statistics.median(gaps) if gaps else float("nan"),
        "tpot_ms": statistics.median(tpot) if tpot else float("nan"),
    }


def _label(point: Point) -> str:
    if point.kind == "prefill":
        return f"prefill, ISL {point.isl}"
    if point.kind == "decode":
        return f"decode, batch {point.batch}, context {point.context}"
    load = f"concurrency {point.concurrency}" if point.concurrency else f"{point.rate:g} req/s Poisson"
    return f"{load}, ISL/OSL {point.isl}/{point.osl}"


def validate(names: list[str]) -> list[str]:
    rows = [
        "| profile | scenario | metric | published ms | FakeAI over HTTP ms | ratio | engine alone ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        profile = load_profile(name)
        if not profile.calibration.points:
            continue
        latency = ProfileLatency(profile)
        for point in profile.calibration.points:
            server = Server(
                f"latency-{name}",
                fakeai("granian", f"--latency-model=profile:{name}"),
                cpus=None,
            )
            server.start()
            try:
                measured = asyncio.run(asyncio.wait_for(_scenario(server.port, point), LIMIT_S))
            finally:
                server.stop()
            alone = replay(latency, point)
            for metric in ("ttft_ms", "itl_ms", "tpot_ms"):
                published = getattr(point, metric)
                if published is None:
                    continue
                got = measured[metric]
                rows.append(
                    f"| {name} | {_label(point)} | {metric.removesuffix('_ms').upper()} | {published:.2f} "
                    f"| {got:.2f} | {got / published:.2f} | {alone.value(metric):.2f} |"
                )
                print(rows[-1], flush=True)
    return rows


def _update_docs(rows: list[str]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOCS.write_text(f"{head}{BEGIN}\n" + "\n".join(rows) + f"\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default=",".join(profile_names()), help="comma-separated names")
    parser.add_argument("--update-docs", action="store_true", help="rewrite the table in docs/engine.md")
    args = parser.parse_args()
    try:
        rows = validate([n for n in args.profiles.split(",") if n])
    finally:
        stop_all()
    print("\n".join(rows))
    if args.update_docs:
        _update_docs(rows)
        print(f"updated {DOCS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
