"""Wire types of ``POST /v1/completions`` (the legacy text completion API)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from fakeai.api.chat.protocol import Penalty, PositiveInt, Stop, StreamOptions


class CompletionRequest(Struct, kw_only=True):
    model: str
    # str | list[str] | list[int] | list[list[int]]: msgspec unions allow one array type, so the list
    # forms are checked by the service (param "prompt").
    prompt: str | list[Any]
    max_tokens: PositiveInt | None = 16  # OpenAI's legacy default
    min_tokens: Annotated[int, Meta(ge=0)] | None = None
    ignore_eos: bool = False
    n: Annotated[int, Meta(ge=1, le=128)] | None = None
    best_of: Annotated[int, Meta(ge=1, le=20)] | None = None
    echo: bool | None = False
    suffix: str | None = None
    stop: Stop | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    seed: int | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    logit_bias: dict[str, Annotated[float, Meta(ge=-100, le=100)]] | None = None
    logprobs: Annotated[int, Meta(ge=0, le=5)] | None = None
    user: str | None = None
