"""On sqlite, a batch running when the server stopped resumes at the next start and loses no line."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from openai import OpenAI

from fakeai.security.keys import key_id_for
from tests.api.batches.conftest import chat_line, read_lines, submit, wait


def test_a_running_batch_resumes_after_a_restart(batch_client: Callable[..., OpenAI], tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'fakeai.db'}"
    first = batch_client(store=store, ttft_ms=100, batch_concurrency=1, api_key=["sk-test"])
    created = submit(first, [chat_line(str(i), max_tokens=3) for i in range(12)])
    running = wait(first, created.id, lambda b: bool(b.request_counts and b.request_counts.completed >= 3))
    assert running.status == "in_progress"
    http = first._client  # stop this server mid-batch: its jobs are cancelled where they stand
    http.__exit__(None, None, None)  # type: ignore[attr-defined]
    with sqlite3.connect(tmp_path / "fakeai.db") as db:  # the lines it had finished, as stored
        rows = db.execute("SELECT body FROM objects WHERE kind = ?", (f"batch.line:{created.id}",)).fetchall()
    before = {json.loads(body)["line"]["id"] for (body,) in rows}
    assert len(before) >= 3

    # A new process on the same database: lifespan resumes the batch.
    second = batch_client(store=store, api_key=["sk-test"])
    batch = wait(second, created.id)
    assert batch.status == "completed", batch
    assert batch.request_counts and batch.request_counts.completed == 12
    output = read_lines(second, batch.output_file_id)
    assert sorted(int(line["custom_id"]) for line in output) == list(range(12))
    assert len({line["id"] for line in output}) == 12
    assert before <= {line["id"] for line in output}  # kept as they were, not run again
    # Billed by this process: the lines it ran, to the key that created the batch.
    usage = second._client.get(  # type: ignore[attr-defined]
        "/v1/organization/usage/completions",
        params={"start_time": int(time.time()) // 86400 * 86400, "group_by": "api_key_id,batch"},
        headers={"authorization": "Bearer sk-test"},
    ).json()
    [billed] = [r for bucket in usage["data"] for r in bucket["results"]]
    assert (billed["api_key_id"], billed["batch"]) == (key_id_for("sk-test"), True)
    assert billed["num_model_requests"] == 12 - len(before)
