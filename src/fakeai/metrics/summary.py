"""The same numbers as JSON: ``GET /metrics/json`` (per model, per worker) and ``GET /kv-cache/metrics``.

Counts and means come from the histograms (every observation since start); p50/p90/p99 from the last
``window`` observations per model (see ``Recorder``), so they follow the current load. Times in seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from fakeai.engine.observer import WorkerSnapshot
from fakeai.metrics.histogram import Histogram, percentiles
from fakeai.metrics.recorder import Recorder
from fakeai.metrics.vllm import kv_usage


def latency(histograms: Iterable[Histogram], recent: Iterable[float]) -> dict[str, float | int | None]:
    """Count and mean over ``histograms`` (all observations), percentiles of the ``recent`` ones."""
    count = total = 0.0
    for histogram in histograms:
        count += histogram.count
        total += histogram.sum
    p50, p90, p99 = percentiles(recent, 50, 90, 99)
    return {"count": int(count), "mean": total / count if count else None, "p50": p50, "p90": p90, "p99": p99}


def summary(recorder: Recorder, snapshots: Sequence[WorkerSnapshot], now: float) -> dict[str, Any]:
    models: dict[str, Any] = {}
    for model, m in sorted(recorder.models.items()):
        series = [s for (name, _), s in recorder.series.items() if name == model]
        finished: Counter[str] = Counter()
        for s in series:
            finished.update(s.finished)
        models[model] = {
            "requests": {
                "finished": sum(finished.values()),
                "by_finish_reason": dict(sorted(finished.items())),
            },
            "prompt_tokens": sum(s.prompt_tokens for s in series),
            "generation_tokens": sum(s.generation_tokens for s in series),
            "cached_tokens": sum(s.prefix_hits for s in series),
            "running": sum(w.running.get(model, 0) for w in snapshots),
            "waiting": sum(w.waiting.get(model, 0) for w in snapshots),
            "ttft_seconds": latency([m.ttft], m.ttft_window),
            "itl_seconds": latency([m.itl], m.itl_window),
            "e2e_seconds": latency([m.duration], m.e2e_window),
            "queue_seconds": latency([s.queue for s in series], m.queue_window),
        }
    outcomes: Counter[str] = Counter()
    for outcome, count in recorder.outcomes.items():
        outcomes[outcome.error_type if outcome.status == "error" else "success"] += count
    return {
        "engine_time_seconds": now,
        "requests": dict(sorted(outcomes.items())),
        "models": models,
        "workers": [_worker(s) for s in snapshots],
    }


def _worker(s: WorkerSnapshot) -> dict[str, Any]:
    return {
        "index": s.index,
        "running": sum(s.running.values()),
        "waiting": sum(s.waiting.values()),
        "kv_cache_usage": kv_usage(s),
        "busy_seconds": s.busy_seconds,
        "preemptions": s.preemptions,
        "active_prefill_tokens": s.active_prefill_tokens,
        "active_decode_blocks": s.active_decode_blocks,
    }


def kv_cache(snapshots: Sequence[WorkerSnapshot]) -> dict[str, Any]:
    """Per worker KV-cache state, and the cluster's totals. The hit rate is hits / queries (tokens)."""
    workers = [_kv(s.index, s.block_size, s.num_gpu_blocks, s.blocks_in_use, s.prefix_cache_queries,
                   s.prefix_cache_hits, s.preemptions) for s in snapshots]  # fmt: skip
    keys = ("blocks_total", "blocks_used", "prefix_cache_queries", "prefix_cache_hits", "preemptions")
    block_size = snapshots[0].block_size if snapshots else 0
    total = _kv(None, block_size, *(sum(w[key] for w in workers) for key in keys))
    return {"workers": workers, "total": total}


def _kv(index: int | None, block_size: int, total: int, used: int, queries: int, hits: int, preemptions: int
        ) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {} if index is None else {"worker": index}
    return row | {
        "block_size": block_size,
        "blocks_total": total,
        "blocks_used": used,
        "blocks_free": total - used,
        "usage": used / total if total else 0.0,
        "prefix_cache_queries": queries,
        "prefix_cache_hits": hits,
        "prefix_cache_hit_rate": hits / queries if queries else 0.0,
        "preemptions": preemptions,
    }
