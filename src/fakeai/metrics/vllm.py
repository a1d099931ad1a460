"""vLLM's ``/metrics`` (V1 engine, ~v0.12 names): gauges from worker snapshots, the rest from the recorder.

Labels are ``model_name`` and ``engine`` (the worker index) as in ``vllm/v1/metrics/loggers.py``. A vLLM
engine serves one model; a FakeAI worker serves many, so per-request series come per (model, worker) for
each model that was requested, and per-engine series (KV-cache usage, iteration tokens, sleep state) come
once per worker under the served model's name (``--served-model-name``), as vLLM labels everything with
its first served name: ``sum()`` over them is the true total.

Two deprecated names stay on by default because vLLM's own Grafana dashboard still reads them:
``vllm:time_per_output_token_seconds`` (its ITL panel) and ``vllm:gpu_cache_usage_perc`` (its cache panel).
``--deprecated-metrics`` adds the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fakeai.engine.observer import WorkerSnapshot
from fakeai.metrics.exposition import Family
from fakeai.metrics.recorder import Recorder, Series

LABELS = ("model_name", "engine")
#: Reasons vLLM pre-creates ``request_success_total`` series for (FinishReason), so they exist at 0.
FINISH_REASONS = ("stop", "length", "abort", "error")
SLEEP_STATES = ("awake", "weights_offloaded", "discard_all")

# (exposition name, Series attribute, help) of the per-(model, worker) histograms
_HISTOGRAMS = (
    ("vllm:request_prompt_tokens", "prompt_tokens_hist", "Number of prefill tokens processed."),
    ("vllm:request_generation_tokens", "generation_tokens_hist", "Number of generation tokens processed."),
    ("vllm:request_max_num_generation_tokens", "max_generation_tokens",
     "Histogram of maximum number of requested generation tokens."),
    ("vllm:request_params_n", "n", "Histogram of the n request parameter."),
    ("vllm:request_params_max_tokens", "max_tokens", "Histogram of the max_tokens request parameter."),
    ("vllm:time_to_first_token_seconds", "ttft", "Histogram of time to first token in seconds."),
    ("vllm:inter_token_latency_seconds", "itl", "Histogram of inter-token latency in seconds."),
    ("vllm:request_time_per_output_token_seconds", "tpot",
     "Histogram of time_per_output_token_seconds per request."),
    ("vllm:e2e_request_latency_seconds", "e2e", "Histogram of e2e request latency in seconds."),
    ("vllm:request_queue_time_seconds", "queue", "Histogram of time spent in WAITING phase for request."),
    ("vllm:request_inference_time_seconds", "inference",
     "Histogram of time spent in RUNNING phase for request."),
    ("vllm:request_prefill_time_seconds", "prefill", "Histogram of time spent in PREFILL phase for request."),
    ("vllm:request_decode_time_seconds", "decode", "Histogram of time spent in DECODE phase for request."),
)  # fmt: skip
_DASHBOARD_HISTOGRAMS = (
    ("vllm:time_per_output_token_seconds", "itl",
     "Histogram of time per output token in seconds. DEPRECATED: use vllm:inter_token_latency_seconds."),
)  # fmt: skip
# (exposition name, Series attribute, help) of the per-(model, worker) counters
_COUNTERS = (
    ("vllm:prefix_cache_queries_total", "prefix_queries",
     "Prefix cache queries, in terms of number of queried tokens."),
    ("vllm:prefix_cache_hits_total", "prefix_hits",
     "Prefix cache hits, in terms of number of cached tokens."),
    ("vllm:num_preemptions_total", "preemptions", "Cumulative number of preemption from the engine."),
    ("vllm:prompt_tokens_total", "prompt_tokens", "Number of prefill tokens processed."),
    ("vllm:generation_tokens_total", "generation_tokens", "Number of generation tokens processed."),
)  # fmt: skip
_DEPRECATED_COUNTERS = (
    ("vllm:gpu_prefix_cache_queries_total", "prefix_queries",
     "GPU prefix cache queries, in terms of number of queried tokens. DEPRECATED."),
    ("vllm:gpu_prefix_cache_hits_total", "prefix_hits",
     "GPU prefix cache hits, in terms of number of cached tokens. DEPRECATED."),
)  # fmt: skip
# Counters that need a KV connector or a multimodal cache: present, and 0, as on a plain vLLM.
_IDLE_COUNTERS = (
    ("vllm:external_prefix_cache_queries_total", "External prefix cache queries from KV connector."),
    ("vllm:external_prefix_cache_hits_total", "External prefix cache hits from KV connector."),
    ("vllm:mm_cache_queries_total", "Multi-modal cache queries, in terms of number of queried items."),
    ("vllm:mm_cache_hits_total", "Multi-modal cache hits, in terms of number of cached items."),
)


def kv_usage(snapshot: WorkerSnapshot) -> float:
    """Fraction (0-1) of the worker's KV blocks in use."""
    return snapshot.blocks_in_use / snapshot.num_gpu_blocks if snapshot.num_gpu_blocks else 0.0


