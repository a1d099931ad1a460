"""Seeded logprobs: shapes of alternatives, descending order, prompt pieces that concatenate."""

from __future__ import annotations

import random

import pytest

from fakeai.content.logprobs import Alternatives, LogprobSampler, prompt_pieces
from fakeai.content.text import ProseLibrary
from fakeai.engine.tokenizer import Tokenizers


@pytest.fixture(scope="module")
def alternatives() -> Alternatives:
    return Alternatives(ProseLibrary(Tokenizers()).get("o200k_base").vocabulary)


@pytest.mark.parametrize(
    ("piece", "check"),
    [
        (" garden", lambda t: t.startswith(" ") and t[1:].isalpha() and t[1].islower()),
        ("The", lambda t: t.isalpha() and t[0].isupper()),
        (",", lambda t: True),  # few punctuation marks exist: words fill up the list
    ],
)
def test_alternatives_share_the_tokens_shape(alternatives: Alternatives, piece: str, check) -> None:
    sampler = LogprobSampler(alternatives, random.Random(1), 20)
    for _ in range(20):
        entry = sampler.token(piece)
        others = [alt.token for alt in entry.top_logprobs if alt.token != piece]
        assert len(entry.top_logprobs) == 20 and len(set(others)) == len(others)
        if piece != ",":
            assert all(check(t) for t in others), others
        values = [alt.logprob for alt in entry.top_logprobs]
        assert values == sorted(values, reverse=True) and values[0] < 0


def test_prompt_tokens_are_less_likely_than_generated_ones(alternatives: Alternatives) -> None:
    sampler = LogprobSampler(alternatives, random.Random(2), 0)
    generated = sum(sampler.token(" the").logprob for _ in range(500))
    prompt = sum(sampler.prompt_token(" the").logprob for _ in range(500))
    assert prompt < generated < 0


@pytest.mark.parametrize("text", ["Hello, world", "naïve café \u2013 日本語 🙂", ""])
def test_prompt_pieces_concatenate_to_the_prompt(text: str) -> None:
    encoding = Tokenizers().get("cl100k_base")
    ids = encoding.encode_ordinary(text)
    pieces = prompt_pieces(encoding, ids)
    assert len(pieces) == len(ids) and "".join(pieces) == text
