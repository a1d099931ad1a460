"""Wire types of ``POST /v1/images/generations`` (decoding only; per-model rules are in options.py).

Edits and variations arrive as multipart forms and are read into the same ``ImageAsk`` by routes.py.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct


class ImageGenerationRequest(Struct):
    prompt: str
    model: str | None = None
    n: int | None = None
    quality: str | None = None
    response_format: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    stream: bool | None = None
    partial_images: Annotated[int, Meta(ge=0, le=3)] | None = None
    size: str | None = None
    moderation: str | None = None
    background: str | None = None
    style: str | None = None
    user: str | None = None
