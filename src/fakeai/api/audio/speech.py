"""``POST /v1/audio/speech``: speech-like audio in the asked format, streamed as it is encoded.

The clip is synthesized on a media thread (content/speech.py, which embeds the text so transcription reads
it back), then encoded a few seconds at a time, each piece one short job on the render pool, so a long clip
streams from its first second and never holds a thread for long. ``stream_format: sse`` wraps the same
pieces in ``speech.audio.delta`` events and ends with ``speech.audio.done`` and its usage.
"""

from __future__ import annotations

import base64
import math
from collections.abc import AsyncIterator, Iterator

import msgspec

from fakeai.api.audio.protocol import SpeechRequest
from fakeai.api.renders import RenderPool
from fakeai.catalog import Catalog
from fakeai.catalog.media import MediaLimits
from fakeai.content import sound, speech
from fakeai.content.text import derive_seed
from fakeai.engine.tokenizer import Tokenizers
from fakeai.errors import InvalidRequestError

#: gpt-4o-mini-tts's audio output tokens per second ($12 per 1M tokens is OpenAI's $0.015 per minute).
AUDIO_OUTPUT_TOKENS_PER_SECOND = 1250 / 60


class SpeechService:
    def __init__(self, catalog: Catalog, tokenizers: Tokenizers, pool: RenderPool, server_seed: int | None):
        self.catalog = catalog
        self.tokenizers = tokenizers
        self.pool = pool
        self.server_seed = server_seed

    @staticmethod
    def mime(fmt: str) -> str:
        return sound.MIME[fmt]

    def check(self, body: SpeechRequest) -> MediaLimits:
        """The model's limits once every option passed them; a 400 naming the first that does not."""
        card = self.catalog.get(body.model)
        media = card.media
        if card.kind != "speech" or media is None:
            raise InvalidRequestError(
                f"Invalid value for 'model': '{card.id}' is not a text-to-speech model.", param="model"
            )
        if not body.input.strip():
            raise InvalidRequestError("Invalid 'input': empty string.", param="input", code="empty_string")
        voice = body.voice if isinstance(body.voice, str) else body.voice.id
        if isinstance(body.voice, str) and voice not in media.voices:
            raise InvalidRequestError(
                f"Invalid value: '{voice}'. Supported values are: "
                + ", ".join(repr(v) for v in media.voices)
                + ".",
                param="voice",
                code="invalid_value",
            )
        if body.response_format not in media.formats:
            raise _invalid("response_format", body.response_format, media.formats)
        if body.stream_format not in ("audio", "sse"):
            raise _invalid("stream_format", body.stream_format, ("audio", "sse"))
        if body.stream_format not in media.stream_formats:
            raise InvalidRequestError(
                f"stream_format '{body.stream_format}' is not supported for model '{card.id}'.",
                param="stream_format",
            )
        if body.instructions and not media.instructions:
            raise InvalidRequestError(
                f"Instructions are not supported for model '{card.id}'.", param="instructions"
            )
        return media

    async def speak(self, body: SpeechRequest) -> AsyncIterator[bytes]:
        """The file's pieces (``stream_format: audio``) or SSE frames (``sse``); ``check`` first."""
        voice = body.voice if isinstance(body.voice, str) else body.voice.id
        seed = derive_seed("speech", self.server_seed, body.model, voice, body.instructions, body.input)
        samples, _ = await self.pool.run(speech.synthesize, body.input, voice, body.speed, seed)
        pieces = sound.chunks(samples, body.response_format)
        if body.stream_format == "sse":
            return self._events(body, pieces, len(samples) / sound.RATE)
        return self._pieces(pieces)

    async def _pieces(self, pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
        while (piece := await self.pool.run(next, pieces, None)) is not None:
            yield piece

    async def _events(
        self, body: SpeechRequest, pieces: Iterator[bytes], seconds: float
    ) -> AsyncIterator[bytes]:
        async for piece in self._pieces(pieces):
            yield _frame({"type": "speech.audio.delta", "audio": base64.b64encode(piece).decode()})
        encoding = await self.tokenizers.load(self.catalog.get(body.model).tokenizer)
        text = body.input + (body.instructions or "")
        input_tokens = len(encoding.encode_ordinary(text))
        output_tokens = math.ceil(seconds * AUDIO_OUTPUT_TOKENS_PER_SECOND)
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        }
        yield _frame({"type": "speech.audio.done", "usage": usage})


def _frame(event: dict[str, object]) -> bytes:
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + msgspec.json.encode(event) + b"\n\n"


def _invalid(name: str, value: str, allowed: tuple[str, ...]) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid value: '{value}'. Supported values are: {', '.join(repr(a) for a in allowed)}.",
        param=name,
        code="invalid_value",
    )
