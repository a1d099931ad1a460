"""``make bench``: FakeAI against the limit of its stack and the original FakeAI, on this machine, now.

    python -m bench.run [--quick] [--only streams,requests] [--update-docs]

The server runs pinned to one core and the load to another; every configuration of a section runs
interleaved (A B C A B C ...), so that the noise of a shared machine spreads over all of them, and the
table shows medians. docs/performance.md explains each section and the targets.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench import report
from bench.load import CHAT_BODY, ensure_wrk, run_wrk
from bench.plan import QUICK, Context, Plan, fakeai_fast, start_all, with_baseline
from bench.plot import streams as streams_plot
from bench.servers import (
    BENCH,
    ROOT,
    Server,
    Unavailable,
    aimock,
    ensure_aimock,
    ensure_baseline,
    ensure_original,
    limit,
    original,
    stop_all,
)
from bench.streaming import section_burst, section_streams

SECTIONS = ("startup", "requests", "streams", "burst", "memory", "workers", "embeddings")
FAKEAI_KINDS = ("granian", "granian-asgi", "uvicorn")


def section_startup(ctx: Context) -> dict[str, Any]:
    """Spawn to first 200 on /health for each server, interleaved; RSS then, and once settled (last round)."""
    configs = {"limit": limit(), **{f"fakeai {kind}": fakeai_fast(kind) for kind in FAKEAI_KINDS}}
    rows: dict[str, dict[str, Any]] = {
        name: {"startup_s": [], "startup_cpu_s": [], "ready_rss_kb": []} for name in configs
    }
    for round_ in range(ctx.plan.startup_rounds):
        for name, argv in configs.items():
            if "unavailable" in rows[name]:
                continue
            server = Server(name, argv, cpus=ctx.server_cpu)
            try:
                rows[name]["startup_s"].append(server.start())
            except Unavailable as error:
                rows[name]["unavailable"] = str(error)
                continue
            rows[name]["startup_cpu_s"].append(server.cpu_s())  # what start-up costs, whatever else runs
            rows[name]["ready_rss_kb"].append(server.rss_kb()[1])
            if round_ == ctx.plan.startup_rounds - 1:  # settling takes seconds: once is enough
                rows[name]["idle_rss_kb"] = server.settle()
                rows[name]["idle_rss_tree_kb"], _ = server.rss_kb()
                rows[name]["idle_pss_tree_kb"] = server.pss_kb()
                # Lazy work (a tokenizer vocabulary, say) shows after the first request, not at idle.
                rows[name]["first_chat_status"] = server.chat(CHAT_BODY)
                rows[name]["warm_rss_kb"] = server.settle()
            server.stop()
    return rows


def section_requests(ctx: Context) -> dict[str, Any]:
    """Non-streaming chat completions/s under wrk (64 connections), every server interleaved."""
    configs: dict[str, Any] = {"limit": limit()}
    try:
        configs["original 0.3.2"] = original(ensure_original(BENCH / ".venv-original"))
    except Unavailable as error:
        configs["original 0.3.2"] = error
    try:
        configs["aimock"] = aimock(ensure_aimock(BENCH / ".aimock"))
    except Unavailable as error:
        configs["aimock"] = error
    configs.update({f"fakeai {kind}": fakeai_fast(kind) for kind in FAKEAI_KINDS})
    env: dict[str, dict[str, str]] = {}
    with_baseline(ctx, configs, fakeai_fast("granian"), env)
    return _wrk_rounds(ctx, start_all(ctx, configs, env=env), ctx.load_cpu)


def section_workers(ctx: Context) -> dict[str, Any]:
    """--workers 1 against 2, nothing pinned: the workers and wrk share all cores (see the docs).

    wrk gets a thread per core here: one wrk thread competing with two workers for two cores is
    descheduled often enough to become the bottleneck, which would hide any scaling.
    """
    configs = {f"fakeai --workers {n}": fakeai_fast("granian", workers=n) for n in (1, 2)}
    threads = len(ctx.all_cpus.split(",")) if ctx.all_cpus else 1
    return _wrk_rounds(ctx, start_all(ctx, configs, cpus=ctx.all_cpus), ctx.all_cpus, threads)


def section_embeddings(ctx: Context) -> dict[str, Any]:
    """Embedding inputs per CPU-second, in process on the server's core (bench/embeddings.py)."""
    from bench import embeddings

    requests = 60 if ctx.plan is QUICK else 150
    return embeddings.measure(requests=requests, cpu=ctx.server_cpu)


def _wrk_rounds(
    ctx: Context, servers: dict[str, Any], wrk_cpus: str | None, threads: int = 1
) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    try:
        for name, server in servers.items():
            if isinstance(server, Unavailable):
                rows[name] = {"unavailable": str(server)}
            elif ctx.wrk is None:
                rows[name] = {"unavailable": ctx.wrk_missing}
            else:
                rows[name] = {"startup_s": server.startup_s, "idle_rss_kb": server.idle_rss_kb, "runs": []}
                # Warm-up: first requests and lazy loads (a vocabulary per worker process: seconds on a
                # loaded machine, and a worker still loading stalls its connections), until the rate
                # stops rising: at least two 1 s runs, at most ten.
                best = 0.0
                for attempt in range(10):
                    rps = run_wrk(ctx.wrk, server.port, 1, wrk_cpus, threads=threads)["rps"]
                    if attempt and rps > 0 and rps >= 0.8 * best:
                        break
                    best = max(best, rps)
        live = {name: s for name, s in servers.items() if "runs" in rows.get(name, {})}
        for _ in range(ctx.plan.rounds):
            for name, server in live.items():
                cpu = server.cpu_s()
                run = run_wrk(ctx.wrk, server.port, ctx.plan.wrk_s, wrk_cpus, threads=threads)
                # The server tree's CPU per request: what N workers cost each other, whatever the cores.
                run["cpu_us_per_request"] = (server.cpu_s() - cpu) / max(run["requests"], 1) * 1e6
                rows[name]["runs"].append(run)
        for name, server in live.items():
            rows[name]["rps"] = statistics.median(run["rps"] for run in rows[name]["runs"])
            rows[name]["errors"] = sum(run["errors"] for run in rows[name]["runs"])
            rows[name]["rss_after_kb"] = server.rss_kb()[1]
    finally:
        for server in servers.values():
            if isinstance(server, Server):
                server.stop()
    return rows


