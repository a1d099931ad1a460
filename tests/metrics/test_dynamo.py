from __future__ import annotations

import math

import pytest

from fakeai.metrics import Metrics, error_type_for_status
from fakeai.metrics.histogram import DYNAMO_ITL, dynamo_log_buckets
from tests.metrics.conftest import parse
from tests.metrics.fake import FakeCluster

FRONTEND = (
    "requests_total",
    "inflight_requests",
    "queued_requests",
    "disconnected_clients",
    "request_duration_seconds",
    "time_to_first_token_seconds",
    "inter_token_latency_seconds",
    "input_sequence_tokens",
    "output_sequence_tokens",
    "output_tokens_total",
    "cached_tokens",
    "model_total_kv_blocks",
    "model_max_num_seqs",
    "model_max_num_batched_tokens",
    "model_context_length",
    "model_kv_cache_block_size",
    "model_migration_limit",
    "worker_active_decode_blocks",
    "worker_active_prefill_tokens",
    "worker_last_time_to_first_token_seconds",
    "worker_last_input_sequence_tokens",
    "worker_last_inter_token_latency_seconds",
)
HISTOGRAMS = {"request_duration_seconds", "time_to_first_token_seconds", "inter_token_latency_seconds",
              "input_sequence_tokens", "output_sequence_tokens", "cached_tokens"}  # fmt: skip


def test_log_buckets_are_dynamos() -> None:
    assert dynamo_log_buckets(1.0, 512.0, 10) == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 130.0, 260.0, 510.0]
    assert DYNAMO_ITL[:3] == (0.0, 0.0019, 0.0035)


def test_every_frontend_family_with_its_type(metrics: Metrics, cluster: FakeCluster) -> None:
    cluster.request()
    metrics.request_outcome("m", "chat_completions", True)
    families = parse(metrics.dynamo_text())
    for suffix in FRONTEND:
        name = f"dynamo_frontend_{suffix}"
        assert name in families, name
        kind = "histogram" if suffix in HISTOGRAMS else "counter" if suffix.endswith("_total") else "gauge"
        assert families[name].type == kind, name
    for suffix in ("worker_active_decode_blocks", "worker_last_time_to_first_token_seconds"):
        labels = families[f"dynamo_frontend_{suffix}"].samples[0].labels
        assert set(labels) == {"worker_id", "dp_rank", "worker_type"}
        assert labels["dp_rank"] == "0" and labels["worker_type"] == "decode"


def test_requests_total_counts_each_outcome(metrics: Metrics) -> None:
    metrics.request_outcome("m", "chat_completions", True)
    metrics.request_outcome("m", "chat_completions", True)
    metrics.request_outcome("m", "completions", False, error_type_for_status(400))
    metrics.request_outcome("m", "chat_completions", True, "cancelled")
    families = parse(metrics.dynamo_text())
    rows = {tuple(s.labels.values()): s.value for s in families["dynamo_frontend_requests_total"].samples}
    assert rows == {
        ("m", "chat_completions", "stream", "success", "none"): 2,
        ("m", "completions", "unary", "error", "validation"): 1,
        ("m", "chat_completions", "stream", "error", "cancelled"): 1,
    }
    assert families["dynamo_frontend_disconnected_clients"].samples[0].value == 1
    with pytest.raises(ValueError):
        metrics.request_outcome("m", "completions", False, "teapot")


def test_error_types_follow_dynamo() -> None:
    statuses = {
        200: "none",
        400: "validation",
        404: "not_found",
        429: "overload",
        500: "internal",
        503: "unavailable",
    }
    assert {status: error_type_for_status(status) for status in statuses} == statuses


def test_histograms_follow_the_events(metrics: Metrics, cluster: FakeCluster) -> None:
    cluster.request(prompt=100, cached=32, gaps=(0.02, 0.03))
    cluster.request(worker=1, prompt=300, cached=0, gaps=())
    metrics.recorder.tokens(1, "m", 4, 0.08)  # Dynamo: 4 observations of 0.02
    families = parse(metrics.dynamo_text())

    def value(name: str, sample: str) -> float:
        return next(s.value for s in families[f"dynamo_frontend_{name}"].samples if s.name.endswith(sample))

    assert value("time_to_first_token_seconds", "_count") == 2
    assert value("input_sequence_tokens", "_sum") == 400
    assert value("cached_tokens", "_sum") == 32
    assert value("inter_token_latency_seconds", "_count") == 2 + 4
    assert value("inter_token_latency_seconds", "_sum") == pytest.approx(0.05 + 0.08)
    assert value("output_tokens_total", "_total") == 3 + 1 + 4
    assert value("output_sequence_tokens", "_sum") == 3 + 1
    last = families["dynamo_frontend_worker_last_inter_token_latency_seconds"].samples
    last_itl = {s.labels["dp_rank"]: s.value for s in last}
    assert last_itl == {"0": pytest.approx(0.03), "1": pytest.approx(0.02)}
    bounds = [float(s.labels["le"]) for s in families["dynamo_frontend_inter_token_latency_seconds"].samples
              if s.name.endswith("_bucket")]  # fmt: skip
    assert bounds == [*DYNAMO_ITL, math.inf]


def test_inflight_queued_and_config_gauges_read_snapshots(metrics: Metrics, cluster: FakeCluster) -> None:
    cluster.update(0, running={"m": 3}, waiting={"m": 2}, active_decode_blocks=40, active_prefill_tokens=512)
    cluster.update(1, running={"m": 1})
    families = parse(metrics.dynamo_text())

    def gauge(name: str, **labels: str) -> float:
        samples = families[f"dynamo_frontend_{name}"].samples
        return next(s.value for s in samples if all(s.labels[k] == v for k, v in labels.items()))

    assert gauge("inflight_requests", model="m") == 6
    assert gauge("queued_requests", model="m") == 2
    assert gauge("worker_active_decode_blocks", dp_rank="0") == 40
    assert gauge("worker_active_prefill_tokens", dp_rank="0") == 512
    assert gauge("model_total_kv_blocks", model="m") == 1000
    assert gauge("model_context_length", model="m") == 4096
    assert gauge("model_kv_cache_block_size", model="m") == 16
    assert gauge("model_max_num_seqs", model="m") == 256
