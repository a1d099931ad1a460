"""The done-when program against a real server on sqlite: files, a batch, fine-tuning and vector search,
with a kill -9 in the middle and a restart that loses nothing (tests/api run the same on a fresh app)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from tests.live.server import LiveServer, live_server

pytestmark = pytest.mark.live

BYTES = bytes(range(256)) * 64
DOCS = {
    "france.txt": "Paris is the capital of France. The Eiffel Tower stands on the Champ de Mars.",
    "fruit.txt": "Bananas are yellow and rich in potassium. Apples can be red or green.",
    "space.txt": "The Moon orbits the Earth every 27 days. Mars has two small moons, Phobos and Deimos.",
}
FLAGS = ("--ttft-ms", "300", "--itl-ms", "5", "--batch-concurrency", "1", "--fine-tuning-s", "2")


def sdk(server: LiveServer) -> OpenAI:
    return OpenAI(
        api_key="sk-test", base_url=f"{server.url}/v1", max_retries=2, _strict_response_validation=True
    )


def until(check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def start(client: OpenAI) -> dict[str, str]:
    """The first half of the program: everything is created and some of it is in flight."""
    ids = {"blob": client.files.create(file=("blob.bin", BYTES), purpose="user_data").id}
    lines = [{"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": f"line {i}"}],
                       "max_tokens": 3 if i != 1 else -1}} for i in range(3)]  # fmt: skip
    batch_input = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    batch_file = client.files.create(file=("in.jsonl", batch_input), purpose="batch")
    ids["batch"] = client.batches.create(
        input_file_id=batch_file.id, endpoint="/v1/chat/completions", completion_window="24h"
    ).id
    pair = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    examples = [{"messages": pair} for _ in range(12)]
    train = client.files.create(
        file=("train.jsonl", b"".join(json.dumps(e).encode() + b"\n" for e in examples)), purpose="fine-tune"
    )
    ids["job"] = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=train.id).id
    vs = client.vector_stores.create(name="kb")
    files = [
        client.files.create(file=(name, text.encode()), purpose="assistants").id
        for name, text in DOCS.items()
    ]
    client.vector_stores.file_batches.create_and_poll(vector_store_id=vs.id, file_ids=files)
    ids["vs"] = vs.id
    return ids


def finish(client: OpenAI, ids: dict[str, str]) -> None:
    """The second half: every result is there and right."""
    assert client.files.content(ids["blob"]).read() == BYTES
    batch = until(lambda: (b := client.batches.retrieve(ids["batch"])).status == "completed" and b)
    assert batch.request_counts.completed == 2 and batch.request_counts.failed == 1
    output = [json.loads(x) for x in client.files.content(batch.output_file_id).text.splitlines()]
    errors = [json.loads(x) for x in client.files.content(batch.error_file_id).text.splitlines()]
    assert sorted(x["custom_id"] for x in output) == ["c0", "c2"] and errors[0]["custom_id"] == "c1"
    job = until(
        lambda: (j := client.fine_tuning.jobs.retrieve(ids["job"])).status in ("succeeded", "failed") and j
    )
    assert job.status == "succeeded" and job.fine_tuned_model
    reply = client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.choices[0].message.content
    hits = client.vector_stores.search(ids["vs"], query="How many moons does Mars have?", rewrite_query=True)
    assert hits.data[0].filename == "space.txt"


def test_the_program_survives_kill_9_and_a_restart(tmp_path: Path) -> None:
    flags = (*FLAGS, "--store", f"sqlite:{tmp_path / 'fakeai.db'}")
    with live_server(*flags, timeout=30) as server:
        client = sdk(server)
        ids = start(client)
        until(lambda: client.batches.retrieve(ids["batch"]).status == "in_progress")
        until(lambda: client.fine_tuning.jobs.retrieve(ids["job"]).status == "running")
        os.killpg(server.process.pid, signal.SIGKILL)  # mid-batch and mid-training
        server.process.wait()
    with live_server(*flags, timeout=30) as server:
        finish(sdk(server), ids)
