"""Merging the expositions of several server processes (``--workers N``) into one scrape."""

from __future__ import annotations

from fakeai.metrics.exposition import Family, merge, render
from fakeai.metrics.histogram import Histogram


def text(engine: str, requests: float, inflight: float, context: float, latency: list[float]) -> bytes:
    histogram = Histogram((0.1, 1.0))
    for value in latency:
        histogram.observe(value)
    return render(
        [
            Family("vllm:request_success_total", "counter", "Done.", ("engine",)).add((engine,), requests),
            Family("front_inflight", "gauge", "Open.", ("model",)).add(("m",), inflight),
            Family("front_model_context_length", "gauge", "Context.", ("model",)).add(("m",), context),
            Family("front_latency", "histogram", "Latency.", ("model",)).add_histogram(("m",), histogram),
        ]
    )


def test_engines_are_listed_shared_series_summed_and_configuration_kept() -> None:
    merged = merge(
        [text("0", 3, 1, 8192, [0.05, 0.5]), text("1", 4, 2, 8192, [2.0])],
        keep_first=lambda name: "_model_" in name,
    ).decode()
    lines = merged.splitlines()
    assert lines.count("# TYPE vllm:request_success_total counter") == 1
    assert 'vllm:request_success_total{engine="0"} 3.0' in lines
    assert 'vllm:request_success_total{engine="1"} 4.0' in lines
    assert 'front_inflight{model="m"} 2.0' not in lines and 'front_inflight{model="m"} 3.0' in lines
    assert 'front_model_context_length{model="m"} 8192.0' in lines  # not 16384
    assert 'front_latency_bucket{model="m",le="0.1"} 1.0' in lines
    assert 'front_latency_bucket{model="m",le="+Inf"} 3.0' in lines
    assert 'front_latency_count{model="m"} 3.0' in lines
    assert 'front_latency_sum{model="m"} 2.55' in lines
    # Families stay in the order of their first appearance, each head once.
    heads = [line.split(" ")[2] for line in lines if line.startswith("# HELP")]
    assert heads == [
        "vllm:request_success_total",
        "front_inflight",
        "front_model_context_length",
        "front_latency",
    ]


def test_one_text_comes_back_as_rendered_and_none_as_empty() -> None:
    one = text("0", 3, 1, 8192, [0.5])
    assert merge([one]) == one
    assert merge([]) == b""
