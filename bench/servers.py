"""Start, probe and stop the benchmarked servers, each in its own process group pinned to one core.

Every server runs in a new session (``start_new_session``), so stopping it kills the whole group: Granian
and uvicorn fork worker processes, and a server left behind would skew the next measurement (and keep its
port). ``stop_all`` runs on exit, errors and Ctrl-C alike.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
ORIGINAL_VERSION = "0.3.2"
#: aimock (npm), the Node mock app developers test against: a peer reference row in the requests section.
AIMOCK_PACKAGE = "@copilotkit/aimock@1.43.0"

_running: list[Server] = []


class Unavailable(Exception):
    """A configuration that cannot run here (not installed, unknown option, ...): its row says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(argv: Sequence[str], cpus: str | None) -> list[str]:
    """``argv`` under ``taskset -c cpus`` (no pinning when cpus is None or taskset is missing)."""
    if cpus is None or shutil.which("taskset") is None:
        return list(argv)
    return ["taskset", "-c", cpus, *argv]


class Server:
    """One server process group listening on a free loopback port."""

    def __init__(
        self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None, cpus: str | None
    ) -> None:
        self.name = name
        self.port = free_port()
        self.argv = pinned([arg.replace("{port}", str(self.port)) for arg in argv], cpus)
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_s = math.nan
        self.idle_rss_kb = 0
        self.log_path = BENCH / "results" / "logs" / f"{name.replace(' ', '-')}.log"

    def start(self, limit_s: float = 60.0) -> float:
        """Spawn and wait for ``GET /health`` to answer 200; returns the seconds that took."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        _running.append(self)
        while time.perf_counter() - started < limit_s:
            if self.process.poll() is not None:
                self.stop()
                raise Unavailable(f"exited with {self.process.returncode}: {self._last_log_line()}")
            if _health(self.port):
                self.startup_s = time.perf_counter() - started
                return self.startup_s
            time.sleep(0.01)
        self.stop()
        raise Unavailable(f"no 200 from /health within {limit_s:.0f} s")

    def stop(self) -> None:
        if self.process is None or self not in _running:
            return
        _running.remove(self)
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # workers that outlived their parent, same group
            os.killpg(self.process.pid, signal.SIGKILL)

    def pids(self) -> list[int]:
        """The server's process tree, parent first."""
        assert self.process is not None
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        tree, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop(0)
            tree.append(pid)
            todo.extend(children.get(pid, []))
        # taskset execs in place, so the pid is the server's own; a leaf is a process without children.
        self._leaves = [pid for pid in tree if pid not in children]
        return tree

    def rss_kb(self) -> tuple[int, int]:
        """(VmRSS of the whole tree, VmRSS of the worker processes) in KB.

        The tree sum counts pages a forked worker shares with its parent twice; the worker figure is what
        serving costs (with one worker and no fork, as uvicorn runs, both are the same process).
        """
        tree = self.pids()
        sizes = {pid: _vm_rss_kb(pid) for pid in tree}
        return sum(sizes.values()), sum(sizes[pid] for pid in self._leaves)

    def pss_kb(self) -> int:
        """Proportional set size of the whole tree (KB): each shared page split between the processes
        that map it, so pages a forked worker inherits (FakeAI's vocabularies) are counted once."""
        return sum(_pss_kb(pid) for pid in self.pids())

    def settle(self, limit_s: float = 20.0) -> int:
        """Worker RSS (KB) once the server is idle: its CPU time still and its RSS steady for a second
        (a server may still be warming up after its first 200; every load run waits for it)."""
        started = time.perf_counter()
        cpu, rss = self.cpu_s(), self.rss_kb()[1]
        while time.perf_counter() - started < limit_s:
            time.sleep(1.0)
            cpu_now, rss_now = self.cpu_s(), self.rss_kb()[1]
            if cpu_now - cpu < 0.05 and abs(rss_now - rss) <= 0.01 * rss:
                return rss_now
            cpu, rss = cpu_now, rss_now
        return rss

    def chat(self, body: str) -> int:
        """One non-streaming chat request; its status."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10.0)
        try:
            conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def cpu_s(self) -> float:
        """User + system CPU seconds of the whole process tree."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return total / ticks

    def _last_log_line(self) -> str:
        lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        return lines[-1][-200:] if lines else "no output"


