"""``--store`` URLs: ``memory`` (the default) or ``sqlite:PATH``."""

from __future__ import annotations

from fakeai.store.base import Store
from fakeai.store.memory import MemoryBackend


def open_store(url: str, max_bytes: int | None = None) -> Store:
    """The store a URL names. Opening does no I/O: a sqlite database is opened by its first call, on the
    store's own thread. A networked backend would add its scheme here (``redis://``, ``postgresql://``)."""
    if url == "memory":
        return Store(MemoryBackend(max_bytes), url)
    if url.startswith("sqlite:"):
        from fakeai.store.sqlite import SqliteBackend  # sqlite3 only when used

        path = url.removeprefix("sqlite:").removeprefix("//")
        if not path:
            raise ValueError("--store sqlite:PATH needs a path")
        return Store(SqliteBackend(path, max_bytes), url)
    raise ValueError(f"unknown store {url!r}: use memory or sqlite:PATH")
