"""Chat logprobs through the strict SDK: one entry per token, concatenating to the content, seeded."""

from __future__ import annotations

import pytest
from openai import AsyncOpenAI, OpenAI

from fakeai.engine.tokenizer import Tokenizers

USER = [{"role": "user", "content": "Describe a harbour."}]


def check_entries(entries: list, top: int) -> None:
    for entry in entries:
        assert entry.bytes == list(entry.token.encode())
        assert entry.logprob < 0
        assert len(entry.top_logprobs) == top
        values = [alt.logprob for alt in entry.top_logprobs]
        assert values == sorted(values, reverse=True) and all(v < 0 for v in values)
        tokens = [alt.token for alt in entry.top_logprobs]
        assert len(set(tokens)) == len(tokens)
        if top and entry.logprob >= values[0]:  # the chosen token is the most likely: it leads the list
            assert tokens[0] == entry.token
        for alt in entry.top_logprobs:
            assert alt.bytes == list(alt.token.encode())
            if alt.token == entry.token:
                assert alt.logprob == entry.logprob


@pytest.mark.parametrize("top", [0, 1, 5, 20])
def test_one_entry_per_token_concatenating_to_the_content(client: OpenAI, top: int) -> None:
    r = client.chat.completions.create(
        model="gpt-4o", messages=USER, max_tokens=40, logprobs=True, top_logprobs=top, seed=7
    )
    choice = r.choices[0]
    assert choice.logprobs and choice.logprobs.content is not None and choice.logprobs.refusal is None
    entries = choice.logprobs.content
    assert "".join(e.token for e in entries) == choice.message.content
    assert r.usage and len(entries) == r.usage.completion_tokens
    check_entries(entries, top)
    # Every token, and every alternative, is one token of the model's vocabulary.
    encode = Tokenizers().get("o200k_base").encode_ordinary
    assert all(len(encode(alt.token)) == 1 for e in entries for alt in e.top_logprobs)


def test_logprobs_without_top_logprobs_lists_no_alternatives(client: OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=USER, max_tokens=5, logprobs=True)
    assert r.choices[0].logprobs and all(e.top_logprobs == [] for e in r.choices[0].logprobs.content or [])


def test_no_logprobs_unless_asked(client: OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o", messages=USER, max_tokens=5, logprobs=False)
    assert r.choices[0].logprobs is None


def test_logprobs_are_deterministic_per_seed(client: OpenAI) -> None:
    def logprobs(seed: int) -> list[tuple[str, float]]:
        r = client.chat.completions.create(
            model="gpt-4o", messages=USER, max_tokens=12, logprobs=True, top_logprobs=3, seed=seed
        )
        content = r.choices[0].logprobs.content or []  # type: ignore[union-attr]
        return [(e.token, e.logprob) for e in content]

    assert logprobs(1) == logprobs(1) != logprobs(2)


def test_the_chosen_token_is_usually_the_most_likely(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="gpt-4o", messages=USER, max_tokens=300, logprobs=True, top_logprobs=3, seed=3,
        extra_body={"ignore_eos": True},
    )  # fmt: skip
    entries = r.choices[0].logprobs.content or []  # type: ignore[union-attr]
    first = sum(e.top_logprobs[0].token == e.token for e in entries)
    assert 0.7 * len(entries) < first < len(entries)


def test_each_choice_has_its_own_logprobs(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="meta-llama/Llama-3.1-8B-Instruct", messages=USER, n=3, max_tokens=8, logprobs=True, seed=2
    )
    for choice in r.choices:
        assert "".join(e.token for e in choice.logprobs.content or []) == choice.message.content  # type: ignore[union-attr]


async def test_streamed_chunks_carry_their_tokens_logprobs(aclient: AsyncOpenAI) -> None:
    kwargs = {"model": "gpt-4o", "messages": USER, "max_tokens": 30, "seed": 11, "logprobs": True}
    stream = await aclient.chat.completions.create(**kwargs, top_logprobs=2, stream=True)  # type: ignore[call-overload]
    text, entries = "", []
    async for chunk in stream:
        for choice in chunk.choices:
            content = choice.delta.content or ""
            text += content
            chunk_entries = choice.logprobs.content if choice.logprobs else []
            assert "".join(e.token for e in chunk_entries or []) == content
            entries += chunk_entries or []
    assert "".join(e.token for e in entries) == text and entries
    check_entries(entries, 2)
    # The same seed without streaming gives the same numbers.
    whole = await aclient.chat.completions.create(**kwargs, top_logprobs=2)  # type: ignore[call-overload]
    assert [(e.token, e.logprob) for e in whole.choices[0].logprobs.content] == [
        (e.token, e.logprob) for e in entries
    ]
