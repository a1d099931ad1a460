"""Batch lines in the usage ledger: each completed line once, as batch usage, under the batch creator's
project and API key, and priced at half the model's prices in the costs API."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from typing import Any

import pytest
from openai import OpenAI

from fakeai.catalog import Catalog
from fakeai.metrics.usage import BATCH_DISCOUNT
from fakeai.security.keys import key_id_for
from tests.api.batches.conftest import chat_line, read_lines, submit, wait

KEY = "sk-test"  # the key the tests' SDK sends


def _results(http: Any, path: str, **params: Any) -> list[dict[str, Any]]:
    since = int(time.time()) - 2 * 86400  # daily buckets: today's is among them, whatever the hour
    body = http.get(path, params={"start_time": since, **params}, headers={"authorization": f"Bearer {KEY}"})
    assert body.status_code == 200, body.text
    return [r for bucket in body.json()["data"] for r in bucket["results"]]


def test_batch_lines_are_billed_once_to_their_creator_at_the_batch_price(
    batch_client: Callable[..., OpenAI],
) -> None:
    client = batch_client(api_key=[KEY])
    http = client._client  # type: ignore[attr-defined]
    lines = [chat_line(f"l{i}", max_tokens=4 + i) for i in range(4)] + [chat_line("bad", max_tokens=-1)]
    batch = wait(client, submit(client, lines).id)
    assert batch.status == "completed" and batch.request_counts is not None
    assert (batch.request_counts.completed, batch.request_counts.failed) == (4, 1)
    usages = [line["response"]["body"]["usage"] for line in read_lines(client, batch.output_file_id)]
    live = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "live"}], max_tokens=3
    ).usage
    assert live is not None

    groups = "batch,project_id,api_key_id,model"
    by_batch = {r["batch"]: r for r in _results(http, "/v1/organization/usage/completions", group_by=groups)}
    assert set(by_batch) == {True, False}
    billed = by_batch[True]
    key_id = key_id_for(KEY)
    assert (billed["api_key_id"], billed["project_id"], billed["model"]) == (
        key_id,
        "proj_" + key_id.removeprefix("key_")[:12],
        "gpt-4o",
    )
    assert billed["num_model_requests"] == 4  # the failed line is not billed
    assert billed["input_tokens"] == sum(u["prompt_tokens"] for u in usages)
    assert billed["output_tokens"] == sum(u["completion_tokens"] for u in usages)
    assert billed["input_cached_tokens"] == sum(u["prompt_tokens_details"]["cached_tokens"] for u in usages)
    assert by_batch[False]["output_tokens"] == live.completion_tokens
    assert by_batch[False]["num_model_requests"] == 1

    # The filter, either way, and a value that is not a boolean.
    [only] = _results(http, "/v1/organization/usage/completions", batch="true")
    assert only["num_model_requests"] == 4 and only["batch"] is None  # not grouped: null, as OpenAI's
    [other] = _results(http, "/v1/organization/usage/completions", batch="false")
    assert other["num_model_requests"] == 1
    bad = http.get(
        "/v1/organization/usage/completions",
        params={"start_time": 0, "batch": "maybe"},
        headers={"authorization": f"Bearer {KEY}"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "batch"

    price = Catalog.bundled().get("gpt-4o").pricing
    cached = billed["input_cached_tokens"]
    full = (
        (billed["input_tokens"] - cached) * price.input
        + cached * (price.cached_input or price.input)
        + billed["output_tokens"] * price.output
    ) / 1e6
    items = {
        r["line_item"]: r["amount"]["value"]
        for r in _results(http, "/v1/organization/costs", group_by="line_item")
    }
    batch_items = {k: v for k, v in items.items() if k.startswith("gpt-4o, batch ")}
    assert set(batch_items) == {"gpt-4o, batch input", "gpt-4o, batch cached input", "gpt-4o, batch output"}
    assert sum(batch_items.values()) == pytest.approx(full * BATCH_DISCOUNT, rel=1e-9)
    assert BATCH_DISCOUNT == 0.5  # OpenAI's Batch API price
    live_cost = (live.prompt_tokens * price.input + live.completion_tokens * price.output) / 1e6
    assert items["gpt-4o, output"] == pytest.approx(live.completion_tokens * price.output / 1e6)
    [key_cost] = _results(http, "/v1/organization/costs", group_by="api_key_id")
    assert key_cost["api_key_id"] == key_id
    assert key_cost["amount"]["value"] == pytest.approx(full * BATCH_DISCOUNT + live_cost, rel=1e-9)

    table = http.get("/v1/organization/costs.csv", headers={"authorization": f"Bearer {KEY}"}).text
    [row] = list(csv.DictReader(io.StringIO(table)))
    assert int(row["requests"]) == 5
    assert float(row["cost_usd"]) == pytest.approx(full * BATCH_DISCOUNT + live_cost, abs=1e-6)
