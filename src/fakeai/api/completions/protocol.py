"""Wire types of ``POST /v1/completions`` (the legacy text completion API)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from fakeai.api.params import GenerationParams


class CompletionRequest(GenerationParams, kw_only=True):
    model: str
    # str | list[str] | list[int] | list[list[int]]: msgspec unions allow one array type, so the list
    # forms are checked by the service (param "prompt").
    prompt: str | list[Any] | None  # null means OpenAI's default, the end-of-text token
    # 0 is legal here: with echo it returns the prompt alone (clients use it to score prompts).
    max_tokens: Annotated[int, Meta(ge=0)] | None = 16  # OpenAI's legacy default
    best_of: Annotated[int, Meta(ge=1, le=20)] | None = None
    echo: bool | None = False
    suffix: str | None = None
    logprobs: Annotated[int, Meta(ge=0, le=5)] | None = None
