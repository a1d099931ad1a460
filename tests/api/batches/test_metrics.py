"""Stored state and batch progress on /metrics, parsed by prometheus_client's own parser."""

from __future__ import annotations

import json
from collections.abc import Callable

from openai import OpenAI
from prometheus_client.parser import text_string_to_metric_families

from tests.api.batches.conftest import chat_line, submit, wait


def samples(client: OpenAI) -> dict[tuple[str, tuple], float]:
    text = client._client.get("/metrics").text  # type: ignore[attr-defined]
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("fakeai:")
    }


def test_store_and_batch_metrics(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    batch = wait(client, submit(client, [chat_line("a", max_tokens=2), chat_line("b", max_tokens=-1)]).id)
    assert batch.status == "completed"
    found = samples(client)
    assert found[("fakeai:batch_requests_total", (("outcome", "completed"),))] == 1
    assert found[("fakeai:batch_requests_total", (("outcome", "failed"),))] == 1
    assert found[("fakeai:batches_running", ())] == 0
    assert found[("fakeai:store_objects", (("kind", "batch"),))] == 1
    assert found[("fakeai:store_objects", (("kind", "file"),))] == 3  # input, output, error
    assert found[("fakeai:store_blobs", ())] == 3
    content = sum(f.bytes for f in client.files.list())
    assert found[("fakeai:store_bytes", ())] > content  # the bytes and the objects describing them


def test_batch_lines_and_vector_bytes_reach_the_organization_usage(
    batch_client: Callable[..., OpenAI],
) -> None:
    import time

    client = batch_client()
    http = client._client  # type: ignore[attr-defined]
    batch = wait(client, submit(client, [chat_line("a", max_tokens=5)]).id)
    [line] = [json.loads(x) for x in client.files.content(batch.output_file_id).text.splitlines()]  # type: ignore[arg-type]
    vs = client.vector_stores.create(name="x")
    file_id = client.files.create(file=("a.txt", b"hello world " * 10), purpose="assistants").id
    attached = client.vector_stores.files.create_and_poll(vector_store_id=vs.id, file_id=file_id)
    since = int(time.time()) - 2 * 86400  # daily buckets: today's is among them, whatever the hour
    usage = http.get(f"/v1/organization/usage/completions?start_time={since}&group_by=batch").json()
    [result] = [r for bucket in usage["data"] for r in bucket["results"]]
    assert result["batch"] is True
    assert result["output_tokens"] == line["response"]["body"]["usage"]["completion_tokens"]
    stored = http.get(f"/v1/organization/usage/vector_stores?start_time={since}").json()
    [held] = [r for bucket in stored["data"] for r in bucket["results"]]
    assert held["usage_bytes"] == attached.usage_bytes
