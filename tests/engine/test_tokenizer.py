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


def test_harmony_on_the_base_tables_is_quicktoks_harmony() -> None:
    """o200k_harmony shares o200k_base's tables: the same ids, eot and decodings as a full harmony build."""
    import random

    import quicktok

    reference = quicktok.get_encoding("o200k_harmony")
    harmony = Tokenizers().get("o200k_harmony")
    assert harmony.name == "o200k_harmony" and harmony.eot_token == reference.eot_token
    text = "Hi <|start|>assistant<|channel|> café 日本語 🚀 don't 1234567 \n\t  x" * 20
    assert harmony.encode_ordinary(text) == reference.encode_ordinary(text)
    for token in range(199_990, 201_088):
        assert harmony.decode_single_token_bytes(token) == reference.decode_single_token_bytes(token), token
    rng = random.Random(5)
    ordinary = reference.encode_ordinary(text)
    for _ in range(200):
        ids = [
            rng.choice(ordinary) if rng.random() < 0.8 else rng.randrange(199_998, 201_088) for _ in range(9)
        ]
        assert harmony.decode(ids) == reference.decode(ids), ids
    with pytest.raises(KeyError):
        harmony.decode([201_088])


def test_loads_after_ready_counts_only_what_load_all_missed() -> None:
    tokenizers = Tokenizers()
    tokenizers.load_all(["cl100k_base", "llama3"])
    tokenizers.get("llama3")
    assert tokenizers.loads_after_ready == 0
    tokenizers.get("qwen3")  # not loaded up front: a request would have waited for it
    assert tokenizers.loads_after_ready == 1
    assert tokenizers.loaded == ("cl100k_base", "llama3", "qwen3")


FORKED = """
import os, quicktok
from fakeai.engine.tokenizer import ENCODINGS, Tokenizers, preload
preload()
built = {name: id(quicktok.get_encoding(name)) for name in ("o200k_base", "cl100k_base", "llama3", "qwen3")}
pid = os.fork()
if pid == 0:  # a server worker: every vocabulary is the parent's object, inherited, not a new build
    tokenizers = Tokenizers()
    tokenizers.load_all(ENCODINGS)
    same = all(id(quicktok.get_encoding(name)) == address for name, address in built.items())
    os._exit(0 if same and set(tokenizers.loaded) == set(ENCODINGS) else 1)
_, status = os.waitpid(pid, 0)
raise SystemExit(os.waitstatus_to_exitcode(status))
"""


def test_a_forked_worker_inherits_the_preloaded_vocabularies() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
