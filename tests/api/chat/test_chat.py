"""Chat completions through the official SDK (strict), non-streaming."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from openai import OpenAI
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers
from tests.conftest import sdk

USER = [{"role": "user", "content": "Tell me about gardens."}]


def test_basic_completion_is_complete_and_consistent(client: OpenAI, validated: list) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=USER, max_tokens=40)
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-")
    assert r.model == "gpt-4o"
    assert r.system_fingerprint and r.system_fingerprint.startswith("fp_")
    (choice,) = r.choices
    assert choice.index == 0 and choice.message.role == "assistant" and choice.message.refusal is None
    assert choice.finish_reason in ("stop", "length")
    usage = r.usage
    assert usage is not None
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details and usage.completion_tokens_details.reasoning_tokens == 0
    # The text re-tokenizes (with the model's own tokenizer) to exactly completion_tokens.
    text = choice.message.content or ""
    assert len(Tokenizers().get("o200k_base").encode_ordinary(text)) == usage.completion_tokens <= 40
    assert validated and validated[-1][:2] == ("/v1/chat/completions", 200)


def test_prompt_tokens_follow_openais_recipe(client: OpenAI) -> None:
    # OpenAI's published count for this conversation on gpt-4o-class models: 3 per message + role + content
    # (+1 + name), + 3 for the reply.
    encode = Tokenizers().get("o200k_base").encode_ordinary
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hello there", "name": "alice"},
    ]
    expected = 3 + (3 + 1 + len(encode("You are terse."))) + (3 + 1 + len(encode("Hello there")) + 1 + 1)
    r = client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=1)
    assert r.usage and r.usage.prompt_tokens == expected


def test_every_role_and_content_form_is_accepted(client: OpenAI) -> None:
    messages = [
        {"role": "system", "content": "Be helpful."},
        {"role": "developer", "content": [{"type": "text", "text": "Prefer short answers."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.invalid/cat.png", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": '{"x": 1}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
        {"role": "function", "name": "legacy", "content": "ok"},
        {"role": "assistant", "content": [{"type": "text", "text": "It is a cat."}], "name": "bot"},
        {"role": "user", "content": "Thanks!"},
    ]
    r = client.chat.completions.create(model="gpt-4o", messages=messages, max_tokens=5)  # type: ignore[arg-type]
    assert r.choices[0].message.content


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_token_limits_are_upper_bounds(client: OpenAI, field: str) -> None:
    for limit in (1, 3, 17):
        r = client.chat.completions.create(model="gpt-4o", messages=USER, **{field: limit})  # type: ignore[call-overload]
        assert r.usage and r.usage.completion_tokens <= limit


def test_max_completion_tokens_wins_over_max_tokens(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="gpt-4o", messages=USER, max_tokens=50, max_completion_tokens=2, extra_body={"ignore_eos": True}
    )
    assert r.usage and r.usage.completion_tokens == 2


def test_ignore_eos_generates_exactly_max_tokens(client: OpenAI) -> None:
    for limit in (1, 64, 700):
        r = client.chat.completions.create(
            model="meta-llama/Llama-3.1-8B-Instruct",
            messages=USER,
            max_tokens=limit,
            extra_body={"ignore_eos": True},
        )
        assert r.usage and r.usage.completion_tokens == limit
        assert r.choices[0].finish_reason == "length"
        text = r.choices[0].message.content or ""
        assert len(Tokenizers().get("llama3").encode_ordinary(text)) == limit


def test_min_tokens_sets_a_floor(client: OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=USER, extra_body={"min_tokens": 600})
    assert r.usage and r.usage.completion_tokens >= 600


def test_n_gives_distinct_choices(client: OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=USER, n=4, max_tokens=30, seed=3)
    assert [c.index for c in r.choices] == [0, 1, 2, 3]
    assert len({c.message.content for c in r.choices}) == 4
    assert r.usage and r.usage.completion_tokens == sum(
        len(Tokenizers().get("o200k_base").encode_ordinary(c.message.content or "")) for c in r.choices
    )


@pytest.mark.parametrize("stop", [".", ["zzz", "."]])
def test_stop_truncates_with_finish_reason_stop(client: OpenAI, stop: str | list[str]) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=USER, stop=stop, seed=1)
    choice = r.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.content and "." not in choice.message.content


def test_same_seed_same_output_different_seed_different_output(client: OpenAI) -> None:
    def text(seed: int, content: str = "hi") -> str:
        r = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": content}], seed=seed, max_tokens=30
        )
        return r.choices[0].message.content or ""

    assert text(1) == text(1)
    assert text(1) != text(2)
    assert text(1, "hi") != text(1, "hello")


def test_server_seed_makes_unseeded_requests_reproducible(make_app: Callable) -> None:
    def text(server_seed: int) -> str:
        with TestClient(make_app(seed=server_seed)) as http:
            r = sdk(http).chat.completions.create(model="gpt-4o", messages=USER, max_tokens=30)
            return r.choices[0].message.content or ""

    assert text(5) == text(5) != text(6)


def test_sampling_and_bookkeeping_parameters_are_accepted(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="gpt-4o",
        messages=USER,
        max_tokens=3,
        temperature=1.5,
        top_p=0.9,
        frequency_penalty=-1,
        presence_penalty=2,
        logit_bias={"50256": -100},
        user="user-1",
        metadata={"team": "qa"},
        store=False,
        service_tier="auto",
        parallel_tool_calls=True,
        tools=[{"type": "function", "function": {"name": "noop", "parameters": {"type": "object"}}}],
        tool_choice="auto",
    )
    assert r.choices[0].message.content


def test_unknown_model_is_created_on_first_use(client: OpenAI) -> None:
    r = client.chat.completions.create(model="acme/brand-new-model", messages=USER, max_tokens=2)
    assert r.model == "acme/brand-new-model"
    assert client.models.retrieve("acme/brand-new-model").owned_by == "custom"


def test_strict_models_refuses_unknown_ids(make_app: Callable) -> None:
    with TestClient(make_app(strict_models=True)) as http, pytest.raises(openai.NotFoundError) as info:
        sdk(http).chat.completions.create(model="acme/nope", messages=USER)
    assert info.value.code == "model_not_found" and info.value.param == "model"


def test_aliases_resolve_and_are_echoed(client: OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=USER, max_tokens=1)
    assert r.model == "gpt-4o-2024-08-06"


def test_sdk_exposes_the_request_id(client: OpenAI) -> None:
    r = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER, max_tokens=1)
    assert r.request_id and r.request_id.startswith("req_")
    assert r.headers["openai-version"] == "2020-10-01"
    assert int(r.headers["openai-processing-ms"]) >= 0