def cache_config(snapshot: WorkerSnapshot) -> dict[str, str]:
    """``vllm:cache_config_info`` labels: CacheConfig fields as vLLM prints them (``str(value)``).

    Fields the snapshot does not carry hold vLLM's defaults (prefix caching on, 0.9 of GPU memory).
    """
    return {
        "block_size": str(snapshot.block_size),
        "cache_dtype": "auto",
        "calculate_kv_scales": "False",
        "cpu_offload_gb": "0",
        "enable_prefix_caching": "True",
        "gpu_memory_utilization": "0.9",
        "is_attention_free": "False",
        "num_cpu_blocks": "None",
        "num_gpu_blocks": str(snapshot.num_gpu_blocks),
        "num_gpu_blocks_override": "None",
        "prefix_caching_hash_algo": "sha256",
        "sliding_window": "None",
        "swap_space": "4",
        "engine": str(snapshot.index),
    }


def families(
    recorder: Recorder, snapshots: Sequence[WorkerSnapshot], served: Sequence[str], deprecated: bool
) -> Iterator[Family]:
    """Every vLLM family, in the order vLLM registers them."""
    primary = served[0] if served else next(iter(sorted(recorder.models)), "default")
    per_worker = [(s, _models_on(s, recorder, served)) for s in snapshots]

    yield from _gauges(per_worker, primary)
    sleep = Family("vllm:engine_sleep_state", "gauge",
                   "Engine sleep state; awake = 0 means engine is sleeping; "
                   "awake = 1 means engine is awake.", (*LABELS, "sleep_state"))  # fmt: skip
    for s in snapshots:
        for state in SLEEP_STATES:
            sleep.add((primary, str(s.index), state), 1.0 if state == "awake" else 0.0)
    yield sleep

    for snapshot, models in per_worker:  # every label set exists from the first scrape, at 0, as in vLLM
        for model in models:
            recorder.series_for(model, snapshot.index)
    series = sorted(recorder.series.items())
    counters = _COUNTERS + (_DEPRECATED_COUNTERS if deprecated else ())
    for name, attribute, help_text in counters:
        family = Family(name, "counter", help_text, LABELS)
        for (model, worker), s in series:
            family.add((model, str(worker)), getattr(s, attribute))
        yield family
    for name, help_text in _IDLE_COUNTERS:
        family = Family(name, "counter", help_text, LABELS)
        for model, snapshot in ((m, s) for s, models in per_worker for m in models):
            family.add((model, str(snapshot.index)), 0.0)
        yield family

    yield _success(series, per_worker)

    iterations = Family("vllm:iteration_tokens_total", "histogram",
                        "Histogram of number of tokens per engine_step.", LABELS)  # fmt: skip
    for worker, histogram in sorted(recorder.iterations.items()):
        iterations.add_histogram((primary, str(worker)), histogram)
    yield iterations

    histograms = _HISTOGRAMS + _DASHBOARD_HISTOGRAMS
    for name, attribute, help_text in histograms:
        family = Family(name, "histogram", help_text, LABELS)
        for (model, worker), s in series:
            family.add_histogram((model, str(worker)), getattr(s, attribute))
        yield family

    if snapshots:
        labels = tuple(cache_config(snapshots[0]))
        info = Family("vllm:cache_config_info", "gauge", "Information of the LLMEngine CacheConfig", labels)
        for s in snapshots:
            info.add(tuple(cache_config(s).values()), 1.0)
        yield info


def _models_on(snapshot: WorkerSnapshot, recorder: Recorder, served: Sequence[str]) -> list[str]:
    return sorted({*served, *snapshot.running, *snapshot.waiting, *recorder.models_on(snapshot.index)})


def _gauges(per_worker: list[tuple[WorkerSnapshot, list[str]]], primary: str) -> Iterator[Family]:
    running = Family("vllm:num_requests_running", "gauge", "Number of requests in model execution batches.",
                     LABELS)  # fmt: skip
    waiting = Family(
        "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", LABELS
    )
    usage = Family("vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", LABELS)
    old_usage = Family("vllm:gpu_cache_usage_perc", "gauge",
                       "GPU KV-cache usage. 1 means 100 percent usage. "
                       "DEPRECATED: use vllm:kv_cache_usage_perc.",
                       LABELS)  # fmt: skip
    for snapshot, models in per_worker:
        engine = str(snapshot.index)
        for model in models:
            running.add((model, engine), snapshot.running.get(model, 0))
            waiting.add((model, engine), snapshot.waiting.get(model, 0))
        # One KV pool per worker, so one series per worker: a sum over engines is the true use.
        usage.add((primary, engine), kv_usage(snapshot))
        old_usage.add((primary, engine), kv_usage(snapshot))
    yield from (running, waiting, usage, old_usage)


def _success(
    series: list[tuple[tuple[str, int], Series]], per_worker: list[tuple[WorkerSnapshot, list[str]]]
) -> Family:
    family = Family("vllm:request_success_total", "counter", "Count of successfully processed requests.",
                    (*LABELS, "finished_reason"))  # fmt: skip
    counts = {(model, worker): s.finished for (model, worker), s in series}
    pairs = {(m, s.index) for s, models in per_worker for m in models} | set(counts)
    for model, worker in sorted(pairs):
        finished = counts.get((model, worker), {})
        for reason in sorted({*FINISH_REASONS, *finished}):
            family.add((model, str(worker), reason), finished.get(reason, 0))
    return family
