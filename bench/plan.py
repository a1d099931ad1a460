"""What a ``make bench`` run measures and with what (``Plan``, ``Context``), and the start-up its sections
share: FakeAI's argv, the ``--baseline`` row, servers started together and settled."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.servers import Server, Unavailable, fakeai


@dataclass(frozen=True)
class Plan:
    rounds: int = 3  # interleaved repetitions of each wrk configuration
    wrk_s: int = 3
    startup_rounds: int = 5
    levels: tuple[int, ...] = (250, 500, 1000, 1500, 2000, 2500)
    sweep_rounds: int = 2
    tokens: int = 50  # per streamed request: 0.1 s + 49 x 20 ms, about 1 s
    itl_ms: float = 20.0
    ttft_ms: float = 100.0
    ramp_s: float = 1.0  # the connections' starts spread over this, so requests do not arrive in lockstep
    stream_limit_s: float = 30.0
    memory_checkpoints: tuple[int, ...] = (10_000, 100_000)
    memory_limit_s: float = 90.0
    burst_streams: int = 200
    burst_rounds: int = 3


QUICK = Plan(
    rounds=2,
    wrk_s=2,
    startup_rounds=3,
    levels=(500, 1000, 2000),
    sweep_rounds=1,
    stream_limit_s=20.0,
    memory_checkpoints=(2_000, 20_000),
    memory_limit_s=30.0,
    burst_rounds=2,
)


@dataclass
class Context:
    plan: Plan
    server_cpu: str | None  # the core every measured server is pinned to
    load_cpu: str | None  # the core wrk and the stream client are pinned to
    all_cpus: str | None
    wrk: str | None = None
    wrk_missing: str | None = None
    notes: list[str] = field(default_factory=list)
    #: ``--baseline REV``: (row name, its ``src``) of an earlier commit, run beside FakeAI (or why not).
    baseline: tuple[str, Path | Unavailable] | None = None


def fakeai_fast(kind: str, workers: int = 1) -> list[str]:
    return fakeai(kind, "--ttft-ms=0", "--itl-ms=0", workers=workers)


def with_baseline(
    ctx: Context, configs: dict[str, Any], argv: list[str], env: dict[str, dict[str, str]]
) -> None:
    """Add the ``--baseline`` row, if asked for: FakeAI's ``argv`` on the earlier commit's code."""
    if ctx.baseline is None:
        return
    name, src = ctx.baseline
    configs[name] = src if isinstance(src, Unavailable) else argv
    if not isinstance(src, Unavailable):
        env[name] = {"PYTHONPATH": str(src)}


def start_all(ctx: Context, configs: dict[str, list[str] | Unavailable], **kw: Any) -> dict[str, Any]:
    """Start each configuration; those that cannot start become rows that say why."""
    servers: dict[str, Any] = {}
    for name, argv in configs.items():
        if isinstance(argv, Unavailable):
            servers[name] = argv
            continue
        server = Server(name, argv, cpus=kw.get("cpus", ctx.server_cpu), env=kw.get("env", {}).get(name))
        try:
            server.start()
            servers[name] = server
        except Unavailable as error:
            servers[name] = error
    for server in servers.values():  # all started first: their background warm-ups overlap
        if isinstance(server, Server):
            server.idle_rss_kb = server.settle()
    return servers
