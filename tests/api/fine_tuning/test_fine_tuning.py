"""/v1/fine_tuning/jobs with the official SDK: simulated runs to `succeeded`, the new model answering chat,
the file checked as OpenAI does, events, checkpoints, cancel, pause and resume."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
from openai import OpenAI
from openai.types.fine_tuning import FineTuningJob

from fakeai.api.fine_tuning.training import MESSAGE_OVERHEAD
from fakeai.engine.tokenizer import Tokenizers

FINAL = ("succeeded", "failed", "cancelled")


def example(i: int) -> dict[str, Any]:
    system, user = {"role": "system", "content": "Be brief."}, {"role": "user", "content": f"What is {i}?"}
    return {"messages": [system, user, {"role": "assistant", "content": f"It is {i}."}]}


def dpo_example(i: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Say {i}"}]},
        "preferred_output": [{"role": "assistant", "content": f"{i}"}],
        "non_preferred_output": [{"role": "assistant", "content": "no"}],
    }


def training_file(client: OpenAI, lines: list[Any]) -> str:
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    return client.files.create(file=("train.jsonl", data), purpose="fine-tune").id


def wait(client: OpenAI, job_id: str, until: Callable[[FineTuningJob], bool] | None = None) -> FineTuningJob:
    deadline = time.monotonic() + 20
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if (until(job) if until else job.status in FINAL) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_a_job_succeeds_and_its_model_answers_chat(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(fine_tuning_s=2, time_scale=4, strict_models=True)
    examples = [example(i) for i in range(12)]
    created = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=training_file(client, examples),
        suffix="demo",
        seed=7,
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 3}}},
    )
    assert created.status == "validating_files" and created.fine_tuned_model is None
    job = wait(client, created.id)
    assert job.status == "succeeded", job.error
    assert (
        job.fine_tuned_model
        and job.fine_tuned_model.startswith("ft:gpt-4o-mini:")
        and "demo" in job.fine_tuned_model
    )
    assert job.method and job.method.supervised and job.method.supervised.hyperparameters
    hyper = job.method.supervised.hyperparameters
    assert (hyper.n_epochs, hyper.batch_size, hyper.learning_rate_multiplier) == (2, 3, 1.8)
    assert job.hyperparameters.n_epochs == 2 and job.seed == 7 and job.finished_at
    encoding = Tokenizers().get("o200k_base")
    per_epoch = sum(len(encoding.encode_ordinary(m["content"])) + MESSAGE_OVERHEAD
                    for e in examples for m in e["messages"])  # fmt: skip
    assert job.trained_tokens == 2 * per_epoch
    assert job.fine_tuned_model in [m.id for m in client.models.list()]
    reply = client.chat.completions.create(
        model=job.fine_tuned_model, messages=[{"role": "user", "content": "hi"}]
    )
    assert reply.model == job.fine_tuned_model and reply.choices[0].message.content
    # Events, newest first and paged; the loss falls over the run.
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=3))  # the SDK follows `after`
    assert events[0].message == "The job has successfully completed"
    assert events[-1].message.startswith("Created fine-tuning job")
    losses = [e.data["train_loss"] for e in reversed(events) if e.type == "metrics"]  # type: ignore[index]
    assert len(losses) == 8 and losses[-1] < losses[0]  # 12 examples / 3 per batch x 2 epochs
    checkpoints = client.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [8, 4]  # one per epoch, newest first
    assert checkpoints[0].fine_tuned_model_checkpoint.startswith(job.fine_tuned_model)
    rows = client.files.content(job.result_files[0]).text.splitlines()
    assert rows[0] == "step,train_loss,train_accuracy" and len(rows) == 9


def test_dpo_is_validated_and_echoed(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(fine_tuning_s=0.4, time_scale=4)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=training_file(client, [dpo_example(i) for i in range(10)]),
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.3}}},
    )
    job = wait(client, job.id)
    assert job.status == "succeeded" and job.method and job.method.dpo and job.method.dpo.hyperparameters
    assert job.method.dpo.hyperparameters.beta == 0.3


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        ([example(i) for i in range(9)], "at least 10 examples"),
        (
            [*[example(i) for i in range(10)], {"messages": [{"role": "robot", "content": "x"}]}],
            "role 'robot'",
        ),
        (
            [*[example(i) for i in range(10)], {"messages": [{"role": "user", "content": "x"}]}],
            "no assistant",
        ),
        ([*[example(i) for i in range(10)], {"prompt": "x"}], "Line 11"),
    ],
)
def test_bad_training_files_fail_the_job(
    batch_client: Callable[..., OpenAI], lines: list, needle: str
) -> None:
    client = batch_client(fine_tuning_s=0.4, time_scale=4)
    job = wait(
        client,
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=training_file(client, lines)).id,
    )
    assert job.status == "failed" and job.error and needle in job.error.message
    assert job.error.code == "invalid_training_file" and job.error.param == "training_file"


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"training_file": "file-nope"}, "training_file"),
        ({"model": "text-embedding-3-small"}, "model"),
        ({"method": {"type": "reinforcement"}}, "method.type"),
        ({"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}},
         "method.supervised.hyperparameters.n_epochs"),
        ({"hyperparameters": {"learning_rate_multiplier": -1}}, "hyperparameters.learning_rate_multiplier"),
        ({"suffix": "x" * 65}, "suffix"),
    ],
)  # fmt: skip
def test_create_errors(batch_client: Callable[..., OpenAI], change: dict, param: str) -> None:
    client = batch_client()
    args = {
        "model": "gpt-4o-mini",
        "training_file": training_file(client, [example(i) for i in range(10)]),
        **change,
    }
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**args)
    assert info.value.body["param"] == param  # type: ignore[index]


def test_wrong_purpose(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client()
    file = client.files.create(file=("t.jsonl", b"{}"), purpose="batch")
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    assert info.value.body["code"] == "invalid_file_purpose"  # type: ignore[index]


def test_cancel_pause_resume(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(fine_tuning_s=3)
    file = training_file(client, [example(i) for i in range(30)])
    job = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file, metadata={"run": "a"})
    wait(client, job.id, lambda j: j.status == "running")
    paused = client.fine_tuning.jobs.pause(job.id)
    assert paused.status == "running"  # the spec knows no `paused` status; the events say it
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.pause(job.id)
    first = client.fine_tuning.jobs.list_events(job.id, limit=1).data[0]
    assert first.message == "Fine-tuning job paused"
    client.fine_tuning.jobs.resume(job.id)
    cancelled = client.fine_tuning.jobs.cancel(job.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.cancel(job.id)
    other = client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file, metadata={"run": "b"})
    client.fine_tuning.jobs.cancel(other.id)
    assert [j.id for j in client.fine_tuning.jobs.list()] == [other.id, job.id]
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"run": "a"})] == [job.id]
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-nope")


def test_cancel_while_validating_stays_cancelled(batch_client: Callable[..., OpenAI]) -> None:
    client = batch_client(fine_tuning_s=0.2)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training_file(client, [example(i) for i in range(10)])
    )
    client.fine_tuning.jobs.cancel(job.id)
    time.sleep(1.5)  # past validation and queueing: nothing may revive it
    assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"


def test_a_running_job_resumes_after_a_restart(batch_client: Callable[..., OpenAI], tmp_path: Path) -> None:
    store = f"sqlite:{tmp_path / 'fakeai.db'}"
    first = batch_client(store=store, fine_tuning_s=2)
    job = first.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=training_file(first, [example(i) for i in range(10)])
    )
    wait(first, job.id, lambda j: j.status == "running")
    first._client.__exit__(None, None, None)  # type: ignore[attr-defined]
    second = batch_client(store=store, fine_tuning_s=2)
    done = wait(second, job.id)
    assert done.status == "succeeded" and done.fine_tuned_model
    third = batch_client(store=store, strict_models=True)  # and the model serves after the next restart
    third.chat.completions.create(model=done.fine_tuned_model, messages=[{"role": "user", "content": "hi"}])
