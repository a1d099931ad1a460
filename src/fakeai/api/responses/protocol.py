"""Wire types of ``POST /v1/responses`` requests (decoding and validation only).

``input`` items, ``tools`` and ``text.format`` stay plain JSON here: their many shapes (an input message
may omit its ``type``) are read by ``items.py`` and ``tools.py``, which name the offending path in each
400. Unknown fields are ignored, as vLLM does, so newer SDKs keep working.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

Metadata = Annotated[dict[str, Annotated[str, Meta(max_length=512)]], Meta(max_length=16)]


class ReasoningParam(Struct):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None
    generate_summary: Literal["auto", "concise", "detailed"] | None = None  # deprecated spelling


class TextParam(Struct):
    format: dict[str, Any] | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class StreamOptions(Struct):
    include_obfuscation: bool | None = None


class CreateResponseRequest(Struct, kw_only=True):
    model: str
    input: str | list[dict[str, Any]] | None = None
    instructions: str | None = None
    metadata: Metadata | None = None
    #: OpenAI's floor: a response needs room for at least a few tokens.
    max_output_tokens: Annotated[int, Meta(ge=16)] | None = None
    max_tool_calls: Annotated[int, Meta(ge=1)] | None = None
    temperature: Annotated[float, Meta(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Meta(ge=0.0, le=1.0)] | None = None
    top_logprobs: Annotated[int, Meta(ge=0, le=20)] | None = None
    parallel_tool_calls: bool | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    text: TextParam | None = None
    reasoning: ReasoningParam | None = None
    include: list[str] | None = None
    store: bool | None = None
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    background: bool | None = None
    previous_response_id: str | None = None
    conversation: str | dict[str, Any] | None = None
    truncation: Literal["auto", "disabled"] | None = None
    service_tier: str | None = None
    user: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    #: FakeAI extension, as chat's ``seed``: the same seed and input give the same output.
    seed: int | None = None


class InputTokensRequest(Struct, kw_only=True):
    """``POST /v1/responses/input_tokens``: the same context fields, counted without generating."""

    model: str
    input: str | list[dict[str, Any]] | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    text: TextParam | None = None
    reasoning: ReasoningParam | None = None
    previous_response_id: str | None = None
    conversation: str | dict[str, Any] | None = None
    truncation: Literal["auto", "disabled"] | None = None
