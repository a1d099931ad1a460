"""NVIDIA Dynamo frontend's metrics (``dynamo_frontend_*``, names from ``prometheus_names.rs``).

The frontend sees requests, not engines: histograms are per ``model`` across all workers; per-worker
gauges carry ``worker_id``, ``dp_rank``, ``worker_type``. FakeAI's cluster is one Dynamo worker with
``data_parallel_size`` = the number of simulated workers, so ``worker_id`` is one stable id and
``dp_rank`` is the worker index; workers are aggregated (prefill and decode together): ``decode``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import astuple

from fakeai.engine.observer import WorkerSnapshot
from fakeai.metrics.exposition import Family
from fakeai.metrics.recorder import Recorder

PREFIX = "dynamo_frontend"
WORKER_LABELS = ("worker_id", "dp_rank", "worker_type")
WORKER_TYPE = "decode"

# (suffix, ModelSeries attribute, help)
_HISTOGRAMS = (
    ("request_duration_seconds", "duration", "Duration of LLM requests"),
    ("time_to_first_token_seconds", "ttft", "Time to first token in seconds"),
    ("inter_token_latency_seconds", "itl", "Inter-token latency in seconds"),
    ("input_sequence_tokens", "input_tokens", "Input sequence length in tokens"),
    ("output_sequence_tokens", "output_tokens", "Output sequence length in tokens"),
    ("cached_tokens", "cached", "Number of cached tokens (prefix cache hits) per request"),
)


def worker_id(hostname: str) -> str:
    """A stable stand-in for Dynamo's worker instance id (a 64-bit lease id), derived from the host."""
    return str(zlib.crc32(hostname.encode()) << 32 | zlib.crc32(b"fakeai-" + hostname.encode()))


def families(
    recorder: Recorder, snapshots: Sequence[WorkerSnapshot], served: Sequence[str], instance: str
) -> Iterator[Family]:
    """``instance``: the ``worker_id`` label (see ``worker_id``)."""
    models = sorted({*served, *recorder.models, *(m for s in snapshots for m in (*s.running, *s.waiting))})
    for model in models:  # every model's series exists from the first scrape, at 0
        if model not in recorder.models:
            recorder.series_for(model, snapshots[0].index if snapshots else 0)

    yield _requests_total(recorder)
    running: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    for s in snapshots:
        running.update(s.running)
        waiting.update(s.waiting)
    inflight = Family(f"{PREFIX}_inflight_requests", "gauge", "Number of inflight requests", ("model",))
    queued = Family(f"{PREFIX}_queued_requests", "gauge", "Number of requests in HTTP processing queue",
                    ("model",))  # fmt: skip
    for model in models:
        inflight.add((model,), running[model] + waiting[model])
        # Dynamo counts requests until their first token; the engine reports those not yet scheduled.
        queued.add((model,), waiting[model])
    yield inflight
    yield queued
    cancelled = sum(n for outcome, n in recorder.outcomes.items() if outcome.error_type == "cancelled")
    yield Family(f"{PREFIX}_disconnected_clients", "gauge", "Number of disconnected clients").add(
        (), cancelled
    )

    for suffix, attribute, help_text in _HISTOGRAMS:
        family = Family(f"{PREFIX}_{suffix}", "histogram", help_text, ("model",))
        for model in models:
            family.add_histogram((model,), getattr(recorder.models[model], attribute))
        yield family
    output = Family(f"{PREFIX}_output_tokens_total", "counter",
                    "Total number of output tokens generated (updates in real-time)", ("model",))  # fmt: skip
    for model in models:
        output.add((model,), recorder.models[model].output_tokens_total)
    yield output

    if snapshots:
        yield from _model_config(models, snapshots[0])
    yield from _workers(recorder, snapshots, instance)


def _requests_total(recorder: Recorder) -> Family:
    family = Family(f"{PREFIX}_requests_total", "counter", "Total number of LLM requests processed",
                    ("model", "endpoint", "request_type", "status", "error_type"))  # fmt: skip
    for labels, count in sorted((astuple(outcome), n) for outcome, n in recorder.outcomes.items()):
        family.add(labels, count)
    return family


def _model_config(models: list[str], snapshot: WorkerSnapshot) -> Iterator[Family]:
    """Dynamo copies these from the worker's runtime config and model card (one worker's values)."""
    values = (
        ("model_total_kv_blocks", "Total KV cache blocks available for a worker serving the model",
         snapshot.num_gpu_blocks),
        ("model_max_num_seqs", "Maximum number of sequences for a worker serving the model",
         snapshot.max_num_seqs),
        ("model_max_num_batched_tokens", "Maximum number of batched tokens for a worker serving the model",
         snapshot.max_num_batched_tokens),
        ("model_context_length", "Maximum context length in tokens for a worker serving the model",
         snapshot.max_model_len),
        ("model_kv_cache_block_size", "KV cache block size in tokens for a worker serving the model",
         snapshot.block_size),
        ("model_migration_limit", "Maximum number of request migrations allowed for the model", 0),
    )  # fmt: skip
    for suffix, help_text, value in values:
        if value is None:  # unlimited: Dynamo leaves the gauge unset
            continue
        family = Family(f"{PREFIX}_{suffix}", "gauge", help_text, ("model",))
        for model in models:
            family.add((model,), value)
        yield family


def _workers(recorder: Recorder, snapshots: Sequence[WorkerSnapshot], instance: str) -> Iterator[Family]:
    def labels(index: int) -> tuple[str, str, str]:
        return (instance, str(index), WORKER_TYPE)

    decode = Family(f"{PREFIX}_worker_active_decode_blocks", "gauge",
                    "Active KV cache decode blocks per worker", WORKER_LABELS)  # fmt: skip
    prefill = Family(f"{PREFIX}_worker_active_prefill_tokens", "gauge",
                     "Active prefill tokens queued per worker", WORKER_LABELS)  # fmt: skip
    for s in snapshots:
        decode.add(labels(s.index), s.active_decode_blocks)
        prefill.add(labels(s.index), s.active_prefill_tokens)
    yield decode
    yield prefill
    last = (
        ("worker_last_time_to_first_token_seconds", "Last observed time to first token per worker (seconds)",
         "ttft"),
        ("worker_last_input_sequence_tokens", "Last observed input sequence tokens per worker",
         "input_tokens"),
        ("worker_last_inter_token_latency_seconds", "Last observed inter-token latency per worker (seconds)",
         "itl"),
    )  # fmt: skip
    for suffix, help_text, attribute in last:
        family = Family(f"{PREFIX}_{suffix}", "gauge", help_text, WORKER_LABELS)
        for index, worker in sorted(recorder.workers.items()):
            value = getattr(worker, attribute)
            if value is not None:  # Dynamo sets these on the first observation only
                family.add(labels(index), value)
        yield family
