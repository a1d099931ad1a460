"""Every metric of the reference's vLLM table (rows 1-28) with vLLM's name, type, labels and buckets."""

from __future__ import annotations

import math

import pytest

from fakeai.metrics import Metrics, Recorder
from fakeai.metrics.histogram import build_1_2_5_buckets
from tests.metrics.conftest import parse
from tests.metrics.fake import FakeCluster

TTFT = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160,
        640, 2560]  # fmt: skip
ITL = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]
REQUEST = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]
TOKENS = build_1_2_5_buckets(4096)  # the fake cluster's max_model_len
EXPECTED = {
    "vllm:num_requests_running": ("gauge", None),
    "vllm:num_requests_waiting": ("gauge", None),
    "vllm:kv_cache_usage_perc": ("gauge", None),
    "vllm:engine_sleep_state": ("gauge", None),
    "vllm:prefix_cache_queries_total": ("counter", None),
    "vllm:prefix_cache_hits_total": ("counter", None),
    "vllm:external_prefix_cache_queries_total": ("counter", None),
    "vllm:external_prefix_cache_hits_total": ("counter", None),
    "vllm:mm_cache_queries_total": ("counter", None),
    "vllm:mm_cache_hits_total": ("counter", None),
    "vllm:num_preemptions_total": ("counter", None),
    "vllm:prompt_tokens_total": ("counter", None),
    "vllm:generation_tokens_total": ("counter", None),
    "vllm:request_success_total": ("counter", None),
    "vllm:request_prompt_tokens": ("histogram", TOKENS),
    "vllm:request_generation_tokens": ("histogram", TOKENS),
    "vllm:iteration_tokens_total": (
        "histogram",
        [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    ),
    "vllm:request_max_num_generation_tokens": ("histogram", TOKENS),
    "vllm:request_params_n": ("histogram", [1, 2, 5, 10, 20]),
    "vllm:request_params_max_tokens": ("histogram", TOKENS),
    "vllm:time_to_first_token_seconds": ("histogram", TTFT),
    "vllm:inter_token_latency_seconds": ("histogram", ITL),
    "vllm:request_time_per_output_token_seconds": ("histogram", ITL),
    "vllm:e2e_request_latency_seconds": ("histogram", REQUEST),
    "vllm:request_queue_time_seconds": ("histogram", REQUEST),
    "vllm:request_inference_time_seconds": ("histogram", REQUEST),
    "vllm:request_prefill_time_seconds": ("histogram", REQUEST),
    "vllm:request_decode_time_seconds": ("histogram", REQUEST),
    "vllm:cache_config_info": ("gauge", None),
}
EXTRA_LABELS = {"vllm:engine_sleep_state": {"sleep_state"}, "vllm:request_success_total": {"finished_reason"}}
DEPRECATED = ("vllm:gpu_prefix_cache_queries_total", "vllm:gpu_prefix_cache_hits_total")
#: Deprecated in vLLM, on by default: vLLM's own Grafana dashboard reads them.
DASHBOARD_NAMES = ("vllm:gpu_cache_usage_perc", "vllm:time_per_output_token_seconds")


def sample(families: dict, name: str, suffix: str = "", **labels: str) -> float:
    names = {name.removesuffix("_total") + suffix, name + suffix}
    matches = [s.value for s in families[name].samples
               if s.name in names and all(s.labels.get(k) == v for k, v in labels.items())]  # fmt: skip
    assert len(matches) == 1, (name, suffix, labels, matches)
    return matches[0]


def test_every_vllm_metric_has_its_name_type_labels_and_buckets(
    metrics: Metrics, cluster: FakeCluster
) -> None:
    cluster.request()
    metrics.recorder.step(0, 100, 0.02)
    families = parse(metrics.vllm_text())
    for name, (kind, buckets) in EXPECTED.items():
        assert name in families, name
        family = families[name]
        assert family.type == kind, name
        for s in family.samples:
            expected_labels = {"engine"} if name == "vllm:cache_config_info" else {"model_name", "engine"}
            if s.name.endswith("_bucket"):
                expected_labels = expected_labels | {"le"}
            assert expected_labels | EXTRA_LABELS.get(name, set()) <= set(s.labels), (name, s)
        if buckets is not None:
            bounds = [float(s.labels["le"]) for s in family.samples
                      if s.name.endswith("_bucket") and s.labels["engine"] == "0"]  # fmt: skip
            assert bounds == [*map(float, buckets), math.inf], name
    assert not any(name in families for name in DEPRECATED)
    assert all(name in families for name in DASHBOARD_NAMES)


def test_cache_config_info_and_sleep_state(metrics: Metrics, cluster: FakeCluster) -> None:
    families = parse(metrics.vllm_text())
    info = families["vllm:cache_config_info"].samples
    assert [s.labels["engine"] for s in info] == ["0", "1"] and all(s.value == 1 for s in info)
    assert info[0].labels["block_size"] == "16" and info[0].labels["num_gpu_blocks"] == "1000"
    assert {"cache_dtype", "enable_prefix_caching", "gpu_memory_utilization"} <= set(info[0].labels)
    assert sample(families, "vllm:engine_sleep_state", engine="1", sleep_state="awake") == 1
    assert sample(families, "vllm:engine_sleep_state", engine="1", sleep_state="discard_all") == 0


def test_histograms_and_counters_agree_with_the_events(metrics: Metrics, cluster: FakeCluster) -> None:
    a = cluster.request(queue=0.5, prefill=0.25, gaps=(0.02, 0.03), prompt=100, cached=32, max_tokens=64)
    b = cluster.request(queue=1.0, prefill=0.5, gaps=(0.04,), prompt=50, cached=0, reason="length", n=2)
    metrics.recorder.tokens(0, "m", 3, 0.06)  # one emission of 3 tokens: ITL observations 0.06, 0, 0
    families = parse(metrics.vllm_text())
    labels = {"model_name": "m", "engine": "0"}
    assert sample(families, "vllm:time_to_first_token_seconds", "_count", **labels) == 2
    assert sample(families, "vllm:time_to_first_token_seconds", "_sum", **labels) == pytest.approx(0.75 + 1.5)
    assert sample(families, "vllm:inter_token_latency_seconds", "_count", **labels) == 3 + 3
    assert sample(families, "vllm:inter_token_latency_seconds", "_sum", **labels) == pytest.approx(0.15)
    assert sample(families, "vllm:inter_token_latency_seconds", "_bucket", le="0.01", **labels) == 2
    e2e = (a.finish - a.arrival) + (b.finish - b.arrival)
    assert sample(families, "vllm:e2e_request_latency_seconds", "_sum", **labels) == pytest.approx(e2e)
    assert sample(families, "vllm:request_queue_time_seconds", "_sum", **labels) == pytest.approx(1.5)
    assert sample(families, "vllm:request_prefill_time_seconds", "_sum", **labels) == pytest.approx(0.75)
    assert sample(families, "vllm:request_decode_time_seconds", "_sum", **labels) == pytest.approx(0.09)
    tpot = 0.05 / 2 + 0.04 / 1
    assert sample(families, "vllm:request_time_per_output_token_seconds", "_sum", **labels) == pytest.approx(
        tpot
    )
    assert sample(families, "vllm:prompt_tokens_total", **labels) == 150
    assert sample(families, "vllm:generation_tokens_total", **labels) == 3 + 2 + 3
    assert sample(families, "vllm:prefix_cache_queries_total", **labels) == 150
    assert sample(families, "vllm:prefix_cache_hits_total", **labels) == 32
    assert sample(families, "vllm:request_success_total", finished_reason="stop", **labels) == 1
    assert sample(families, "vllm:request_success_total", finished_reason="length", **labels) == 1
    assert sample(families, "vllm:request_success_total", finished_reason="abort", **labels) == 0
    assert sample(families, "vllm:request_params_n", "_bucket", le="1.0", **labels) == 1
    assert sample(families, "vllm:request_params_max_tokens", "_sum", **labels) == 128
    assert sample(families, "vllm:request_prompt_tokens", "_bucket", le="50.0", **labels) == 1


def test_gauges_come_from_snapshots_per_model(metrics: Metrics, cluster: FakeCluster) -> None:
    cluster.update(1, running={"m": 2, "other": 1}, waiting={"other": 4}, blocks_in_use=400)
    families = parse(metrics.vllm_text())
    assert sample(families, "vllm:num_requests_running", model_name="m", engine="1") == 2
    assert sample(families, "vllm:num_requests_running", model_name="other", engine="1") == 1
    assert sample(families, "vllm:num_requests_waiting", model_name="other", engine="1") == 4
    assert sample(families, "vllm:num_requests_running", model_name="m", engine="0") == 0


def test_engine_level_gauges_come_once_per_engine(metrics: Metrics, cluster: FakeCluster) -> None:
    """One KV pool per worker: one series per worker under the served name, so sum() is the true use."""
    cluster.update(1, running={"m": 2, "other": 1}, waiting={"third": 4}, blocks_in_use=400)
    families = parse(metrics.vllm_text())
    for name in ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"):
        samples = families[name].samples
        assert sorted((s.labels["model_name"], s.labels["engine"]) for s in samples) == [
            ("m", "0"),
            ("m", "1"),
        ]
        assert sum(s.value for s in samples) == pytest.approx(0.4)


def test_aborted_before_scheduling_observes_no_phase(recorder: Recorder, cluster: FakeCluster) -> None:
    from fakeai.engine.observer import FinishedRequest

    recorder.finished(FinishedRequest("m", 0, 0.0, 0.0, None, None, 2.0, 10, 0, 0, 16, 1, "abort", 0))
    families = parse(Metrics(recorder, cluster).vllm_text())
    assert (
        sample(families, "vllm:request_success_total", finished_reason="abort", model_name="m", engine="0")
        == 1
    )
    assert sample(families, "vllm:e2e_request_latency_seconds", "_count", model_name="m", engine="0") == 1
    assert sample(families, "vllm:request_queue_time_seconds", "_count", model_name="m", engine="0") == 0


def test_deprecated_names_behind_the_setting(recorder: Recorder, cluster: FakeCluster) -> None:
    cluster.request()
    cluster.update(0, blocks_in_use=500)
    families = parse(Metrics(recorder, cluster, deprecated=True).vllm_text())
    assert all(name in families for name in DEPRECATED)
    assert sample(families, "vllm:gpu_prefix_cache_hits_total", model_name="m", engine="0") == 32
    old = families["vllm:time_per_output_token_seconds"].samples
    assert [s.value for s in old] == [s.value for s in families["vllm:inter_token_latency_seconds"].samples]
