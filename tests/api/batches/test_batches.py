"""/v1/batches with the official SDK: lines run on the engine, output and error files in OpenAI's format,
validation at `validating`, cancel, expiry, paging."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai
import pytest
from openai import OpenAI

from fakeai.api.batches.lines import parse
from tests.api.batches.conftest import chat_line, read_lines, submit, wait


def test_three_lines_complete_with_output_and_error_files(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    lines = [chat_line("a", max_tokens=5), chat_line("b", max_tokens=-1), chat_line("c", max_tokens=7)]
    created = submit(client, lines, metadata={"job": "nightly"})
    assert created.status == "validating" and created.metadata == {"job": "nightly"}
    batch = wait(client, created.id)
    assert batch.status == "completed", batch
    assert batch.request_counts and batch.request_counts.model_dump() == {
        "total": 3,
        "completed": 2,
        "failed": 1,
    }
    assert batch.model == "gpt-4o"
    assert batch.in_progress_at and batch.finalizing_at and batch.completed_at
    assert batch.created_at <= batch.in_progress_at <= batch.finalizing_at <= batch.completed_at
    output = read_lines(client, batch.output_file_id)
    assert sorted(line["custom_id"] for line in output) == ["a", "c"]
    for line in output:
        response = line["response"]
        assert line["id"].startswith("batch_req_") and line["error"] is None
        assert response["status_code"] == 200 and response["request_id"].startswith("req_")
        assert response["body"]["object"] == "chat.completion"
        assert response["body"]["usage"]["completion_tokens"] <= {"a": 5, "c": 7}[line["custom_id"]]
    [error] = read_lines(client, batch.error_file_id)
    assert error["custom_id"] == "b" and error["response"]["status_code"] == 400
    assert error["response"]["body"]["error"]["param"] == "max_tokens"
    usage = batch.usage
    assert usage and usage.output_tokens == sum(
        o["response"]["body"]["usage"]["completion_tokens"] for o in output
    )
    assert client.files.retrieve(batch.output_file_id).purpose == "batch_output"  # type: ignore[arg-type]


def test_completions_endpoint(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    line = {"custom_id": "x", "method": "POST", "url": "/v1/completions",
            "body": {"model": "gpt-3.5-turbo-instruct", "prompt": "Once", "max_tokens": 4}}  # fmt: skip
    batch = wait(client, submit(client, [line], endpoint="/v1/completions").id)
    assert batch.status == "completed"
    [out] = read_lines(client, batch.output_file_id)
    assert out["response"]["body"]["object"] == "text_completion"


def test_a_streaming_line_is_refused_in_the_error_file(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    batch = wait(client, submit(client, [chat_line("s", stream=True)]).id)
    assert batch.status == "completed" and batch.output_file_id is None
    [error] = read_lines(client, batch.error_file_id)
    assert error["response"]["body"]["error"]["param"] == "stream"


def test_validation_fails_the_batch_naming_each_line(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    wrong_url = {**chat_line("u"), "url": "/v1/completions"}
    wrong_method = {**chat_line("m"), "method": "GET"}
    other_model = chat_line("o")
    other_model["body"]["model"] = "gpt-4o-mini"
    no_id = {"method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o"}}
    lines = [chat_line("a"), no_id, wrong_url, wrong_method, chat_line("a"), other_model, chat_line("z")]
    batch = wait(client, submit(client, lines).id)
    assert batch.status == "failed" and batch.failed_at and batch.output_file_id is None
    assert batch.errors and batch.errors.data
    found = {(e.line, e.code) for e in batch.errors.data}
    assert found == {
        (2, "missing_custom_id"),
        (3, "mismatched_url"),
        (4, "invalid_method"),
        (5, "duplicate_custom_id"),
        (6, "mismatched_model"),
    }


@pytest.mark.parametrize(
    ("change", "param", "error"),
    [
        ({"endpoint": "/v1/nope"}, "endpoint", openai.BadRequestError),
        ({"completion_window": "1h"}, "completion_window", openai.BadRequestError),
        ({"input_file_id": "file-missing"}, "input_file_id", openai.NotFoundError),
        ({"metadata": {"k" * 65: "v"}}, None, openai.BadRequestError),
    ],
)
def test_create_errors(
    batch_client: Callable[..., OpenAI], change: dict, param: str | None, error: type
) -> None:
    client = batch_client()
    file = client.files.create(file=("in.jsonl", b'{"a": 1}\n'), purpose="batch")
    args = {
        "input_file_id": file.id,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        **change,
    }
    with pytest.raises(error) as info:
        client.batches.create(**args)
    if param:
        assert info.value.body["param"] == param  # type: ignore[attr-defined]


def test_input_file_must_have_purpose_batch(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    file = client.files.create(file=("in.jsonl", b'{"a": 1}\n'), purpose="user_data")
    with pytest.raises(openai.BadRequestError) as info:
        client.batches.create(input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert info.value.body["code"] == "invalid_file_purpose"  # type: ignore[index]


def test_cancel_keeps_the_output_done_so_far(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(ttft_ms=150, batch_concurrency=1)
    created = submit(client, [chat_line(str(i), max_tokens=2) for i in range(20)])
    wait(client, created.id, lambda b: bool(b.request_counts and b.request_counts.completed >= 2))
    cancelling = client.batches.cancel(created.id)
    assert cancelling.status in ("cancelling", "cancelled") and cancelling.cancelling_at
    batch = wait(client, created.id)
    assert batch.status == "cancelled" and batch.cancelled_at
    done = read_lines(client, batch.output_file_id)
    assert 2 <= len(done) < 20
    skipped = read_lines(client, batch.error_file_id)
    assert len(done) + len(skipped) == 20
    assert {line["error"]["code"] for line in skipped} == {"batch_cancelled"}
    with pytest.raises(openai.BadRequestError):
        client.batches.cancel(created.id)


def test_cancel_at_once_never_completes(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(ttft_ms=500)
    created = submit(client, [chat_line(str(i), max_tokens=2) for i in range(3)])
    client.batches.cancel(created.id)  # while validating, or just after
    batch = wait(client, created.id)
    assert batch.status == "cancelled" and batch.output_file_id is None
    assert len(read_lines(client, batch.error_file_id)) == 3


def test_completion_window_expiry(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(ttft_ms=200, batch_concurrency=1, batch_window_s=2)
    client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "warm"}]
    )  # tokenizer
    batch = wait(client, submit(client, [chat_line(str(i), max_tokens=1) for i in range(30)]).id)
    assert batch.status == "expired" and batch.expired_at
    done = read_lines(client, batch.output_file_id) if batch.output_file_id else []
    expired = read_lines(client, batch.error_file_id)
    assert len(done) < 30 and len(done) + len(expired) == 30  # what ran is kept, the rest is listed
    assert expired[0]["error"]["code"] == "batch_expired" and expired[0]["response"] is None


def test_list_pages_newest_first(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    ids = [submit(client, [chat_line("a", max_tokens=1)], metadata={"n": str(i)}).id for i in range(3)]
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == ids[:0:-1] and page.has_more
    assert [b.id for b in client.batches.list(limit=2)] == ids[::-1]  # the SDK follows `after`
    assert client.batches.retrieve(ids[0]).metadata == {"n": "0"}
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_nope")


def test_a_thousand_lines_at_zero_latency_complete_in_seconds(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    created = submit(client, [chat_line(str(i), max_tokens=16) for i in range(1000)])
    started = time.monotonic()
    batch = wait(client, created.id, timeout=60)
    elapsed = time.monotonic() - started
    assert batch.status == "completed" and batch.request_counts and batch.request_counts.completed == 1000
    assert len(read_lines(client, batch.output_file_id)) == 1000
    assert elapsed < 15, elapsed


def test_time_scale_runs_a_batch_proportionally_faster(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(ttft_ms=2000, itl_ms=0, time_scale=40, batch_concurrency=1)
    created = submit(client, [chat_line(str(i), max_tokens=1) for i in range(5)])  # 10 simulated seconds
    started = time.monotonic()
    batch = wait(client, created.id)
    assert batch.status == "completed"
    assert time.monotonic() - started < 2.0  # 10 s / 40 = 0.25 s, plus polling and tokenizer loading


def test_a_line_that_is_not_json_fails_validation() -> None:
    # Upload already refuses such a file (tests/api/files), so the batch's own check is seen directly.
    lines, errors = parse(b'{"custom_id": "a"}\n{not json\n[1]\n', "/v1/chat/completions")
    assert [(e["line"], e["code"]) for e in errors] == [
        (1, "invalid_method"),
        (2, "invalid_json_line"),
        (3, "invalid_json_line"),
    ]
    assert lines == []
