"""Rate-limit tiers: OpenAI's usage tiers as presets, and the limits a key may set for itself.

The presets are OpenAI's published limits of gpt-4o-mini per usage tier (requests and tokens per minute,
requests per day where OpenAI publishes one, and the batch queue: input tokens of batches enqueued at
once). They apply per key and per model, as OpenAI's apply per organization and model. ``None`` means "not
limited".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    #: Requests and tokens per minute, requests and tokens per day (None: unlimited).
    rpm: int | None = None
    tpm: int | None = None
    rpd: int | None = None
    tpd: int | None = None
    #: Tokens the key may spend in all (prompt + completion budget), then ``insufficient_quota``.
    quota_tokens: int | None = None
    #: Input tokens of the key's batches enqueued at once (validating or running), per model; a batch
    #: that would pass it fails validation with ``token_limit_exceeded``.
    batch_queue_tokens: int | None = None

    @property
    def limited(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def merged(self, overrides: Mapping[str, Any]) -> Limits:
        """These limits with some replaced (a key's own ``limits:`` over its tier's)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown limit(s) {sorted(unknown)}; known: {sorted(known)}")
        for name, value in overrides.items():
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"limit {name} must be a non-negative integer or null, not {value!r}")
        return replace(self, **dict(overrides))


TIERS: dict[str, Limits] = {
    "free": Limits(rpm=3, tpm=40_000, rpd=200),
    "tier-1": Limits(rpm=500, tpm=200_000, rpd=10_000, batch_queue_tokens=2_000_000),
    "tier-2": Limits(rpm=5_000, tpm=2_000_000, batch_queue_tokens=20_000_000),
    "tier-3": Limits(rpm=5_000, tpm=4_000_000, batch_queue_tokens=40_000_000),
    "tier-4": Limits(rpm=10_000, tpm=10_000_000, batch_queue_tokens=1_000_000_000),
    "tier-5": Limits(rpm=30_000, tpm=150_000_000, batch_queue_tokens=15_000_000_000),
    "unlimited": Limits(),
}


def tier_limits(name: str, custom: Mapping[str, Limits] | None = None) -> Limits:
    """A tier by name: the keys file's own tiers first, then the presets."""
    if custom and name in custom:
        return custom[name]
    try:
        return TIERS[name]
    except KeyError:
        known = sorted({*TIERS, *(custom or {})})
        raise ValueError(f"unknown tier {name!r}; known: {', '.join(known)}") from None
