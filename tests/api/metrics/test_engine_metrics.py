"""/metrics read from the real engine: what the SDK did shows up with vLLM's and Dynamo's names."""

from __future__ import annotations

from openai import OpenAI
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient


def samples(http: TestClient, path: str = "/metrics") -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = http.get(path).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    """The sum over every series of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in found.items() if n == name and set(labels.items()) <= set(ls))


def test_requests_appear_in_vllm_and_dynamo_metrics(http: TestClient, client: OpenAI) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=7,
        extra_body={"ignore_eos": True},
    )
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=5, stream=True,
        extra_body={"ignore_eos": True},
    )  # fmt: skip
    assert sum(1 for chunk in stream if chunk.choices and chunk.choices[0].delta.content) == 5
    vllm = samples(http)
    model = {"model_name": "gpt-4o-mini", "engine": "0"}
    assert value(vllm, "vllm:generation_tokens_total", **model) == 12
    assert value(vllm, "vllm:request_success_total", finished_reason="length", **model) == 2
    assert value(vllm, "vllm:time_to_first_token_seconds_count", **model) == 2
    assert value(vllm, "vllm:inter_token_latency_seconds_count", **model) == 10
    assert value(vllm, "vllm:prompt_tokens_total", **model) > 0
    assert value(vllm, "vllm:num_requests_running") == 0
    assert value(vllm, "vllm:cache_config_info", engine="0") == 1
    dynamo = samples(http, "/dynamo/metrics")
    assert value(dynamo, "dynamo_frontend_requests_total", request_type="stream", status="success") == 1
    assert value(dynamo, "dynamo_frontend_requests_total", request_type="unary", status="success") == 1


def test_rejected_requests_count_as_errors_in_dynamo_metrics(http: TestClient) -> None:
    http.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": []})
    dynamo = samples(http, "/dynamo/metrics")
    assert value(dynamo, "dynamo_frontend_requests_total", status="error", error_type="validation") == 1
