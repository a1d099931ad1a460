"""Generated text: exact token counts in every bundled encoding, seeded, truncated as asked."""

from __future__ import annotations

import random

import pytest

from fakeai.content.text import (
    NATURAL_MAX_TOKENS,
    NATURAL_MIN_TOKENS,
    Prose,
    ProseLibrary,
    compose,
    derive_seed,
    truncate_at_stop,
)
from fakeai.engine.tokenizer import ENCODINGS, Tokenizers


@pytest.fixture(scope="module")
def library() -> ProseLibrary:
    return ProseLibrary(Tokenizers())


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("continuation", [False, True])
def test_text_retokenizes_to_exactly_its_piece_count(
    library: ProseLibrary, encoding: str, continuation: bool
) -> None:
    prose = library.get(encoding)
    tokenizer = Tokenizers().get(encoding)
    rng = random.Random(encoding)
    for _ in range(200):
        limit = rng.randint(1, 600)
        completion = compose(
            prose, rng, limit=limit, ignore_eos=rng.random() < 0.5, continuation=continuation
        )
        assert 1 <= len(completion.pieces) <= limit
        assert len(tokenizer.encode_ordinary(completion.text)) == len(completion.pieces)


def test_every_bundled_sentence_is_usable_in_every_encoding(library: ProseLibrary) -> None:
    total = len(Prose.bundled_sentences())
    assert total >= 200
    for encoding in ENCODINGS:
        assert len(library.get(encoding).openers) == total, encoding


def test_ignore_eos_gives_exactly_the_limit(library: ProseLibrary) -> None:
    prose = library.get("o200k_base")
    for limit in (1, 7, 128, 2048):
        completion = compose(prose, random.Random(limit), limit=limit, ignore_eos=True)
        assert len(completion.pieces) == limit and completion.finish_reason == "length"


def test_natural_answers_end_at_a_sentence(library: ProseLibrary) -> None:
    prose = library.get("o200k_base")
    for seed in range(50):
        completion = compose(prose, random.Random(seed), limit=10_000)
        assert completion.finish_reason == "stop"
        assert completion.text[-1] in ".?!"
        assert NATURAL_MIN_TOKENS <= len(completion.pieces) <= NATURAL_MAX_TOKENS + 40


def test_a_small_limit_cuts_with_finish_reason_length(library: ProseLibrary) -> None:
    completion = compose(library.get("o200k_base"), random.Random(1), limit=5)
    assert len(completion.pieces) == 5 and completion.finish_reason == "length"


def test_min_tokens_lengthens_a_natural_answer(library: ProseLibrary) -> None:
    completion = compose(library.get("o200k_base"), random.Random(2), limit=5000, min_tokens=1000)
    assert len(completion.pieces) >= 1000 and completion.finish_reason == "stop"


def test_same_seed_same_text_and_different_seeds_differ(library: ProseLibrary) -> None:
    prose = library.get("cl100k_base")
    first = compose(prose, random.Random(derive_seed(1, "x")), limit=100).text
    assert first == compose(prose, random.Random(derive_seed(1, "x")), limit=100).text
    assert first != compose(prose, random.Random(derive_seed(2, "x")), limit=100).text


def test_stop_cuts_before_the_earliest_sequence(library: ProseLibrary) -> None:
    completion = compose(library.get("o200k_base"), random.Random(3), limit=10_000, stop=["."])
    assert "." not in completion.text and completion.finish_reason == "stop"
    assert completion.text  # the first sentence survives


def test_truncate_at_stop_keeps_the_prefix_of_a_split_piece() -> None:
    pieces = ["The", " garden", " grows", "."]
    assert truncate_at_stop(pieces, ["row"]) == ["The", " garden", " g"]
    assert truncate_at_stop(pieces, ["garden", "The"]) == []
    assert truncate_at_stop(pieces, ["zzz"]) is None
    assert truncate_at_stop(pieces, ["s.", " gr"]) == ["The", " garden"]


def test_derive_seed_is_stable_across_processes() -> None:
    # A fixed value: Python's salted hash() would change between runs.
    assert derive_seed("a") == 0x40F89E395B66422F
    assert derive_seed(1, "x") != derive_seed(1, "y")
