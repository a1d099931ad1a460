"""OpenAI's batch queue limit: a key's batches hold their input tokens (per model) while they validate or
run; a batch that would pass the limit fails validation with ``token_limit_exceeded``, and the tokens come
back when a batch ends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openai import OpenAI

from tests.api.batches.conftest import chat_line, submit, wait

KEYS = Path(__file__).parent / "keys_queue.yaml"  # sk-test: batch_queue_tokens 400


def test_a_batch_past_the_queue_limit_fails_until_one_ends(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(keys_file=KEYS, ttft_ms=60_000)  # lines wait: the first batch stays running
    lines = [chat_line(str(i), max_tokens=2) for i in range(10)]  # 28 tokens each: 280, and 2 x 280 > 400
    first = submit(client, lines)
    assert wait(client, first.id, lambda b: b.status != "validating").status == "in_progress"
    second = submit(client, lines)
    failed = wait(client, second.id)
    assert failed.status == "failed" and failed.failed_at and failed.errors and failed.errors.data
    [error] = failed.errors.data
    assert error.code == "token_limit_exceeded" and error.line is None
    assert error.message == (
        "Enqueued token limit reached for gpt-4o in organization proj_bq. Limit: 400 enqueued tokens. "
        "Please try again once some in_progress batches have been completed."
    )
    client.batches.cancel(first.id)
    assert wait(client, first.id).status == "cancelled"
    third = submit(client, lines)  # the first one's tokens are back
    assert wait(client, third.id, lambda b: b.status != "validating").status == "in_progress"
    client.batches.cancel(third.id)
    wait(client, third.id)


def test_a_batch_larger_than_the_whole_queue_fails_at_once(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(keys_file=KEYS)
    batch = wait(client, submit(client, [chat_line(str(i), max_tokens=2) for i in range(40)]).id)
    assert batch.status == "failed" and batch.errors and batch.errors.data[0].code == "token_limit_exceeded"
    assert batch.request_counts is not None and batch.request_counts.completed == 0  # no line ran
