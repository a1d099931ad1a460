"""The streaming sections of ``make bench``: the concurrent-streams sweep and the burst of simultaneous
arrivals, FakeAI and the limit interleaved (docs/performance.md)."""

from __future__ import annotations

from typing import Any

from bench import report
from bench.load import run_streams
from bench.plan import Context, start_all, with_baseline
from bench.servers import Server, Unavailable, fakeai, limit


def section_streams(ctx: Context) -> dict[str, Any]:
    """The concurrent-streams sweep at the configured TTFT/ITL, FakeAI and the limit interleaved."""
    plan = ctx.plan
    paced = fakeai("granian", f"--ttft-ms={plan.ttft_ms}", f"--itl-ms={plan.itl_ms}")
    configs: dict[str, Any] = {"limit": limit(), "fakeai granian": paced}
    # One timer per ITL for all streams, as an engine steps its batch (see bench/limit.py).
    env = {
        "limit": {
            "LIMIT_PACING": "tick",
            "LIMIT_TTFT_MS": str(plan.ttft_ms),
            "LIMIT_ITL_MS": str(plan.itl_ms),
        }
    }
    with_baseline(ctx, configs, paced, env)
    servers = start_all(ctx, configs, env=env)
    rows: dict[str, dict[str, Any]] = {}
    try:
        for name, server in servers.items():
            if isinstance(server, Unavailable):
                rows[name] = {"unavailable": str(server)}
                continue
            rows[name] = {"startup_s": server.startup_s, "cold_rss_kb": server.idle_rss_kb, "levels": {}}
            rows[name]["idle_rss_kb"] = 0
            _stream(ctx, server, 50, rows[name])  # warm-up, not recorded
            # The per-stream baseline is the warm idle server: what the first request loads is not per stream.
            rows[name]["idle_rss_kb"] = server.settle()
        active = [name for name in rows if "levels" in rows[name]]
        for level in plan.levels:
            for _ in range(plan.sweep_rounds):
                for name in active:
                    run = _stream(ctx, servers[name], level, rows[name])
                    rows[name]["levels"].setdefault(str(level), []).append(run)
            for name in [n for n in active if n != "limit"]:  # the reference covers every level
                # Past two failing levels a run only takes longer and says nothing new: stop that server.
                failing = [
                    not report.passes(report.level_summary(runs), plan.itl_ms, plan.ttft_ms)
                    for runs in list(rows[name]["levels"].values())[-2:]
                ]
                if len(failing) == 2 and all(failing):
                    active.remove(name)
                    rows[name]["stopped_after"] = level
        for name in rows:
            if "levels" in rows[name]:
                rows[name]["max_streams"] = report.max_streams(
                    rows[name]["levels"], plan.itl_ms, plan.ttft_ms
                )
    finally:
        for server in servers.values():
            if isinstance(server, Server):
                server.stop()
    return rows


def _stream(
    ctx: Context, server: Server, streams: int, row: dict[str, Any], ramp_s: float | None = None
) -> dict[str, Any]:
    if server.process is None or server.process.poll() is not None:
        raise RuntimeError(f"{server.name} died; see {server.log_path}")
    ramp_s = ctx.plan.ramp_s if ramp_s is None else ramp_s
    peak = [0]

    def sample() -> None:  # the worker's RSS while the run holds its streams open
        peak[0] = max(peak[0], server.rss_kb()[1])

    plan = ctx.plan
    run = run_streams(
        server.port,
        streams,
        tokens=plan.tokens,
        ramp_s=ramp_s,
        limit_s=plan.stream_limit_s,
        cpus=ctx.load_cpu,
        sample=sample,
        metrics=server.name.startswith("fakeai"),  # the limit has no /metrics
    )
    run["rss_peak_kb"] = peak[0]
    run["kb_per_stream"] = max(0, peak[0] - row["idle_rss_kb"]) / streams
    return run


def section_burst(ctx: Context) -> dict[str, Any]:
    """``burst_streams`` streams arriving at once (no ramp), FakeAI and the limit interleaved, a fresh
    server each round: client TTFT against the configured one, and FakeAI's own TTFT histogram against
    what the client measured over the same requests."""
    plan = ctx.plan
    configs = {
        "limit": limit(),
        "fakeai granian": fakeai("granian", f"--ttft-ms={plan.ttft_ms}", f"--itl-ms={plan.itl_ms}"),
    }
    env = {"LIMIT_PACING": "tick", "LIMIT_TTFT_MS": str(plan.ttft_ms), "LIMIT_ITL_MS": str(plan.itl_ms)}
    rows: dict[str, dict[str, Any]] = {name: {"runs": []} for name in configs}
    for _ in range(plan.burst_rounds):
        for name, argv in configs.items():
            if "unavailable" in rows[name]:
                continue
            server = Server(name, argv, cpus=ctx.server_cpu, env=env if name == "limit" else None)
            try:
                server.start()
                row = {"idle_rss_kb": server.settle()}
                rows[name]["runs"].append(_stream(ctx, server, plan.burst_streams, row, ramp_s=0.0))
            except Unavailable as error:
                rows[name]["unavailable"] = str(error)
            finally:
                server.stop()
    return rows
