"""Wire types of ``POST /v1/embeddings`` (OpenAI's, with the NVIDIA NIM and vLLM extensions clients send)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

#: OpenAI's limit on inputs per request (the spec's ``maxItems``).
MAX_INPUTS = 2048


class EmbeddingRequest(msgspec.Struct, kw_only=True):
    model: str
    # str | list[str] | list[int] | list[list[int]]: msgspec unions allow one array type, so the list
    # forms are checked by the service (param "input").
    input: str | Annotated[list[Any], Meta(min_length=1, max_length=MAX_INPUTS)]
    encoding_format: Literal["float", "base64"] | None = "float"
    dimensions: Annotated[int, Meta(ge=1)] | None = None
    user: str | None = None
    # NVIDIA NIM: asymmetric models embed queries and passages differently; how to cut a long input.
    input_type: Literal["query", "passage"] | None = None
    truncate: Literal["NONE", "START", "END"] | None = None
    # vLLM: keep only the last k tokens of each input (-1: the model's limit).
    truncate_prompt_tokens: Annotated[int, Meta(ge=-1)] | None = None
