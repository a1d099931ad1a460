"""Real tokenizers, offline: the vocabularies bundled in the ``quicktok-v1`` wheel.

Building a vocabulary is native work that holds the GIL: 0.3 s (cl100k) to 0.8 s (o200k) of CPU, about
all of it spent building the library's lookup tables (its trie and merge memos) from the 1-3 MB vocab
file, none of it reading the file. The library has no serialized form of those tables, and threads do not
help (the GIL is held). So no request may ever meet an unbuilt one:

- ``preload`` builds every bundled vocabulary in the process that forks the server's workers (the CLI,
  before Granian forks): workers inherit them copy-on-write, so ``--workers 4`` pays once, not four times.
  quicktok keeps what it built in its own per-process cache; we keep nothing global of our own.
- ``Tokenizers.load_all`` runs in each app's lifespan, before the server accepts a request: after a
  preload it only looks them up (milliseconds); without one (an embedded app, uvicorn's spawned workers)
  it builds them there, and start-up takes that long instead.
- ``o200k_harmony`` is ``o200k_base``'s ranks with GPT-OSS's chat specials (tiktoken defines it so):
  ``Harmony`` shares the base tables instead of building the same 200k-token tables twice (0.7 s, 54 MB).

Ids are identical to tiktoken's. ``Tokenizers.loads_after_ready`` counts builds a request had to wait for
once ``load_all`` finished: 0 whenever ``load_all`` was given every bundled encoding, as app.py does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Protocol

import quicktok

#: Vocabularies that ship with the package. Models name one of these in the catalog.
ENCODINGS = ("o200k_base", "cl100k_base", "o200k_harmony", "llama3", "qwen3")
#: An encoding served by another one's tables (see ``Harmony``).
_SHARES_RANKS = {"o200k_harmony": "o200k_base"}


class Encoding(Protocol):
    name: str
    eot_token: int  # the end-of-text id

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of text, special-token strings included as plain text (as OpenAI counts them)."""
        ...

    def decode(self, tokens: list[int]) -> str: ...

    def decode_single_token_bytes(self, token: int) -> bytes: ...


def _harmony_specials() -> dict[int, bytes]:
    """GPT-OSS's special tokens by id, as tiktoken's ``o200k_harmony`` defines them (a test checks them
    against quicktok's own harmony encoding): named ones, else ``<|reserved_N|>``, up to 201087."""
    named = {199998: "startoftext", 199999: "endoftext", 200002: "return", 200003: "constrain",
             200005: "channel", 200006: "start", 200007: "end", 200008: "message", 200012: "call",
             200018: "endofprompt"}  # fmt: skip
    return {i: f"<|{named.get(i, f'reserved_{i}')}|>".encode() for i in range(199998, 201088)}


class Harmony:
    """``o200k_harmony`` on ``o200k_base``'s tables: the same ordinary ids (same ranks, same pattern), and
    the harmony specials decoded from a table instead of a second build of the base vocabulary."""

    name = "o200k_harmony"

    def __init__(self, base: Encoding) -> None:
        self._base = base
        self._specials = _harmony_specials()
        self._first_special = min(self._specials)
        self.eot_token = base.eot_token  # <|endoftext|> is 199999 in both
        self.encode_ordinary = base.encode_ordinary

    def decode_single_token_bytes(self, token: int) -> bytes:
        special = self._specials.get(token)
        return special if special is not None else self._base.decode_single_token_bytes(token)

    def decode(self, tokens: list[int]) -> str:
        if all(t < self._first_special for t in tokens):
            return self._base.decode(tokens)
        parts: list[bytes] = []
        run: list[int] = []
        for token in tokens:
            if (special := self._specials.get(token)) is None:
                run.append(token)
                continue
            if run:
                parts.append(b"".join(map(self._base.decode_single_token_bytes, run)))
                run = []
            parts.append(special)
        parts.extend(map(self._base.decode_single_token_bytes, run))
        return b"".join(parts).decode("utf-8", errors="replace")


def _build(name: str) -> Encoding:
    """The encoding ``name``: quicktok builds (or returns from its per-process cache) the tables."""
    if name in _SHARES_RANKS:
        return Harmony(quicktok.get_encoding(_SHARES_RANKS[name]))
    return quicktok.get_encoding(name)


def preload(names: Iterable[str] = ENCODINGS) -> None:
    """Build the vocabularies in this process (blocking: about 1.3 s of CPU for all five), so that
    processes forked from it afterwards find them built. Call it before the server forks its workers."""
    for name in {_SHARES_RANKS.get(n, n) for n in names}:
        quicktok.get_encoding(name)


class Tokenizers:
    """The encodings one app has loaded. Thread-safe; no module-level cache of our own."""

    def __init__(self) -> None:
        self._loaded: dict[str, Encoding] = {}
        self._lock = threading.Lock()
        self._complete = False
        #: Builds that happened after ``load_all`` finished: work a request may have waited for.
        self.loads_after_ready = 0

    def get(self, name: str) -> Encoding:
        """The encoding ``name``, loading it synchronously if needed (blocks for up to a second)."""
        encoding = self._loaded.get(name)
        if encoding is None:
            if name not in ENCODINGS:
                raise KeyError(f"unknown encoding {name!r}; bundled: {', '.join(ENCODINGS)}")
            with self._lock:
                encoding = self._loaded.get(name)
                if encoding is None:
                    encoding = _build(name)
                    self._loaded[name] = encoding
                    if self._complete:
                        self.loads_after_ready += 1
        return encoding

    def load_all(self, names: Iterable[str] = ENCODINGS) -> None:
        """Load ``names`` now (blocking; milliseconds after ``preload``): the app's start-up does this
        before it serves, so that no request waits for a vocabulary."""
        for name in names:
            self.get(name)
        self._complete = True

    @property
    def loaded(self) -> tuple[str, ...]:
        return tuple(self._loaded)

    async def load(self, name: str) -> Encoding:
        """The encoding ``name``; a first load runs in a thread (an app whose lifespan did not run)."""
        encoding = self._loaded.get(name)
        if encoding is not None:
            return encoding
        return await asyncio.to_thread(self.get, name)

    def count(self, name: str, text: str) -> int:
        """Token count of ``text`` (the encoding must be loaded or loadable)."""
        return len(self.get(name).encode_ordinary(text)) if text else 0
