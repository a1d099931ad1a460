"""Wire types of vLLM's own endpoints that clients probe (``/tokenize``, ``/detokenize``)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from fakeai.api.chat.protocol import Message


class TokenizeRequest(Struct, kw_only=True):
    """Either ``prompt`` (completions) or ``messages`` (chat), as vLLM accepts."""

    model: str
    prompt: str | None = None
    messages: Annotated[list[Message], Meta(min_length=1)] | None = None
    add_special_tokens: bool = True
    add_generation_prompt: bool = True
    return_token_strs: bool = False


class DetokenizeRequest(Struct, kw_only=True):
    model: str
    tokens: list[int]
