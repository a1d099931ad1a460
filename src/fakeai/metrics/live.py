"""The dashboard's push feed: one frame a second, from the same recorder and snapshots as ``/metrics``.

``LiveFeed.frame()`` reads the registry once and differences its counters against the previous frame, so
rates are per second of engine time over the last interval. One frame serves every subscriber (the
transport fans it out), so an open dashboard costs one read of the registry a second, whoever watches.
GPU figures use the DCGM formulas (metrics/dcgm.py) on the feed's own readings, so the feed never moves
the state that Prometheus scrapes of ``/dcgm/metrics`` integrate.

Times in the frame are milliseconds, rates per second, memory MiB, power watts, cost US dollars.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from fakeai.metrics.dcgm import memory_used_mib, power_watts
from fakeai.metrics.histogram import percentiles
from fakeai.metrics.recorder import Recorder
from fakeai.metrics.usage import Prices, UsageLedger
from fakeai.metrics.view import ClusterView
from fakeai.metrics.vllm import kv_usage


def _ms(values: Iterable[float]) -> dict[str, float | None]:
    p50, p90, p99 = percentiles(values, 50, 90, 99)
    return {k: None if v is None else v * 1000.0 for k, v in (("p50", p50), ("p90", p90), ("p99", p99))}


class LiveFeed:
    def __init__(self, recorder: Recorder, cluster: ClusterView, ledger: UsageLedger, prices: Prices) -> None:
        """Costs are the ledger's billed usage (the organization costs API's), priced by ``prices``."""
        self._recorder = recorder
        self._cluster = cluster
        self._ledger = ledger
        self._prices = prices
        self._previous: dict[str, Any] | None = None  # the counters of the last frame

    def frame(self) -> dict[str, Any]:
        """The current frame; rates are over the interval since the previous call."""
        recorder, now = self._recorder, self._cluster.now()
        snapshots = self._cluster.snapshots()
        counters = self._counters(now, snapshots)
        before = self._previous or counters
        self._previous = counters
        elapsed = max(now - before["now"], 1e-9) if before is not counters else None

        def rate(new: float, old: float) -> float:
            return (new - old) / elapsed if elapsed else 0.0

        models: dict[str, Any] = {}
        for model, m in sorted(recorder.models.items()):
            c, b = counters["models"][model], before["models"].get(model, counters["models"][model])
            models[model] = {
                "requests_per_s": rate(c["finished"], b["finished"]),
                "tokens_per_s": rate(c["generation"], b["generation"]),
                "ttft_ms": _ms(m.ttft_window),
                "itl_ms": _ms(m.itl_window),
                "e2e_ms": _ms(m.e2e_window),
                "cost_usd": c["cost"],
            }
        workers = []
        for s in snapshots:
            busy_then = before["busy"].get(s.index, s.busy_seconds)
            util = min(1.0, max(0.0, rate(s.busy_seconds, busy_then))) if elapsed else 0.0
            gpu = s.gpu
            workers.append(
                {
                    "index": s.index,
                    "running": sum(s.running.values()),
                    "waiting": sum(s.waiting.values()),
                    "kv_cache_usage": kv_usage(s),
                    "gpu_utilization": util,
                    "gpu_memory_used_mib": memory_used_mib(s) * gpu.count,
                    "gpu_memory_total_mib": gpu.memory_mib * gpu.count,
                    "gpu_power_watts": power_watts(gpu, util) * gpu.count,
                    "gpus": gpu.count,
                }
            )
        queries = rate(counters["queries"], before["queries"])
        hits = rate(counters["hits"], before["hits"])
        all_ttft = [x for m in recorder.models.values() for x in m.ttft_window]
        all_itl = [x for m in recorder.models.values() for x in m.itl_window]
        all_e2e = [x for m in recorder.models.values() for x in m.e2e_window]
        return {
            "time": time.time(),
            "engine_time": now,
            "requests_per_s": rate(counters["finished"], before["finished"]),
            "prompt_tokens_per_s": rate(counters["prompt"], before["prompt"]),
            "generation_tokens_per_s": rate(counters["generation"], before["generation"]),
            "errors_per_s": rate(counters["errors"], before["errors"]),
            "errors": dict(counters["error_types"]),
            "prefix_hit_rate": hits / queries if queries else None,
            "ttft_ms": _ms(all_ttft),
            "itl_ms": _ms(all_itl),
            "e2e_ms": _ms(all_e2e),
            "cost_usd": sum(m["cost"] for m in counters["models"].values()),
            "workers": workers,
            "models": models,
        }

    def _counters(self, now: float, snapshots: list) -> dict[str, Any]:
        recorder = self._recorder
        models: dict[str, dict[str, float]] = {}
        for (model, _), s in recorder.series.items():
            m = models.setdefault(model, {"finished": 0, "prompt": 0, "generation": 0})
            m["finished"] += sum(s.finished.values())
            m["prompt"] += s.prompt_tokens
            m["generation"] += s.generation_tokens
        costs = self._ledger.cost_by_model(self._prices)
        for model, m in models.items():
            m["cost"] = costs.get(model, 0.0)
        error_types: Counter[str] = Counter()
        for outcome, count in recorder.outcomes.items():
            if outcome.status == "error":
                error_types[outcome.error_type] += count
        return {
            "now": now,
            "models": models,
            "finished": sum(m["finished"] for m in models.values()),
            "prompt": sum(m["prompt"] for m in models.values()),
            "generation": sum(m["generation"] for m in models.values()),
            "errors": sum(error_types.values()),
            "error_types": error_types,
            "queries": sum(s.prefix_cache_queries for s in snapshots),
            "hits": sum(s.prefix_cache_hits for s in snapshots),
            "busy": {s.index: s.busy_seconds for s in snapshots},
        }
