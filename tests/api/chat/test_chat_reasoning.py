"""Reasoning models: seeded reasoning budgets, counted and generated before the answer; shown or hidden."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from fakeai.content.reasoning import EFFORT_TOKENS
from fakeai.engine.tokenizer import Tokenizers

USER = [{"role": "user", "content": "Why is the sky blue?"}]
R1 = "deepseek-ai/DeepSeek-R1"  # reasoning shown in reasoning_content (qwen3 vocabulary here)


def count(encoding: str, text: str) -> int:
    return len(Tokenizers().get(encoding).encode_ordinary(text))


def test_openai_reasoning_models_count_hidden_reasoning(client: OpenAI) -> None:
    r = client.chat.completions.create(model="o3", messages=USER, reasoning_effort="low", seed=1)
    usage, message = r.usage, r.choices[0].message
    assert usage and usage.completion_tokens_details
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    assert EFFORT_TOKENS["low"][0] <= reasoning <= EFFORT_TOKENS["low"][1]
    assert usage.completion_tokens == reasoning + count("o200k_base", message.content or "")
    assert "reasoning_content" not in (message.model_extra or {})


def test_reasoning_models_reason_at_medium_effort_by_default(client: OpenAI) -> None:
    r = client.chat.completions.create(model="o4-mini", messages=USER, seed=2)
    details = r.usage.completion_tokens_details if r.usage else None
    low, high = EFFORT_TOKENS["medium"]
    assert details and low <= (details.reasoning_tokens or 0) <= high


@pytest.mark.parametrize("effort", ["minimal", "low", "medium", "high"])
def test_each_effort_draws_from_its_range(client: OpenAI, effort: str) -> None:
    r = client.chat.completions.create(model="o3", messages=USER, reasoning_effort=effort, seed=3)  # type: ignore[arg-type]
    details = r.usage.completion_tokens_details if r.usage else None
    low, high = EFFORT_TOKENS[effort]
    assert details and low <= (details.reasoning_tokens or 0) <= high


def test_reasoning_that_exhausts_the_budget_leaves_no_answer(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="o3", messages=USER, reasoning_effort="high", max_completion_tokens=300, seed=4
    )
    assert r.choices[0].message.content == "" and r.choices[0].finish_reason == "length"
    assert r.usage and r.usage.completion_tokens == 300
    assert r.usage.completion_tokens_details and r.usage.completion_tokens_details.reasoning_tokens == 300


def test_max_completion_tokens_bounds_reasoning_and_answer_together(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model=R1, messages=USER, reasoning_effort="minimal", max_completion_tokens=120, seed=5,
        extra_body={"ignore_eos": True},
    )  # fmt: skip
    assert r.usage and r.usage.completion_tokens == 120 and r.choices[0].finish_reason == "length"


def test_deepseek_style_models_return_their_reasoning(client: OpenAI) -> None:
    r = client.chat.completions.create(model=R1, messages=USER, reasoning_effort="low", seed=6)
    message = r.choices[0].message
    thoughts = (message.model_extra or {})["reasoning_content"]
    assert r.usage and r.usage.completion_tokens_details
    assert count("qwen3", thoughts) == r.usage.completion_tokens_details.reasoning_tokens > 0
    assert r.usage.completion_tokens == count("qwen3", thoughts) + count("qwen3", message.content or "")


def test_harmony_models_return_their_reasoning(client: OpenAI) -> None:
    r = client.chat.completions.create(model="openai/gpt-oss-20b", messages=USER, reasoning_effort="low")
    assert (r.choices[0].message.model_extra or {}).get("reasoning_content")


def test_hybrid_models_reason_only_when_asked(client: OpenAI) -> None:
    def reasoning_tokens(**kwargs: object) -> int:
        r = client.chat.completions.create(model="Qwen/Qwen3-8B", messages=USER, seed=7, **kwargs)  # type: ignore[call-overload]
        details = r.usage.completion_tokens_details if r.usage else None
        return (details.reasoning_tokens or 0) if details else 0

    assert reasoning_tokens() == 0 == reasoning_tokens(reasoning_effort="none")
    assert reasoning_tokens(reasoning_effort="low") > 0


def test_reasoning_is_deterministic_per_seed(client: OpenAI) -> None:
    def run(seed: int) -> tuple[object, ...]:
        r = client.chat.completions.create(model=R1, messages=USER, reasoning_effort="low", seed=seed)
        return (r.choices[0].message.content, (r.choices[0].message.model_extra or {})["reasoning_content"])

    assert run(1) == run(1) != run(2)


@pytest.mark.parametrize(
    ("model", "effort", "code"),
    [("gpt-4o", "low", "unsupported_parameter"), ("o3", "none", "unsupported_value")],
)
def test_refused_efforts(client: OpenAI, model: str, effort: str, code: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=model, messages=USER, reasoning_effort=effort)  # type: ignore[arg-type]
    assert info.value.param == "reasoning_effort" and info.value.code == code


async def test_streamed_reasoning_comes_before_the_answer(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(
        model=R1, messages=USER, reasoning_effort="low", seed=8, stream=True,
        stream_options={"include_usage": True, "continuous_usage_stats": True},  # type: ignore[typeddict-unknown-key]
    )  # fmt: skip
    thoughts, content, first_content_usage, usage = "", "", None, None
    async for chunk in stream:
        usage = chunk.usage
        for choice in chunk.choices:
            delta_extra = choice.delta.model_extra or {}
            if delta_extra.get("reasoning_content"):
                assert not content, "reasoning after the answer started"
                thoughts += delta_extra["reasoning_content"]
            if choice.delta.content:
                if not content:
                    first_content_usage = chunk.usage
                content += choice.delta.content
    assert usage and usage.completion_tokens_details and thoughts and content
    reasoning = usage.completion_tokens_details.reasoning_tokens
    assert count("qwen3", thoughts) == reasoning
    assert usage.completion_tokens == reasoning + count("qwen3", content)
    # The engine generated every reasoning token before the first content token.
    assert first_content_usage and first_content_usage.completion_tokens == (reasoning or 0) + 1


async def test_hidden_reasoning_is_not_streamed_but_delays_the_answer(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(
        model="o3", messages=USER, reasoning_effort="minimal", seed=9, stream=True,
        stream_options={"include_usage": True, "continuous_usage_stats": True},  # type: ignore[typeddict-unknown-key]
    )  # fmt: skip
    chunks = [chunk async for chunk in stream]
    assert not any((c.delta.model_extra or {}).get("reasoning_content") for k in chunks for c in k.choices)
    usage = chunks[-1].usage
    assert usage and usage.completion_tokens_details
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    first = next(k for k in chunks if k.choices and k.choices[0].delta.content)
    assert first.usage and first.usage.completion_tokens == reasoning + 1
