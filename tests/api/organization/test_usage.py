"""The organization usage and costs API: what the responses' ``usage`` said, bucketed, grouped and priced
from the catalog. Bodies are validated against the pinned spec by the ``http`` fixture's hook."""

from __future__ import annotations

import time

import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from fakeai.catalog import Catalog

MODELS = ("gpt-4o-mini", "gpt-4o", "meta-llama/Llama-3.1-8B-Instruct")


def _traffic(client: OpenAI, count: int) -> dict[str, list[int]]:
    """``count`` chats across three models, streamed and not, some with a repeated (cached) prefix. Returns
    the sum of each response's usage per model: [requests, prompt, cached, completion]."""
    shared = "Tides rise and fall because the moon pulls on the oceans. " * 30
    totals = {model: [0, 0, 0, 0] for model in MODELS}
    for i in range(count):
        model = MODELS[i % 3]
        content = (shared if i % 4 == 0 else "") + f"Question {i}: what about tides?"
        messages = [{"role": "user", "content": content}]
        if i % 2:
            stream = client.chat.completions.create(
                model=model,
                messages=messages,
                max_tokens=12,
                stream=True,
                stream_options={"include_usage": True},
            )
            usage = [chunk.usage for chunk in stream if chunk.usage][-1]  # read to the end
        else:
            usage = client.chat.completions.create(model=model, messages=messages, max_tokens=12).usage
        assert usage is not None and usage.prompt_tokens_details is not None
        row = totals[model]
        row[0] += 1
        row[1] += usage.prompt_tokens
        row[2] += usage.prompt_tokens_details.cached_tokens or 0
        row[3] += usage.completion_tokens
    return totals


def _day() -> int:
    return int(time.time()) // 86400 * 86400


def test_usage_and_costs_agree_with_the_responses(client: OpenAI, http: TestClient, validated: list) -> None:
    totals = _traffic(client, 1000)
    params = {"start_time": _day(), "bucket_width": "1d", "group_by": "model"}
    body = http.get("/v1/organization/usage/completions", params=params).json()
    assert body["object"] == "page" and body["has_more"] is False
    results = {r["model"]: r for bucket in body["data"] for r in bucket["results"]}
    assert set(results) == set(MODELS)
    for model, (requests, prompt, cached, completion) in totals.items():
        r = results[model]
        assert (r["num_model_requests"], r["input_tokens"], r["input_cached_tokens"], r["output_tokens"]) == (
            requests,
            prompt,
            cached,
            completion,
        )
    assert any(r["input_cached_tokens"] for r in results.values())  # the shared prefix was cached

    catalog = Catalog.bundled()
    expected = 0.0
    for model, (_, prompt, cached, completion) in totals.items():
        p = catalog.get(model).pricing
        expected += (
            (prompt - cached) * p.input + cached * (p.cached_input or p.input) + completion * p.output
        ) / 1e6
    costs = http.get("/v1/organization/costs", params={"start_time": _day(), "group_by": "line_item"}).json()
    items = {r["line_item"]: r["amount"]["value"] for bucket in costs["data"] for r in bucket["results"]}
    assert {f"{m}, output" for m in MODELS} <= set(items)
    assert sum(items.values()) == pytest.approx(expected, rel=1e-9)
    assert ("/v1/organization/usage/completions", 200) in {v[:2] for v in validated}
    assert ("/v1/organization/costs", 200) in {v[:2] for v in validated}
    csv_text = http.get("/v1/organization/costs.csv").text.splitlines()
    assert csv_text[0].startswith("model,requests,input_tokens") and len(csv_text) == 1 + len(MODELS)


