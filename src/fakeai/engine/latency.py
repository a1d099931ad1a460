"""Latency models: how long until the first token, and between later tokens (seconds)."""

from __future__ import annotations

import random
from typing import Protocol

from fakeai.engine.types import EngineRequest


class LatencyModel(Protocol):
    def first_token_delay(self, request: EngineRequest, rng: random.Random) -> float:
        """Seconds from arrival to the first token (queueing excluded)."""
        ...

    def inter_token_delay(self, request: EngineRequest, rng: random.Random) -> float:
        """Seconds from one token to the next."""
        ...


class FixedLatency:
    """TTFT and ITL as configured, each with optional normal jitter (clipped at zero)."""

    def __init__(self, ttft: float, itl: float, ttft_jitter: float = 0.0, itl_jitter: float = 0.0) -> None:
        self.ttft = ttft
        self.itl = itl
        self.ttft_jitter = ttft_jitter
        self.itl_jitter = itl_jitter

    def first_token_delay(self, request: EngineRequest, rng: random.Random) -> float:
        if self.ttft_jitter <= 0.0:
            return self.ttft
        return max(0.0, rng.gauss(self.ttft, self.ttft_jitter))

    def inter_token_delay(self, request: EngineRequest, rng: random.Random) -> float:
        if self.itl_jitter <= 0.0:
            return self.itl
        return max(0.0, rng.gauss(self.itl, self.itl_jitter))
