"""Plain data exchanged across the engine seam."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class EngineRequest:
    """One sequence to generate.

    The API service has already decided what the completion says; the engine only decides when each of its
    ``output_tokens`` tokens leaves. ``prompt_tokens`` is the prompt length in tokens (it costs prefill time
    and, later, KV blocks).
    """

    request_id: str
    prompt_tokens: int
    output_tokens: int
