"""``fakeai top``: the dashboard's numbers in a terminal, for a server without a browser.

It reads the same push feed as the page (``/metrics/stream``, one frame a second) with the standard
library, and redraws with rich (the lighter of rich and textual: no app framework, one ``Live`` view).
``--frames N`` stops after N frames (scripts, tests); Ctrl-C stops it otherwise.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text


def frames(base: str, api_key: str | None = None, timeout: float = 10.0) -> Iterator[dict[str, Any]]:
    """The feed's frames, as they come; raises ``OSError`` if the server cannot be reached."""
    request = urllib.request.Request(base.rstrip("/") + "/metrics/stream")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        for raw in response:
            line = raw.decode().strip()
            if line.startswith("data: "):
                yield json.loads(line.removeprefix("data: "))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def render(frame: dict[str, Any]) -> Group:
    """One frame as a headline and two tables."""
    workers = frame["workers"]
    running = sum(w["running"] for w in workers)
    waiting = sum(w["waiting"] for w in workers)
    headline = Text.assemble(
        ("FakeAI  ", "bold"),
        f"{frame['requests_per_s']:.1f} req/s   {frame['generation_tokens_per_s']:.0f} tok/s   ",
        f"TTFT p50 {_ms(frame['ttft_ms']['p50'])}   ITL p50 {_ms(frame['itl_ms']['p50'])}   ",
        f"running {running} / waiting {waiting}   prefix hits {_pct(frame['prefix_hit_rate'])}   ",
        f"errors {frame['errors_per_s']:.2f}/s   cost ${frame['cost_usd']:.4f}",
    )
    models = Table(title="per model", expand=True)
    for column in ("model", "req/s", "tok/s", "TTFT p50", "TTFT p99", "ITL p50", "e2e p50", "cost"):
        models.add_column(column, justify="left" if column == "model" else "right")
    ordered = sorted(frame["models"].items(), key=lambda item: -item[1]["requests_per_s"])
    for name, m in ordered:
        models.add_row(
            name,
            f"{m['requests_per_s']:.1f}",
            f"{m['tokens_per_s']:.0f}",
            _ms(m["ttft_ms"]["p50"]),
            _ms(m["ttft_ms"]["p99"]),
            _ms(m["itl_ms"]["p50"]),
            _ms(m["e2e_ms"]["p50"]),
            f"${m['cost_usd']:.4f}",
        )
    engines = Table(title="per worker", expand=True)
    for column in ("worker", "running", "waiting", "KV cache", "GPU util", "GPU memory", "power"):
        engines.add_column(column, justify="left" if column == "worker" else "right")
    for w in workers:
        engines.add_row(
            f"{w['index']} ({w['gpus']} GPU)",
            str(w["running"]),
            str(w["waiting"]),
            _pct(w["kv_cache_usage"]),
            _pct(w["gpu_utilization"]),
            f"{w['gpu_memory_used_mib'] / 1024:.1f} / {w['gpu_memory_total_mib'] / 1024:.0f} GiB",
            f"{w['gpu_power_watts']:.0f} W",
        )
    return Group(headline, models, engines)


def run(
    base: str, api_key: str | None = None, count: int | None = None, console: Console | None = None
) -> int:
    """Draw frames until ``count`` have been shown (None: until interrupted). Returns the exit code."""
    console = console or Console()
    shown = 0
    try:
        with Live(console=console, auto_refresh=False, transient=False) as live:
            for frame in frames(base, api_key):
                live.update(render(frame), refresh=True)
                shown += 1
                if count is not None and shown >= count:
                    break
    except KeyboardInterrupt:
        pass
    except (urllib.error.URLError, OSError) as exc:
        console.print(f"fakeai: cannot read {base}/metrics/stream: {getattr(exc, 'reason', exc)}")
        return 1
    return 0
