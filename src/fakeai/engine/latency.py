"""Latency models: how long the simulated GPU takes. All times in seconds, sizes in tokens.

Two kinds, told apart by ``batched``:

- *Per-sequence* models (``fixed``, ``per-token``) give every running sequence its own timeline: a prefill
  delay from admission to its first token, then one inter-token delay per token. Load changes nothing but
  admission (``max_num_seqs``, KV blocks), which is what a user asking for "TTFT 100 ms, ITL 20 ms" wants.
- *Batched* models (``profile:<name>``) run vLLM's step loop: each step computes a chunk of prefill and one
  token for every decoding sequence, and lasts ``step_time(shape)``. A big prefill stretches every
  concurrent decode; latency rises with batch size and KV resident, and saturates as a real GPU does.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal, Protocol

Distribution = Literal["normal", "lognormal"]


@dataclass(slots=True, frozen=True)
class Jitter:
    """Noise around a mean: ``normal`` (clipped at 0) or ``lognormal`` with the same mean and std."""

    std: float = 0.0
    distribution: Distribution = "normal"

    def sample(self, mean: float, rng: random.Random) -> float:
        if self.std <= 0.0 or mean <= 0.0:
            return mean
        if self.distribution == "normal":
            return max(0.0, rng.gauss(mean, self.std))
        # Lognormal with the requested mean and standard deviation: always positive, right-skewed (the
        # shape of real serving latencies).
        sigma2 = math.log1p((self.std / mean) ** 2)
        return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


NO_JITTER = Jitter()


def _constant(mean: float, jitter: Jitter) -> float | None:
    """``mean`` when ``jitter.sample(mean, rng)`` always returns it without drawing, else None."""
    return mean if jitter.std <= 0.0 or mean <= 0.0 else None


class SequenceLatency(Protocol):
    batched: Literal[False]

    def prefill_delay(self, uncached_tokens: int, rng: random.Random) -> float:
        """Seconds from admission to the first token, for a prompt with ``uncached_tokens`` to compute."""
        ...

    def inter_token_delay(self, rng: random.Random) -> float:
        """Seconds from one token of a sequence to its next."""
        ...

    def constant_itl(self) -> float | None:
        """The inter-token delay when it never varies (and draws nothing from the RNG), else None: the
        engine then counts a sequence's due tokens with arithmetic instead of sampling each one."""
        ...

    def instant(self) -> bool:
        """Whether every delay is zero (and draws nothing): a sequence is emitted whole when admitted."""
        ...


class StepLatency(Protocol):
    batched: Literal[True]
    #: Seconds of the server's own work per request before the engine queues it (tokenization, the API
    #: server): it adds to TTFT but occupies no step.
    admission_delay: float

    def step_time(
        self,
        prefill_tokens: int,
        decode_seqs: int,
        kv_tokens: int,
        rng: random.Random,
        prefill_attention: int = 0,
    ) -> float:
        """Seconds one engine step takes: ``prefill_tokens`` computed, ``decode_seqs`` sequences each
        decoding one token, ``kv_tokens`` tokens of KV cache read by the batch, and ``prefill_attention``
        (query, key) pairs that the prefill tokens attend to (causal: each token sees those before it)."""
        ...


LatencyModel = SequenceLatency | StepLatency


@dataclass(slots=True, frozen=True)
class FixedLatency:
    """TTFT and ITL as configured, whatever the prompt and the load."""

    ttft: float
    itl: float
    ttft_jitter: Jitter = NO_JITTER
    itl_jitter: Jitter = NO_JITTER
    batched: Literal[False] = False

    def prefill_delay(self, uncached_tokens: int, rng: random.Random) -> float:
        return self.ttft_jitter.sample(self.ttft, rng)

    def inter_token_delay(self, rng: random.Random) -> float:
        return self.itl_jitter.sample(self.itl, rng)

    def constant_itl(self) -> float | None:
        return _constant(self.itl, self.itl_jitter)

    def instant(self) -> bool:
        return self.ttft <= 0.0 and self.itl <= 0.0


@dataclass(slots=True, frozen=True)
class PerTokenLatency:
    """Prefill costs ``overhead + per_token * uncached tokens``: a cached prefix really is faster."""

    overhead: float
    per_token: float
    itl: float
    ttft_jitter: Jitter = NO_JITTER
    itl_jitter: Jitter = NO_JITTER
    batched: Literal[False] = False

    def prefill_delay(self, uncached_tokens: int, rng: random.Random) -> float:
        return self.ttft_jitter.sample(self.overhead + self.per_token * uncached_tokens, rng)

    def inter_token_delay(self, rng: random.Random) -> float:
        return self.itl_jitter.sample(self.itl, rng)

    def constant_itl(self) -> float | None:
        return _constant(self.itl, self.itl_jitter)

    def instant(self) -> bool:
        return self.overhead <= 0.0 and self.per_token <= 0.0 and self.itl <= 0.0
