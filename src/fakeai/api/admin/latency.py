"""Latency settings changed at run time: validated as the settings are, then swapped into every worker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakeai.settings import Settings
from fakeai.simulation import latency_model
from fakeai.state import AppState

#: The settings the control API may change (see configuration.md for their meaning and units).
LATENCY_FIELDS = (
    "latency_model",
    "ttft_ms",
    "itl_ms",
    "ttft_jitter_ms",
    "itl_jitter_ms",
    "jitter",
    "prefill_overhead_ms",
    "prefill_ms_per_token",
)


def apply_latency(state: AppState, changes: Mapping[str, Any]) -> None:
    """Raises ``ValueError`` (or pydantic's ``ValidationError``) and changes nothing if a value is bad.
    The scheduler's limits stay as they were built, even when the new model is another profile's."""
    unknown = set(changes) - set(LATENCY_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}; known: {', '.join(LATENCY_FIELDS)}")
    settings = Settings.model_validate({**state.settings.model_dump(), **changes})
    latency = latency_model(settings)
    for worker in state.engine.workers:
        worker.set_latency(latency)
    state.settings = settings
