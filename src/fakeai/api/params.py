"""Request fields shared by the text-generation families (chat and legacy completions)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

PositiveInt = Annotated[int, Meta(ge=1)]
Penalty = Annotated[float, Meta(ge=-2.0, le=2.0)]
Stop = str | Annotated[list[str], Meta(max_length=4)]


class StreamOptions(Struct):
    include_usage: bool = False
    continuous_usage_stats: bool = False  # vLLM extension: usage on every chunk
    include_obfuscation: bool | None = None


class GenerationParams(Struct, kw_only=True):
    """Sampling and length controls. Sampling values are validated and accepted; the text is seeded prose."""

    min_tokens: Annotated[int, Meta(ge=0)] | None = None  # vLLM extension
    ignore_eos: bool = False  # vLLM extension: generate exactly the token budget
    n: Annotated[int, Meta(ge=1, le=128)] | None = None
    stop: Stop | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    seed: int | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None
    frequency_penalty: Penalty | None = None
    presence_penalty: Penalty | None = None
    logit_bias: dict[str, Annotated[float, Meta(ge=-100, le=100)]] | None = None
    user: str | None = None
