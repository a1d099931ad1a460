"""Images behind URLs: kept in memory for ``ttl`` seconds, within ``capacity`` bytes (oldest out first).

A URL names one stored image by a random token, so it cannot be guessed, and stops working after its
expiry like OpenAI's (one hour by default). The store is per process: with ``--workers`` > 1 a URL is
served by the worker that made it, so clients that fetch URLs should run one worker or use b64_json.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stored:
    data: bytes
    mime: str
    expires: float  # unix seconds


class ImageStore:
    def __init__(self, capacity_bytes: int, ttl_s: float, now: Callable[[], float] = time.time) -> None:
        self._items: OrderedDict[str, Stored] = OrderedDict()
        self._bytes = 0
        self.capacity = capacity_bytes
        self.ttl = ttl_s
        self._now = now

    def put(self, data: bytes, mime: str, ext: str) -> tuple[str, float]:
        """Keep ``data``; returns its file name (``img-<token>.<ext>``) and its expiry (unix seconds)."""
        name = f"img-{secrets.token_urlsafe(18)}.{ext}"
        expires = self._now() + self.ttl
        self._items[name] = Stored(data, mime, expires)
        self._bytes += len(data)
        while self._bytes > self.capacity and self._items:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old.data)
        return name, expires

    def get(self, name: str) -> Stored | None:
        """The image, or ``None`` once it expired or was pushed out."""
        item = self._items.get(name)
        if item is None:
            return None
        if item.expires <= self._now():
            del self._items[name]
            self._bytes -= len(item.data)
            return None
        return item
