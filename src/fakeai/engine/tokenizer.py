"""Real tokenizers, offline: the vocabularies bundled in the ``quicktok-v1`` wheel.

Loading one vocabulary takes 0.3-0.8 s, so each is loaded once per app, on first use, in a worker thread
(``load``); after that, ``get`` is a dictionary lookup. Ids are identical to tiktoken's.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Protocol

import quicktok

#: Vocabularies that ship with the package. Models name one of these in the catalog.
ENCODINGS = ("o200k_base", "cl100k_base", "o200k_harmony", "llama3", "qwen3")


class Encoding(Protocol):
    name: str
    eot_token: int  # the end-of-text id

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of text, special-token strings included as plain text (as OpenAI counts them)."""
        ...

    def decode(self, tokens: list[int]) -> str: ...


class Tokenizers:
    """The encodings one app has loaded. Thread-safe; no module-level cache of our own."""

    def __init__(self) -> None:
        self._loaded: dict[str, Encoding] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Encoding:
        """The encoding ``name``, loading it synchronously if needed (blocks for up to a second)."""
        encoding = self._loaded.get(name)
        if encoding is None:
            if name not in ENCODINGS:
                raise KeyError(f"unknown encoding {name!r}; bundled: {', '.join(ENCODINGS)}")
            with self._lock:
                encoding = self._loaded.get(name)
                if encoding is None:
                    encoding = quicktok.get_encoding(name)
                    self._loaded[name] = encoding
        return encoding

    async def load(self, name: str) -> Encoding:
        """The encoding ``name``; a first load runs in a thread so the event loop keeps serving."""
        encoding = self._loaded.get(name)
        if encoding is not None:
            return encoding
        return await asyncio.to_thread(self.get, name)

    def count(self, name: str, text: str) -> int:
        """Token count of ``text`` (the encoding must be loaded or loadable)."""
        return len(self.get(name).encode_ordinary(text)) if text else 0
