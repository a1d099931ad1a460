"""Cumulative histograms cheap enough for the engine's per-step events, and the bucket layouts of the
servers we imitate.

An observation is one ``bisect`` over a plain list plus two increments (no lock: everything runs on the
server's event loop, and a scrape reads between two steps). The recorder inlines observations on its hot
paths, bisecting ``keys``: the bounds as ints when they all are whole numbers, because comparing an int
value (a token count) with a float bound takes CPython's slow mixed-type path.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np


class Histogram:
    """Prometheus semantics: bucket ``i`` counts observations ``<= bounds[i]``; the last slot is ``+Inf``."""

    __slots__ = ("_edges", "bounds", "counts", "keys", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = list(bounds)  # never mutated; bisect is fastest on a list
        # What to bisect: the same order as bounds, as ints when every bound is whole.
        whole = all(float(b).is_integer() for b in self.bounds)
        self.keys: list[float] | list[int] = [int(b) for b in self.bounds] if whole else self.bounds
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self._edges: np.ndarray | None = None  # the bounds as an array, for ``add``

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.keys, value)] += 1
        self.sum += value

    def observe_many(self, value: float, times: int) -> None:
        """``times`` observations of the same value (one bucket lookup)."""
        self.counts[bisect_left(self.keys, value)] += times
        self.sum += value * times

    def add(self, values: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Many observations at once (the recorder's folds): ``values[i]`` observed ``weights[i]`` times,
        once each without weights. The same buckets as ``observe`` (``searchsorted`` on the left is
        ``bisect_left``); the sum may differ from one-by-one additions in the last bits."""
        if not len(values):
            return
        edges = self._edges
        if edges is None:
            edges = self._edges = np.asarray(self.bounds, dtype=float)
        counts = np.bincount(np.searchsorted(edges, values), weights, len(self.counts))
        own = self.counts
        for index in np.flatnonzero(counts).tolist():
            own[index] += int(counts[index])
        self.sum += float(values.sum() if weights is None else values @ weights)

    @property
    def count(self) -> int:
        return sum(self.counts)

    def cumulative(self) -> list[tuple[float, int]]:
        """``(upper bound, observations <= it)`` for every bucket, ending with ``(inf, count)``."""
        running, out = 0, []
        for bound, n in zip([*self.bounds, math.inf], self.counts, strict=True):
            running += n
            out.append((bound, running))
        return out


def window(size: int) -> deque[float]:
    """The most recent ``size`` observations (a bounded sample) for the JSON summary's percentiles."""
    return deque(maxlen=size)


def percentiles(values: Iterable[float], *qs: float) -> list[float | None]:
    """Nearest-rank percentiles (``q`` in 0..100) of ``values``; None for an empty sample."""
    ordered = sorted(values)
    if not ordered:
        return [None for _ in qs]
    last = len(ordered) - 1
    return [ordered[min(last, max(0, math.ceil(q / 100 * len(ordered)) - 1))] for q in qs]


def build_1_2_5_buckets(max_value: int) -> list[float]:
    """vLLM's ``build_1_2_5_buckets``: 1, 2, 5, 10, 20, 50, ... up to and including ``max_value``."""
    buckets: list[float] = []
    exponent = 0
    while True:
        for mantissa in (1, 2, 5):
            value = mantissa * 10**exponent
            if value > max_value:
                return buckets
            buckets.append(float(value))
        exponent += 1


def dynamo_log_buckets(low: float, high: float, count: int) -> list[float]:
    """Dynamo frontend's ``generate_log_buckets``: 0, then ``count - 1`` log-spaced values from ``low`` to
    ``high``, each rounded to 2 significant figures, duplicates dropped."""
    values = [0.0]
    for i in range(1, count):
        value = math.exp(math.log(low) + (math.log(high) - math.log(low)) * i / (count - 1))
        magnitude = math.floor(math.log10(value))
        scale = 10.0 ** (1 - magnitude)
        rounded = round(value * scale) / scale
        if rounded != values[-1]:
            values.append(rounded)
    return values


# vLLM V1 (vllm/v1/metrics/loggers.py)
VLLM_TTFT = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
             20.0, 40.0, 80.0, 160.0, 640.0, 2560.0)  # fmt: skip
VLLM_ITL = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
            40.0, 80.0)  # fmt: skip
VLLM_REQUEST_TIME = (0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
                     240.0, 480.0, 960.0, 1920.0, 7680.0)  # fmt: skip
VLLM_ITERATION_TOKENS = (1.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0,
                         16384.0)  # fmt: skip
VLLM_PARAMS_N = (1.0, 2.0, 5.0, 10.0, 20.0)

# Dynamo frontend defaults (lib/llm/src/http/service/metrics.rs; DYN_METRICS_*_{MIN,MAX,COUNT})
DYNAMO_REQUEST_DURATION = tuple(dynamo_log_buckets(1.0, 512.0, 10))
DYNAMO_INPUT_TOKENS = tuple(dynamo_log_buckets(50.0, 128000.0, 12))  # also cached_tokens
DYNAMO_OUTPUT_TOKENS = tuple(dynamo_log_buckets(50.0, 32000.0, 10))
DYNAMO_TTFT = tuple(dynamo_log_buckets(0.001, 480.0, 18))
DYNAMO_ITL = tuple(dynamo_log_buckets(0.001, 2.0, 13))
