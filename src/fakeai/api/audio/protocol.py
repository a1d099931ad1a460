"""Wire types of ``POST /v1/audio/speech`` (transcriptions and translations are multipart: see forms.py)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct


class CustomVoice(Struct):
    id: str


class SpeechRequest(Struct):
    model: str
    input: Annotated[str, Meta(max_length=4096)]
    voice: str | CustomVoice
    instructions: Annotated[str, Meta(max_length=4096)] | None = None
    response_format: str = "mp3"
    speed: Annotated[float, Meta(ge=0.25, le=4.0)] = 1.0
    stream_format: str = "audio"
