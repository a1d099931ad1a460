from __future__ import annotations

import pytest

from fakeai.engine.tokenizer import ENCODINGS, Tokenizers


def test_counts_match_known_tiktoken_ids() -> None:
    tokenizers = Tokenizers()
    # Reference ids from tiktoken's o200k_base and cl100k_base.
    assert tokenizers.get("o200k_base").encode_ordinary("hello world") == [24912, 2375]
    assert tokenizers.get("cl100k_base").encode_ordinary("hello world") == [15339, 1917]
    assert tokenizers.count("cl100k_base", "") == 0


def test_special_token_text_is_counted_as_plain_text() -> None:
    # A user may type "<|endoftext|>"; it must be counted, never raise.
    assert Tokenizers().count("o200k_base", "hi <|endoftext|>") > 2


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="bundled"):
        Tokenizers().get("p50k_base")


async def test_load_off_the_loop_returns_the_same_object() -> None:
    tokenizers = Tokenizers()
    first = await tokenizers.load("cl100k_base")
    assert first is tokenizers.get("cl100k_base")
    assert set(ENCODINGS) >= {"o200k_base", "cl100k_base", "llama3", "qwen3", "o200k_harmony"}
