"""Legacy completions through the official SDK (strict): prompt forms, echo, best_of, streaming, errors."""

from __future__ import annotations

import json

import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from starlette.testclient import TestClient

from fakeai.engine.tokenizer import Tokenizers

MODEL = "gpt-3.5-turbo-instruct"  # cl100k_base


def count(text: str) -> int:
    return len(Tokenizers().get("cl100k_base").encode_ordinary(text))


def test_string_prompt(client: OpenAI, validated: list) -> None:
    r = client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=12, seed=1)
    assert r.object == "text_completion" and r.id.startswith("cmpl-")
    (choice,) = r.choices
    assert choice.text.startswith(" ")  # a continuation of the prompt
    assert r.usage and r.usage.prompt_tokens == count("Once upon a time")
    assert count(choice.text) == r.usage.completion_tokens <= 12
    assert validated and validated[-1][:2] == ("/v1/completions", 200)


def test_default_max_tokens_is_16_as_in_openais_api(client: OpenAI) -> None:
    r = client.completions.create(model=MODEL, prompt="x", extra_body={"ignore_eos": True})
    assert r.usage and r.usage.completion_tokens == 16


def test_list_of_prompts_gives_n_choices_per_prompt(client: OpenAI) -> None:
    r = client.completions.create(model=MODEL, prompt=["a", "b", "c"], n=2, max_tokens=4, seed=2)
    assert [c.index for c in r.choices] == list(range(6))
    assert len({c.text for c in r.choices}) == 6
    assert r.usage and r.usage.prompt_tokens == 3


@pytest.mark.parametrize("prompt", [[15339, 1917], [[15339, 1917], [15339]]])
def test_token_id_prompts(client: OpenAI, prompt: list) -> None:
    r = client.completions.create(model=MODEL, prompt=prompt, max_tokens=3, echo=True)
    assert r.choices[0].text.startswith("hello world")
    assert r.usage and r.usage.prompt_tokens == (2 if isinstance(prompt[0], int) else 3)


def test_echo_prepends_the_prompt(client: OpenAI) -> None:
    r = client.completions.create(model=MODEL, prompt="Say this:", max_tokens=5, echo=True, seed=3)
    plain = client.completions.create(model=MODEL, prompt="Say this:", max_tokens=5, seed=3)
    assert r.choices[0].text == "Say this:" + plain.choices[0].text


def test_best_of_generates_more_and_returns_n(client: OpenAI) -> None:
    r = client.completions.create(
        model=MODEL, prompt="x", n=2, best_of=4, max_tokens=5, extra_body={"ignore_eos": True}
    )
    assert len(r.choices) == 2
    assert r.usage and r.usage.completion_tokens == 4 * 5  # every candidate is generated and billed


def test_max_tokens_zero_with_echo_returns_the_prompt_alone(client: OpenAI) -> None:
    r = client.completions.create(model=MODEL, prompt="Score me", max_tokens=0, echo=True)
    assert r.choices[0].text == "Score me" and r.choices[0].finish_reason == "length"
    assert r.usage and r.usage.completion_tokens == 0


def test_echo_streams_the_prompt_even_with_no_completion_tokens(http: TestClient) -> None:
    response = http.post(
        "/v1/completions",
        json={"model": MODEL, "prompt": "Score me", "max_tokens": 0, "echo": True, "stream": True},
    )
    chunks = [json.loads(f[6:]) for f in response.text.split("\n\n") if f.startswith("data: {")]
    assert "".join(c["choices"][0]["text"] for c in chunks) == "Score me"
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"


def test_null_prompt_means_end_of_text(http: TestClient) -> None:
    response = http.post("/v1/completions", json={"model": MODEL, "prompt": None, "max_tokens": 3})
    assert response.status_code == 200, response.text
    assert response.json()["usage"]["prompt_tokens"] == 1


def test_suffix_and_stop_are_accepted(client: OpenAI) -> None:
    r = client.completions.create(model=MODEL, prompt="x", suffix="END", stop=["."], max_tokens=200, seed=5)
    assert r.choices[0].finish_reason == "stop" and "." not in r.choices[0].text


def test_chat_models_serve_completions_too(client: OpenAI) -> None:
    r = client.completions.create(model="meta-llama/Llama-3.1-8B-Instruct", prompt="Hi", max_tokens=2)
    assert r.choices[0].text


def test_stream_chunks_and_usage(http: TestClient) -> None:
    response = http.post(
        "/v1/completions",
        json={"model": MODEL, "prompt": "Hi", "max_tokens": 4, "stream": True,
              "stream_options": {"include_usage": True}},
    )  # fmt: skip
    frames = [f[6:] for f in response.text.split("\n\n") if f.strip()]
    assert frames[-1] == "[DONE]"
    chunks = [json.loads(f) for f in frames[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks)
    *body, last = chunks
    assert [c["choices"][0]["finish_reason"] for c in body] == [None] * 4 + ["length"]
    assert all(c["usage"] is None for c in body)
    assert last["choices"] == [] and last["usage"]["completion_tokens"] == 4


async def test_async_sdk_stream(aclient: AsyncOpenAI) -> None:
    # The SDK's strict types say a completion choice's finish_reason is never null, but OpenAI and vLLM
    # stream null on every chunk before a choice's last (the chunks still pass the spec hook, see
    # tests/contract/spec.py). So this one call uses the SDK's default, non-strict parsing.
    client = aclient.with_options()
    client._strict_response_validation = False
    stream = await client.completions.create(model=MODEL, prompt="Hi", max_tokens=6, stream=True, echo=True)
    chunks = [c async for c in stream]
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text.startswith("Hi") and count(text[2:]) == 6
    assert chunks[-1].choices[0].finish_reason == "length"


ERRORS = [
    ({"prompt": "x"}, "model", "missing_required_parameter"),
    ({"model": MODEL}, "prompt", "missing_required_parameter"),
    ({"model": MODEL, "prompt": []}, "prompt", "empty_array"),
    ({"model": MODEL, "prompt": [1, "a"]}, "prompt", "invalid_type"),
    ({"model": MODEL, "prompt": [[1], []]}, "prompt", "invalid_type"),
    ({"model": MODEL, "prompt": [10**9]}, "prompt", "invalid_value"),
    ({"model": MODEL, "prompt": "x", "max_tokens": -1}, "max_tokens", "integer_below_min_value"),
    ({"model": MODEL, "prompt": "x", "n": 3, "best_of": 2}, "best_of", "invalid_value"),
    ({"model": MODEL, "prompt": "x", "best_of": 3, "stream": True}, "best_of", "invalid_value"),
    ({"model": MODEL, "prompt": "x", "logprobs": 6}, "logprobs", "integer_above_max_value"),
    ({"model": MODEL, "prompt": "x", "echo": "yes"}, "echo", "invalid_type"),
    ({"model": "o3", "prompt": "x", "logprobs": 1}, "logprobs", "unsupported_parameter"),
    ({"model": MODEL, "prompt": "x", "max_tokens": 5, "min_tokens": 6}, "min_tokens", "invalid_value"),
    ({"model": "text-embedding-3-small", "prompt": "x"}, "model", "model_not_supported"),
]


@pytest.mark.parametrize(("body", "param", "code"), ERRORS)
def test_bad_input_is_a_400_naming_the_param(http: TestClient, body: dict, param: str, code: str) -> None:
    response = http.post("/v1/completions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code), error


def test_prompt_over_the_context_window(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model="davinci-002", prompt="word " * 20000)
    assert info.value.code == "context_length_exceeded" and info.value.param == "prompt"
