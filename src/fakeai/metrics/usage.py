"""The usage ledger behind OpenAI's organization usage and costs API (``api/organization``).

Every finished request adds its usage to one line per (minute, kind, project, API key, model, batch,
detail): a few dictionary additions, never a write to the store, so the hot path pays microseconds. Queries
sum the minute lines into the requested buckets (1m, 1h, 1d) and groups. Costs are not stored: they are the
tokens priced from the catalog at query time, so they always agree with the usage they come from. Batch
lines (``batch=True``) are priced at ``BATCH_DISCOUNT`` of the model's prices, as OpenAI's Batch API is.

Bounded: lines older than ``retention`` seconds are dropped as new minutes begin, and at most ``max_lines``
lines are kept (the oldest go first). Times are Unix seconds.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple, dataclass
from typing import Any

import msgspec

#: What each kind counts; every kind also counts ``num_model_requests`` (but vector_stores, a level).
FIELDS = {
    "completions": ("input_tokens", "input_cached_tokens", "output_tokens", "input_audio_tokens",
                    "output_audio_tokens"),
    "embeddings": ("input_tokens",),
    "moderations": ("input_tokens",),
    "images": ("images",),
    "audio_speeches": ("characters",),
    "audio_transcriptions": ("seconds",),
}  # fmt: skip
KINDS = (*FIELDS, "vector_stores")
#: USD per million tokens of a model: (input, cached input, output); None when it has no price.
#: The share of those prices a batch line pays: OpenAI bills Batch API tokens at half price.
BATCH_DISCOUNT = 0.5
Prices = Callable[[str], tuple[float, float, float] | None]


@dataclass(frozen=True, slots=True)
class Key:
    minute: int  # Unix seconds at the start of the minute
    kind: str
    project_id: str
    api_key_id: str | None
    model: str
    batch: bool = False
    source: str | None = None  # images: image.generation, image.edit, image.variation
    size: str | None = None  # images: 1024x1024 ...


class UsageLedger:
    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        retention: float = 31 * 86400.0,
        max_lines: int = 200_000,
    ) -> None:
        self._clock = clock
        self._retention = retention
        self._max_lines = max_lines
        self._lines: OrderedDict[Key, dict[str, float]] = OrderedDict()  # insertion order = time order
        #: (kind, model, batch) -> counts since start
        self._totals: dict[tuple[str, str, bool], dict[str, float]] = {}
        self._minute = 0
        #: This minute's (line, total) by the key's fields after the minute: a request adds to its line
        #: without building a ``Key`` (a frozen dataclass costs a microsecond and more per request).
        self._current: dict[tuple[Any, ...], tuple[dict[str, float], dict[str, float]]] = {}

    def record(
        self,
        kind: str,
        project_id: str,
        api_key_id: str | None,
        model: str,
        *,
        batch: bool = False,
        source: str | None = None,
        size: str | None = None,
        requests: int = 1,
        **counts: float,
    ) -> None:
        """Add one request's usage (``counts`` named as in ``FIELDS[kind]``)."""
        now = self._clock()
        minute = int(now // 60) * 60
        if minute != self._minute:
            self._minute = minute
            self._current.clear()
            self._expire(now)
        slot = (kind, project_id, api_key_id, model, batch, source, size)
        pair = self._current.get(slot)
        if pair is None:
            pair = self._current[slot] = self._open(Key(minute, *slot))
        line, total = pair
        line["num_model_requests"] += requests
        total["num_model_requests"] += requests
        for name, value in counts.items():
            line[name] += value
            total[name] += value

    def _open(self, key: Key) -> tuple[dict[str, float], dict[str, float]]:
        """The line of ``key`` (made if new, evicting the oldest past ``max_lines``) and its total."""
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = dict.fromkeys((*FIELDS[key.kind], "num_model_requests"), 0.0)
            if len(self._lines) > self._max_lines:
                old, _ = self._lines.popitem(last=False)
                if old.minute == self._minute:  # this minute's own: no longer kept, so not added to
                    self._current.pop(_slot(old), None)
        total = self._totals.get((key.kind, key.model, key.batch))
        if total is None:
            total = self._totals[key.kind, key.model, key.batch] = dict.fromkeys(line, 0.0)
        return line, total

    def _expire(self, now: float) -> None:
        oldest = now - self._retention
        while self._lines:
            key = next(iter(self._lines))
            if key.minute >= oldest:
                break
            del self._lines[key]

    def lines(self, kind: str | None = None) -> Iterator[tuple[Key, dict[str, float]]]:
        """Every line (of ``kind``), oldest first."""
        for key, line in self._lines.items():
            if kind is None or key.kind == kind:
                yield key, line

    def totals(self) -> Iterator[tuple[str, str, bool, dict[str, float]]]:
        """(kind, model, batch, counts) since start (or the last reset), whatever the retention dropped."""
        for (kind, model, batch), counts in self._totals.items():
            yield kind, model, batch, counts

    def reset(self) -> None:
        self._lines.clear()
        self._totals.clear()
        self._current.clear()

    def export(self) -> bytes:
        """The lines and totals as JSON, for another process to add up (``merged``; server/peers.py)."""
        return msgspec.json.encode(
            {
                "lines": [[*astuple(key), line] for key, line in self._lines.items()],
                "totals": [
                    [kind, model, batch, counts] for (kind, model, batch), counts in self._totals.items()
                ],
            }
        )

    @classmethod
    def merged(cls, exports: Iterable[bytes]) -> UsageLedger:
        """One ledger holding the sum of several processes' ``export``s (``--workers N``), to query."""
        ledger = cls(retention=math.inf, max_lines=2**62)
        lines: dict[Key, dict[str, float]] = {}
        for raw in exports:
            data = msgspec.json.decode(raw)
            for *fields, counts in data["lines"]:
                line = lines.setdefault(Key(*fields), dict.fromkeys(counts, 0.0))
                for name, value in counts.items():
                    line[name] = line.get(name, 0.0) + value
            for kind, model, batch, counts in data["totals"]:
                total = ledger._totals.setdefault((kind, model, batch), dict.fromkeys(counts, 0.0))
                for name, value in counts.items():
                    total[name] = total.get(name, 0.0) + value
        ledger._lines.update(sorted(lines.items(), key=lambda item: item[0].minute))  # oldest first
        return ledger

    def cost_by_model(self, prices: Prices) -> dict[str, float]:
        """USD per model since start: a sum over models, not lines (the dashboard asks every second)."""
        costs: dict[str, float] = {}
        for kind, model, batch, counts in self.totals():
            price = prices(model)
            if price is not None:
                amount = sum(value for _, value in line_items(kind, counts, price, batch))
                costs[model] = costs.get(model, 0.0) + amount
        return costs


def _slot(key: Key) -> tuple[Any, ...]:
    return (key.kind, key.project_id, key.api_key_id, key.model, key.batch, key.source, key.size)


def line_items(
    kind: str, counts: dict[str, float], price: tuple[float, float, float], batch: bool = False
) -> list[tuple[str, float]]:
    """USD per line item of one ledger line: uncached input, cached input and output tokens. A batch
    line's items are named ``batch input`` ... and priced at ``BATCH_DISCOUNT``."""
    scale, prefix = (BATCH_DISCOUNT / 1e6, "batch ") if batch else (1 / 1e6, "")
    if kind == "completions":
        cached = counts["input_cached_tokens"]
        return [
            (prefix + "input", (counts["input_tokens"] - cached) * price[0] * scale),
            (prefix + "cached input", cached * price[1] * scale),
            (prefix + "output", counts["output_tokens"] * price[2] * scale),
        ]
    if kind == "embeddings":
        return [(prefix + "input", counts["input_tokens"] * price[0] * scale)]
    return []  # priced per image, character or second: the catalog has token prices only


def matches(key: Key, filters: dict[str, Iterable[Any] | None]) -> bool:
    """``filters`` maps a Key field to the values it may take (None: any)."""
    for name, allowed in filters.items():
        if allowed is not None and getattr(key, name) not in allowed:
            return False
    return True
