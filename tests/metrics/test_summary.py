from __future__ import annotations

import pytest

from fakeai.metrics import Metrics
from fakeai.metrics.histogram import Histogram, build_1_2_5_buckets, percentiles
from tests.metrics.fake import FakeCluster


def test_bucket_helpers() -> None:
    assert build_1_2_5_buckets(100) == [1, 2, 5, 10, 20, 50, 100]
    histogram = Histogram([0.1, 1.0])
    for value in (0.1, 0.5, 2.0):  # a bound is inclusive (le)
        histogram.observe(value)
    assert histogram.cumulative()[:2] == [(0.1, 1), (1.0, 2)] and histogram.count == 3
    assert percentiles([], 50) == [None]
    assert percentiles(range(1, 101), 50, 90, 99, 100) == [50, 90, 99, 100]


def test_json_summary_percentiles_per_model(metrics: Metrics, cluster: FakeCluster) -> None:
    for i in range(100):
        cluster.request(queue=0.01 * (i + 1), prefill=0.0, gaps=(0.001 * (i + 1),))
    cluster.update(0, running={"m": 2})
    metrics.request_outcome("m", "chat_completions", False)
    metrics.request_outcome("m", "chat_completions", False, "overload")
    body = metrics.summary()
    model = body["models"]["m"]
    assert model["requests"] == {"finished": 100, "by_finish_reason": {"stop": 100}}
    assert model["running"] == 2 and model["prompt_tokens"] == 100 * 100
    assert model["ttft_seconds"]["count"] == 100
    assert (model["ttft_seconds"]["p50"], model["ttft_seconds"]["p90"]) == pytest.approx((0.5, 0.9))
    assert model["itl_seconds"]["p99"] == pytest.approx(0.099)
    assert model["queue_seconds"]["mean"] == pytest.approx(0.505)
    assert model["e2e_seconds"]["p50"] == pytest.approx(0.5 + 0.05)
    assert body["requests"] == {"overload": 1, "success": 1}
    assert [w["index"] for w in body["workers"]] == [0, 1]


def test_kv_cache_per_worker_and_total(metrics: Metrics, cluster: FakeCluster) -> None:
    cluster.update(0, blocks_in_use=250, prefix_cache_queries=1000, prefix_cache_hits=400, preemptions=3)
    body = metrics.kv_cache()
    first = body["workers"][0]
    assert (first["blocks_total"], first["blocks_used"], first["blocks_free"]) == (1000, 250, 750)
    assert first["usage"] == 0.25 and first["prefix_cache_hit_rate"] == 0.4 and first["preemptions"] == 3
    assert body["total"]["blocks_total"] == 2000 and body["total"]["usage"] == 0.125
    assert body["total"]["prefix_cache_hit_rate"] == 0.4
