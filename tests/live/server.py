"""Start ``fakeai server`` as a real process on a free loopback port, and stop it by its PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self, workers: int) -> bool:
        """Readiness, not liveness: timing tests must not race the vocabulary loading of any worker."""
        if workers > 1:
            return self.log().count(" ready: ") >= workers
        try:
            return httpx2.get(f"{self.url}/health/ready", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    def children(self) -> list[int]:
        """PIDs of the server's worker processes."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []


@contextmanager
def live_server(
    *flags: str,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
    timeout: float = 60.0,
    cpus: set[int] | None = None,
) -> Iterator[LiveServer]:
    """A started, ready server, on the CPUs ``cpus`` if given (as ``taskset`` would). With ``--workers N``
    (N > 1) the log must be at info or debug level: readiness is per worker, so it waits for every worker's
    ready line, not just one 200."""
    workers = int(flags[flags.index("--workers") + 1]) if "--workers" in flags else 1
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FAKEAI_")}
    environment.update(env or {})
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fakeai",
                    "server",
                    "--host",
                    host,
                    "--port",
                    str(port),
                    *flags,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
                preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
            )
        server = LiveServer(process, f"http://{host}:{port}", log_path)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()}")
                if server.ready(workers):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready after {timeout}s:\n{server.log()}")
                time.sleep(0.05)
            yield server
        finally:
            stop(process, grace=10)  # the server and its workers


def launch(*flags: str) -> tuple[subprocess.Popen[bytes], int]:
    """``fakeai server`` with its defaults on a free port, output discarded: for start/stop timing."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeai", "server", "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process, port


def seconds_until_health(port: int, started: float, limit: float = 10.0) -> float:
    """Seconds from ``started`` (time.monotonic) to the first 200 on /health; inf after ``limit``."""
    while time.monotonic() - started < limit:
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return time.monotonic() - started
        except httpx2.TransportError:
            pass
        time.sleep(0.02)
    return float("inf")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process and its live children (the workers) have used."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for one in pids:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the server's process group; SIGKILL it if it has not exited within ``grace`` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
