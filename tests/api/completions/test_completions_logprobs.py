"""Legacy completions logprobs: OpenAI's four parallel lists, the prompt first under echo, streamed too."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from openai import OpenAI
from starlette.testclient import TestClient

MODEL = "gpt-3.5-turbo-instruct"


@pytest.fixture
def lenient(make_app: Callable) -> Iterator[OpenAI]:
    """The default (non-strict) SDK, without the spec hook: for ``echo``, whose first prompt token has a
    null logprob as OpenAI and vLLM return it, although the spec and the SDK's types say numbers."""
    with TestClient(make_app()) as http:
        yield OpenAI(api_key="sk-test", base_url=f"{http.base_url}/v1", http_client=http, max_retries=0)


def check(logprobs, text: str, top: int) -> None:  # type: ignore[no-untyped-def]
    tokens, offsets = logprobs.tokens, logprobs.text_offset
    assert "".join(tokens) == text
    assert len(logprobs.token_logprobs) == len(logprobs.top_logprobs) == len(offsets) == len(tokens)
    assert all(text[o : o + len(t)] == t for o, t in zip(offsets, tokens, strict=True))
    for token, value, top_map in zip(tokens, logprobs.token_logprobs, logprobs.top_logprobs, strict=True):
        if value is None:
            continue
        assert value < 0 and top_map[token] == value  # the chosen token is always reported
        assert top <= len(top_map) <= top + 1 and all(v < 0 for v in top_map.values())


@pytest.mark.parametrize("top", [0, 1, 5])
def test_logprobs_cover_every_generated_token(client: OpenAI, top: int) -> None:
    r = client.completions.create(model=MODEL, prompt="The sea", max_tokens=20, logprobs=top, seed=4)
    choice = r.choices[0]
    assert choice.logprobs and r.usage and len(choice.logprobs.tokens or []) == r.usage.completion_tokens
    check(choice.logprobs, choice.text, top)
    assert choice.logprobs.text_offset and choice.logprobs.text_offset[0] == 0


def test_echo_puts_the_prompt_tokens_first_with_a_null_first_logprob(lenient: OpenAI) -> None:
    prompt = "Tides rise twice a day"
    r = lenient.completions.create(model=MODEL, prompt=prompt, max_tokens=6, logprobs=2, echo=True, seed=1)
    choice = r.choices[0]
    lp = choice.logprobs
    assert lp and lp.tokens and lp.token_logprobs and lp.top_logprobs is not None and r.usage
    assert len(lp.tokens) == r.usage.prompt_tokens + r.usage.completion_tokens
    assert lp.token_logprobs[0] is None and lp.top_logprobs[0] is None
    assert "".join(lp.tokens[: r.usage.prompt_tokens]) == prompt
    check(lp, choice.text, 2)


def test_echo_with_zero_max_tokens_scores_the_prompt(lenient: OpenAI) -> None:
    # How evaluation harnesses compute a text's log-likelihood.
    r = lenient.completions.create(model=MODEL, prompt="a b c d", max_tokens=0, logprobs=1, echo=True, seed=3)
    lp = r.choices[0].logprobs
    assert r.choices[0].text == "a b c d" and lp and lp.tokens == ["a", " b", " c", " d"]
    assert lp.token_logprobs and lp.token_logprobs[0] is None and all(v < 0 for v in lp.token_logprobs[1:])


def test_every_choice_of_one_prompt_scores_the_prompt_alike(lenient: OpenAI) -> None:
    r = lenient.completions.create(model=MODEL, prompt="Same words", max_tokens=3, n=3, logprobs=1, echo=True)
    prompt_scores = {tuple((c.logprobs.token_logprobs or [])[:2]) for c in r.choices}  # type: ignore[union-attr]
    assert len(prompt_scores) == 1


def test_streamed_frames_carry_their_tokens_with_running_offsets(lenient: OpenAI) -> None:
    kwargs = {"model": MODEL, "prompt": "Once", "max_tokens": 8, "logprobs": 3, "seed": 9, "echo": True}
    text, tokens, offsets, values = "", [], [], []
    for chunk in lenient.completions.create(**kwargs, stream=True):  # type: ignore[call-overload]
        choice = chunk.choices[0]
        if choice.logprobs is not None:
            assert "".join(choice.logprobs.tokens) == choice.text
            tokens += choice.logprobs.tokens
            offsets += choice.logprobs.text_offset
            values += choice.logprobs.token_logprobs
        text += choice.text
    assert "".join(tokens) == text
    assert offsets == [sum(map(len, tokens[:i])) for i in range(len(tokens))]  # counted across frames
    assert values[0] is None
    whole = lenient.completions.create(**kwargs)  # type: ignore[call-overload]
    assert whole.choices[0].text == text and whole.choices[0].logprobs.token_logprobs == values
