"""The load generators: wrk for non-streaming requests/s, bench/stream_load.py for concurrent streams.

Both run as separate processes pinned to the load core, so the harness's own bookkeeping never competes
with the server or the client; each run is bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from bench.servers import BENCH, pinned

CHAT_BODY = (
    '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, how are you today?"}],'
    '"max_tokens":16,"ignore_eos":true}'
)
WRK_SCRIPT = f"""wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
wrk.body = '{CHAT_BODY}'
"""
_UNITS = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
_TIME_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def ensure_wrk() -> str:
    """wrk's path; installs the Debian package when running as root with apt, otherwise explains."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: wrk not found; installing it with apt-get")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, timeout=300)
        found = shutil.which("wrk")
        if found:
            return found
    raise FileNotFoundError("wrk is not installed: run `sudo apt-get install wrk` (Debian/Ubuntu)")


def parse_wrk(text: str) -> dict[str, float]:
    """The numbers of wrk's report: requests, seconds, req/s, latency, non-2xx and socket errors."""
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not done or not rate:
        raise ValueError(f"not a wrk report: {text[-300:]!r}")
    seconds = float(done.group(2)) * _TIME_UNITS[done.group(3)] / 1000
    latency = re.search(r"Latency\s+([\d.]+)(\w+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "requests": int(done.group(1)),
        "seconds": seconds,
        "rps": float(rate.group(1)),
        "latency_avg_ms": float(latency.group(1)) * _TIME_UNITS[latency.group(2)]
        if latency
        else float("nan"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(n) for n in sockets.groups()) if sockets else 0,
    }


def run_wrk(
    wrk: str, port: int, seconds: int, cpus: str | None, connections: int = 64, threads: int = 1
) -> dict[str, float]:
    script = BENCH / "results" / "chat.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(WRK_SCRIPT)
    wrk_argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout=5s", "-s", str(script)]
    argv = [*pinned(wrk_argv, cpus), f"http://127.0.0.1:{port}/v1/chat/completions"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    result = parse_wrk(out.stdout)
    result["errors"] = result["non2xx"] + result["socket_errors"]
    return result


def run_streams(
    port: int,
    streams: int,
    *,
    tokens: int,
    ramp_s: float,
    limit_s: float,
    cpus: str | None,
    sample: Callable[[], None] | None = None,
    metrics: bool = False,
) -> dict[str, float]:
    """One stream_load run in its own process; ``sample`` is called every 0.2 s while it runs. With
    ``metrics`` the result also has the server's TTFT mean over the run (``server_ttft_mean_ms``)."""
    argv = pinned(
        [
            sys.executable,
            str(Path(__file__).with_name("stream_load.py")),
            f"--port={port}",
            f"--streams={streams}",
            f"--tokens={tokens}",
            "--requests=2",  # one warm-up, one measured request per connection
            f"--ramp={ramp_s}",
            f"--timeout={limit_s}",
            *(["--metrics"] if metrics else []),
        ],
        cpus,
    )
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_until, args=(stop, sample), daemon=True) if sample else None
    if sampler:
        sampler.start()
    try:
        out, err = process.communicate(timeout=limit_s + 30)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    if sampler:
        sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"stream_load failed: {err.strip()[-500:]}")
    return json.loads(out)


def _sample_until(stop: threading.Event, sample: Callable[[], None]) -> None:
    while not stop.wait(0.2):
        sample()
