"""The CLI's commands that read a running server: ``status``, ``metrics``, ``cache-stats``, ``models``,
``costs``.

Standard library only (``urllib``): they must work wherever ``fakeai`` is installed, and they only GET.
Each returns the text to print; a server that cannot be reached raises ``RemoteError``.
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT = 10.0  # seconds


class RemoteError(Exception):
    pass


def fetch(base: str, path: str, api_key: str | None = None) -> bytes:
    request = urllib.request.Request(base.rstrip("/") + path)
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 503 and path == "/health/ready":
            return exc.read()  # "loading" is an answer, not a failure
        raise RemoteError(f"{base}{path}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RemoteError(f"cannot reach {base}: {getattr(exc, 'reason', exc)}") from None


def fetch_json(base: str, path: str, api_key: str | None = None) -> Any:
    return json.loads(fetch(base, path, api_key))


def status(base: str) -> str:
    """Readiness, then per model: requests, tokens and latency percentiles; per worker: load and KV."""
    ready = fetch_json(base, "/health/ready")
    summary = fetch_json(base, "/metrics/json")
    lines = [
        f"{ready['status']}  version {ready['version']}  up {ready['uptime_seconds']:.0f} s  "
        f"running {ready['running_sequences']}  waiting {ready.get('waiting_sequences', 0)}"
    ]
    models = summary.get("models", {})
    if models:
        lines.append("")
        lines.append(
            f"{'model':32} {'done':>6} {'prompt':>9} {'output':>9} {'TTFT p50/p99 ms':>17} {'ITL p50 ms':>10}"
        )
        for name, m in sorted(models.items()):
            ttft, itl = m["ttft_seconds"], m["itl_seconds"]
            lines.append(
                f"{name[:32]:32} {m['requests']['finished']:>6} {m['prompt_tokens']:>9} "
                f"{m['generation_tokens']:>9} {_ms(ttft['p50']):>8}/{_ms(ttft['p99']):<8} "
                f"{_ms(itl['p50']):>10}"
            )
    lines.append("")
    lines.append(f"{'worker':>6} {'running':>8} {'waiting':>8} {'KV usage':>9} {'preemptions':>12}")
    for w in summary.get("workers", []):
        lines.append(
            f"{w['index']:>6} {w['running']:>8} {w['waiting']:>8} {w['kv_cache_usage']:>9.1%} "
            f"{w['preemptions']:>12}"
        )
    return "\n".join(lines)


def cache_stats(base: str) -> str:
    data = fetch_json(base, "/kv-cache/metrics")
    lines = [
        f"{'worker':>6} {'blocks used/total':>18} {'usage':>7} {'prefix hit rate':>16} {'preemptions':>12}"
    ]
    for w in [*data["workers"], {**data["total"], "worker": "all"}]:
        lines.append(
            f"{w['worker']!s:>6} {w['blocks_used']:>8}/{w['blocks_total']:<9} {w['usage']:>7.1%} "
            f"{w['prefix_cache_hit_rate']:>16.1%} {w['preemptions']:>12}"
        )
    return "\n".join(lines)


METRICS_PATHS = {
    "vllm": "/metrics",
    "dynamo": "/dynamo/metrics",
    "dcgm": "/dcgm/metrics",
    "json": "/metrics/json",
}


def metrics(base: str, kind: str) -> str:
    """The raw exposition (or the JSON summary) of one metrics family."""
    body = fetch(base, METRICS_PATHS[kind])
    if kind == "json":
        return json.dumps(json.loads(body), indent=2)
    return body.decode()


def models(base: str, api_key: str | None) -> str:
    data = fetch_json(base, "/v1/models", api_key)
    return "\n".join(f"{m['id']:48} {m.get('owned_by', '')}" for m in data["data"])


def costs(base: str, api_key: str | None, as_csv: bool) -> str:
    """Requests, tokens and USD per model since the server started (the catalog's prices)."""
    text = fetch(base, "/v1/organization/costs.csv", api_key).decode()
    if as_csv:
        return text.rstrip("\n")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    total = sum(float(row[-1]) for row in body)
    lines = [f"{header[0]:48} {'requests':>9} {'input':>11} {'cached':>10} {'output':>10} {'USD':>11}"]
    for model, requests, inputs, cached, output, usd in body:
        lines.append(
            f"{model:48} {int(requests):>9} {int(inputs):>11} {int(cached):>10} {int(output):>10} "
            f"{float(usd):>11.6f}"
        )
    lines.append(f"{'total':48} {'':>9} {'':>11} {'':>10} {'':>10} {total:>11.6f}")
    return "\n".join(lines)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"