def section_memory(ctx: Context) -> dict[str, Any]:
    """Worker RSS after the first and the last checkpoint of non-streaming requests (flat = within 5 %)."""
    if ctx.wrk is None:
        return {"fakeai granian": {"unavailable": ctx.wrk_missing}}
    servers = start_all(ctx, {"fakeai granian": fakeai_fast("granian")})
    server = servers["fakeai granian"]
    if isinstance(server, Unavailable):
        return {"fakeai granian": {"unavailable": str(server)}}
    row: dict[str, Any] = {"idle_rss_kb": server.idle_rss_kb, "checkpoints": {}, "errors": 0}
    total, chunk_s, started = 0, 1, time.perf_counter()
    try:
        for checkpoint in ctx.plan.memory_checkpoints:
            while total < checkpoint and time.perf_counter() - started < ctx.plan.memory_limit_s:
                run = run_wrk(ctx.wrk, server.port, chunk_s, ctx.load_cpu)
                total += run["requests"]
                row["errors"] += run["errors"]
                # Size the next chunk to land near the checkpoint, a few seconds at most.
                chunk_s = int(min(5, max(1, (checkpoint - total) / max(run["rps"], 1))))
            row["checkpoints"][str(checkpoint)] = {"requests": total, "rss_kb": server.rss_kb()[1]}
    finally:
        server.stop()
    row["requests"] = total
    return {"fakeai granian": row}


RUNNERS = {
    "startup": section_startup,
    "requests": section_requests,
    "streams": section_streams,
    "burst": section_burst,
    "memory": section_memory,
    "workers": section_workers,
    "embeddings": section_embeddings,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and levels: about a minute and a half"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of each wrk configuration")
    parser.add_argument("--update-docs", action="store_true", help="copy the streams plot to docs/")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run FakeAI at commit REV in the requests and streams sections (same run, same venv)",
    )
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := set(sections) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    plan = QUICK if args.quick else Plan()
    if args.rounds:
        plan = replace(plan, rounds=args.rounds)
    ctx = _context(plan)
    if args.baseline:
        try:
            src: Path | Unavailable = ensure_baseline(args.baseline, BENCH / ".baseline")
        except Unavailable as error:
            src = error
        ctx.baseline = (f"baseline @{args.baseline}", src)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # through the finally below: servers stop
    results: dict[str, Any] = {"meta": _meta(ctx, args, sections), "sections": {}}
    started = time.perf_counter()
    try:
        for section in sections:
            print(f"bench: {section} ...", flush=True)
            section_started = time.perf_counter()
            results["sections"][section] = RUNNERS[section](ctx)
            results["meta"].setdefault("section_s", {})[section] = round(
                time.perf_counter() - section_started, 1
            )
    except KeyboardInterrupt:
        print("bench: interrupted; reporting what finished", file=sys.stderr)
        results["meta"]["interrupted"] = True
    finally:
        stop_all()
    results["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
    out = BENCH / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=1, default=str))
    print(report.table(results, plan))
    if "streams" in results["sections"]:
        plot = streams_plot(results["sections"]["streams"], plan, out / "streams.png")
        if plot and args.update_docs:
            shutil.copy(plot, ROOT / "docs" / "performance-streams.png")
            print("bench: copied the plot to docs/performance-streams.png")
    print(f"bench: results in {(out / 'latest.json').relative_to(ROOT)}")
    return 0


def _context(plan: Plan) -> Context:
    cpus = sorted(os.sched_getaffinity(0))
    ctx = Context(plan, None, None, None)
    if len(cpus) >= 2 and shutil.which("taskset"):
        ctx.server_cpu, ctx.load_cpu = str(cpus[0]), str(cpus[1])
        ctx.all_cpus = ",".join(map(str, cpus))
        os.sched_setaffinity(0, {cpus[1]})  # the harness's own polling stays off the server's core
    else:
        ctx.notes.append("not pinned: needs 2 cores and taskset (util-linux); numbers are indicative only")
    try:
        ctx.wrk = ensure_wrk()
    except FileNotFoundError as error:
        ctx.wrk_missing = str(error)
        ctx.notes.append(str(error))
    return ctx


def _meta(ctx: Context, args: argparse.Namespace, sections: list[str]) -> dict[str, Any]:
    import granian

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "granian": granian.__version__,
        "server_cpu": ctx.server_cpu,
        "load_cpu": ctx.load_cpu,
        "quick": args.quick,
        "sections": sections,
        "plan": asdict(ctx.plan),
        "notes": ctx.notes,
    }


if __name__ == "__main__":
    sys.exit(main())