def stop_all() -> None:
    for server in list(_running):
        server.stop()


def _health(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _vm_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# The configurations. "{port}" is replaced by each server's port.


def fakeai(kind: str, *extra: str, workers: int = 1) -> list[str]:
    venv_bin = Path(sys.executable).parent
    return [
        str(venv_bin / "fakeai"),
        "server",
        "--host=127.0.0.1",
        "--port={port}",
        f"--server={kind}",
        f"--workers={workers}",
        "--log-level=warning",
        *extra,
    ]


def limit() -> list[str]:
    # A backpressure above the largest stream count: Granian's default (backlog / workers = 1,024
    # concurrent requests per worker) would queue the rest and cap the sweep, not the app.
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface=rsgi",
        "--host=127.0.0.1",
        "--port={port}",
        "--loop=uvloop",
        "--log-level=warning",
        "--no-ws",
        "--backlog=4096",
        "--backpressure=16384",
        "bench.limit:app",
    ]


def original(venv: Path) -> list[str]:
    # Its defaults add a simulated TTFT/ITL with 10 % jitter; "0:0" turns both off, as --ttft-ms 0 does
    # for FakeAI. No API key is required by default. It logs every request at INFO: that cost is its own.
    return [
        str(venv / "bin" / "fakeai"),
        "server",
        "--host=127.0.0.1",
        "--port={port}",
        "--ttft=0:0",
        "--itl=0:0",
        "--response-delay=0",
        "--no-random-delay",
    ]


def ensure_baseline(rev: str, under: Path) -> Path:
    """The ``src`` of commit ``rev`` of this repository, exported once under ``under/<sha>``: a baseline
    FakeAI row runs this checkout's venv with it first on ``PYTHONPATH``, so the two share every
    dependency and differ only in FakeAI's code. Unavailable outside a git checkout or for an unknown rev."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        raise Unavailable(f"no commit {rev!r} here: {error}") from error
    target = under / sha[:12]
    if not (target / ".exported").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", sha, "src"],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True, timeout=120)
        (target / ".exported").touch()
    return target / "src"


def ensure_original(venv: Path) -> Path:
    """The original FakeAI from PyPI in its own venv, created once and reused; Unavailable if offline."""
    stamp = venv / ".installed-stamp"
    if stamp.exists():
        return venv
    print(f"bench: installing fakeai=={ORIGINAL_VERSION} from PyPI into {venv.relative_to(ROOT)} (once)")
    # The base interpreter, not this venv's: the original must not see this checkout's fakeai.
    base = getattr(sys, "_base_executable", sys.executable)
    try:
        subprocess.run([base, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                f"fakeai=={ORIGINAL_VERSION}",
                "pillow",
            ],
            check=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as error:
        raise Unavailable(f"pip install fakeai=={ORIGINAL_VERSION} failed (no network?): {error}") from error
    stamp.touch()
    return venv


def aimock(prefix: Path) -> list[str]:
    # One fixture answers the benchmark's message with a reply of the limit's length (bench/aimock/).
    cli = prefix / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
    return [
        shutil.which("node") or "node",
        str(cli),
        "--host=127.0.0.1",
        "--port={port}",
        f"--fixtures={BENCH / 'aimock' / 'chat.json'}",
        "--log-level=silent",
    ]


def ensure_aimock(prefix: Path) -> Path:
    """aimock from npm under ``prefix``, installed once and reused; Unavailable without npm or network."""
    stamp = prefix / ".installed-stamp"
    if stamp.exists():
        return prefix
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise Unavailable("node and npm are needed (apt-get install nodejs npm)")
    print(f"bench: installing {AIMOCK_PACKAGE} from npm into {prefix.relative_to(ROOT)} (once)")
    prefix.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--no-save", AIMOCK_PACKAGE],
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
    except (subprocess.SubprocessError, OSError) as error:
        raise Unavailable(f"npm install {AIMOCK_PACKAGE} failed (no network?): {error}") from error
    stamp.touch()
    return prefix