def test_buckets_filters_and_pages(client: OpenAI, http: TestClient) -> None:
    _traffic(client, 6)
    now = int(time.time())
    minute = {"start_time": now - 600, "bucket_width": "1m", "limit": 4}
    first = http.get("/v1/organization/usage/completions", params=minute).json()
    assert len(first["data"]) == 4 and first["has_more"] and first["next_page"]
    assert all(b["end_time"] - b["start_time"] == 60 for b in first["data"])
    rest = http.get(
        "/v1/organization/usage/completions", params={**minute, "limit": 60, "page": first["next_page"]}
    )
    buckets = rest.json()["data"]
    assert buckets[0]["start_time"] == first["data"][-1]["end_time"]
    assert (
        sum(r["num_model_requests"] for b in buckets for r in b["results"]) == 6
    )  # the last minutes hold them
    only = http.get(
        "/v1/organization/usage/completions",
        params={"start_time": _day(), "models": "gpt-4o", "group_by": "model"},
    ).json()
    assert [r["model"] for b in only["data"] for r in b["results"]] == ["gpt-4o"]
    other = http.get(
        "/v1/organization/usage/completions", params={"start_time": _day(), "project_ids": "proj_nobody"}
    ).json()
    assert all(not b["results"] for b in other["data"])


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "start_time"),
        ({"start_time": "soon"}, "start_time"),
        ({"start_time": 100, "bucket_width": "1w"}, "bucket_width"),
        ({"start_time": 100, "group_by": "colour"}, "group_by"),
        ({"start_time": 100, "bucket_width": "1d", "limit": 99}, "limit"),
        ({"start_time": 100, "end_time": 50}, "end_time"),
    ],
)
def test_bad_queries_are_400s_naming_the_parameter(http: TestClient, params: dict, param: str) -> None:
    response = http.get("/v1/organization/usage/completions", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_costs_take_only_daily_buckets_and_unknown_kinds_are_404(http: TestClient) -> None:
    assert (
        http.get("/v1/organization/costs", params={"start_time": 0, "bucket_width": "1h"}).status_code == 400
    )
    assert http.get("/v1/organization/usage/teleport", params={"start_time": 0}).status_code == 404


def test_images_speech_and_transcriptions_are_counted(client: OpenAI, http: TestClient) -> None:
    client.images.generate(
        model="dall-e-2", prompt="a lighthouse", n=2, size="256x256", response_format="b64_json"
    )
    speech = client.audio.speech.create(model="tts-1", voice="alloy", input="Tides.", response_format="wav")
    client.audio.transcriptions.create(model="whisper-1", file=("speech.wav", speech.content))
    day = {"start_time": _day(), "group_by": "model"}

    def results(kind: str, **extra: str) -> list[dict]:
        body = http.get(f"/v1/organization/usage/{kind}", params={**day, **extra}).json()
        return [r for bucket in body["data"] for r in bucket["results"]]

    [images] = results("images", group_by="size")
    assert images["images"] == 2 and images["num_model_requests"] == 1 and images["size"] == "256x256"
    [spoken] = results("audio_speeches")
    assert spoken["characters"] == len("Tides.") and spoken["model"] == "tts-1"
    [heard] = results("audio_transcriptions")
    assert heard["seconds"] > 0 and heard["model"] == "whisper-1"


def test_vector_store_bytes_are_reported_per_project(client: OpenAI, http: TestClient) -> None:
    upload = client.files.create(
        file=("tides.txt", b"The tide rises twice a day. " * 20), purpose="assistants"
    )
    store = client.vector_stores.create(name="tides", file_ids=[upload.id])
    for _ in range(200):  # indexing is a job: bounded wait
        store = client.vector_stores.retrieve(store.id)
        if store.status == "completed":
            break
        time.sleep(0.01)
    assert store.usage_bytes > 0
    body = http.get(
        "/v1/organization/usage/vector_stores", params={"start_time": _day(), "group_by": "project_id"}
    )
    [result] = [r for bucket in body.json()["data"] for r in bucket["results"]]
    assert result == {
        "object": "organization.usage.vector_stores.result",
        "usage_bytes": store.usage_bytes,
        "project_id": "proj_default",
    }
