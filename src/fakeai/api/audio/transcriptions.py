"""``POST /v1/audio/transcriptions`` and ``/translations``: the uploaded audio decoded for its real duration,
and what it says: the text FakeAI's own speech carries, else seeded prose sized to the duration.

Decoding runs on a media thread (content/sound.py); the answer is shaped per ``response_format`` (json,
text, srt, vtt, verbose_json with segments and words) or streamed as ``transcript.text.*`` events.
"""

from __future__ import annotations

import hashlib
import math
import random
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgspec

from fakeai.api.forms import Form, Upload
from fakeai.api.renders import RenderPool
from fakeai.catalog import Catalog, ModelCard
from fakeai.content import sound, speech, transcript
from fakeai.content.media import AUDIO_TOKENS_PER_SECOND
from fakeai.content.text import Prose, derive_seed
from fakeai.engine.tokenizer import Tokenizers
from fakeai.errors import InvalidRequestError

#: Whisper reports the language by name.
LANGUAGES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "ja": "japanese", "zh": "chinese", "ko": "korean", "ru": "russian", "pl": "polish",
}  # fmt: skip
_BAD_AUDIO = "Audio file might be corrupted or unsupported"


@dataclass(frozen=True, slots=True)
class Ask:
    """A transcription or translation request, read from its form."""

    card: ModelCard
    upload: Upload
    task: str  # "transcribe" or "translate"
    response_format: str
    language: str | None
    prompt: str
    temperature: float
    granularities: tuple[str, ...]
    stream: bool
    logprobs: bool  # include[]=logprobs (gpt-4o models, json only)


@dataclass(frozen=True, slots=True)
class Heard:
    text: str
    duration: float  # seconds of the real audio
    own: bool  # FakeAI's own speech: the text is the one it was made from


class TranscriptionService:
    def __init__(self, catalog: Catalog, tokenizers: Tokenizers, pool: RenderPool, server_seed: int | None):
        self.catalog = catalog
        self.tokenizers = tokenizers
        self.pool = pool
        self.server_seed = server_seed
        self._sentences: list[str] | None = None

    def read(self, form: Form, task: str) -> Ask:
        """The request's fields checked against the model's limits; a 400 naming the first bad one."""
        upload = form.file("file")
        assert upload is not None
        card = self.catalog.get(form.text("model", required=True) or "")
        media = card.media
        if card.kind != "transcription" or media is None or (task == "translate" and not media.translations):
            what = "translation" if task == "translate" else "transcription"
            raise InvalidRequestError(
                f"Invalid value for 'model': '{card.id}' is not a {what} model.", param="model"
            )
        response_format = form.text("response_format") or "json"
        if response_format not in media.formats:
            raise InvalidRequestError(
                f"response_format '{response_format}' is not compatible with model '{card.id}'. Use "
                + " or ".join(repr(f) for f in media.formats)
                + ".",
                param="response_format",
                code="unsupported_value",
            )
        granularities = tuple(form.texts("timestamp_granularities"))
        if any(g not in ("word", "segment") for g in granularities):
            raise InvalidRequestError(
                "Invalid value for 'timestamp_granularities': expected 'word' or 'segment'.",
                param="timestamp_granularities",
            )
        if granularities and response_format != "verbose_json":
            raise InvalidRequestError(
                "timestamp_granularities is only supported with response_format=verbose_json.",
                param="timestamp_granularities",
            )
        stream = form.boolean("stream")
        if stream and not media.stream:
            raise InvalidRequestError(f"Streaming is not supported for model '{card.id}'.", param="stream")
        temperature = form.number("temperature", 0.0)
        if not 0 <= temperature <= 1:
            raise InvalidRequestError(
                "Invalid 'temperature': expected a value between 0 and 1.", param="temperature"
            )
        include = form.texts("include")
        if any(item != "logprobs" for item in include):
            raise InvalidRequestError("Invalid value for 'include': expected 'logprobs'.", param="include")
        if include and (card.id == "whisper-1" or response_format != "json"):
            raise InvalidRequestError(
                "logprobs are only supported with the gpt-4o transcribe models and response_format=json.",
                param="include",
            )
        language = form.text("language")
        if language is not None and language not in LANGUAGES:
            raise InvalidRequestError(
                f"Invalid language '{language}'. Language parameter must be specified in ISO-639-1 format.",
                param="language",
                code="invalid_language_format",
            )
        return Ask(
            card=card, upload=upload, task=task, response_format=response_format, language=language,
            prompt=form.text("prompt") or "", temperature=temperature,
            granularities=granularities or ("segment",), stream=stream, logprobs=bool(include),
        )  # fmt: skip

    async def hear(self, ask: Ask) -> Heard:
        raw = ask.upload.filename.lower().endswith(".pcm") or ask.upload.content_type == "audio/pcm"
        try:
            samples, duration = await self.pool.run(sound.decode, ask.upload.data, raw)
        except sound.AudioDecodeError:
            raise InvalidRequestError(_BAD_AUDIO, param="file", code="invalid_value") from None
        own = await self.pool.run(speech.read, samples)
        if own is not None:
            return Heard(own, duration, True)
        if self._sentences is None:
            self._sentences = Prose.bundled_sentences()
        digest = hashlib.blake2b(ask.upload.data, digest_size=8).hexdigest()
        seed = derive_seed("transcript", self.server_seed, digest, ask.task)
        return Heard(transcript.seeded_text(duration, self._sentences, seed), duration, False)

    async def answer(self, ask: Ask, heard: Heard) -> tuple[str, bytes]:
        """(content type, body) for a non-streamed answer."""
        fmt = ask.response_format
        if fmt == "text":
            return "text/plain; charset=utf-8", (heard.text + "\n").encode()
        if fmt in ("srt", "vtt"):
            parts = transcript.segments(heard.text, heard.duration)
            body = transcript.srt(parts) if fmt == "srt" else transcript.vtt(parts)
            return "text/plain; charset=utf-8", body.encode()
        if fmt == "verbose_json":
            return "application/json", msgspec.json.encode(await self._verbose(ask, heard))
        body: dict[str, object] = {"text": heard.text}
        if ask.logprobs:
            body["logprobs"] = await self._logprobs(ask, heard.text)
        if ask.task == "transcribe":
            body["usage"] = await self._usage(ask, heard)
        return "application/json", msgspec.json.encode(body)

    async def stream(self, ask: Ask, heard: Heard) -> AsyncIterator[bytes]:
        """``transcript.text.delta`` per word, then ``transcript.text.done`` with the usage."""
        usage = await self._usage(ask, heard)
        pieces = heard.text.split(" ")
        done: dict[str, object] = {"type": "transcript.text.done", "text": heard.text, "usage": usage}
        for index, piece in enumerate(pieces):
            delta = piece if index == 0 else " " + piece
            event: dict[str, object] = {"type": "transcript.text.delta", "delta": delta}
            if ask.logprobs:
                event["logprobs"] = await self._logprobs(ask, delta)
            yield _event(event)
        if ask.logprobs:
            done["logprobs"] = await self._logprobs(ask, heard.text)
        yield _event(done)

    async def _logprobs(self, ask: Ask, text: str) -> list[dict[str, object]]:
        """Per token of ``text``: the token, a seeded logprob near 0 (a confident transcript), its bytes."""
        encoding = await self.tokenizers.load(ask.card.tokenizer)
        rng = random.Random(derive_seed("transcript-logprobs", text))
        out = []
        for token in encoding.encode_ordinary(text):
            piece = encoding.decode([token])
            out.append(
                {"token": piece, "logprob": round(-0.2 * rng.random() ** 2, 6), "bytes": list(piece.encode())}
            )
        return out

    async def _usage(self, ask: Ask, heard: Heard) -> dict[str, object]:
        if ask.card.id == "whisper-1":
            return {"type": "duration", "seconds": math.ceil(heard.duration)}
        encoding = await self.tokenizers.load(ask.card.tokenizer)
        prompt_tokens = len(encoding.encode_ordinary(ask.prompt)) if ask.prompt else 0
        audio_tokens = max(1, math.ceil(heard.duration * AUDIO_TOKENS_PER_SECOND))
        output = len(encoding.encode_ordinary(heard.text))
        return {
            "type": "tokens",
            "input_tokens": prompt_tokens + audio_tokens,
            "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
            "output_tokens": output,
            "total_tokens": prompt_tokens + audio_tokens + output,
        }

    async def _verbose(self, ask: Ask, heard: Heard) -> dict[str, object]:
        language = "english" if ask.task == "translate" else LANGUAGES.get(ask.language or "en", "english")
        body: dict[str, object] = {
            "task": ask.task,
            "language": language,
            "duration": round(heard.duration, 3),
            "text": heard.text,
        }
        if "word" in ask.granularities and ask.task == "transcribe":
            body["words"] = [
                {"word": w.word, "start": w.start, "end": w.end}
                for w in transcript.words(heard.text, heard.duration)
            ]
        if "segment" in ask.granularities or ask.task == "translate":
            encoding = await self.tokenizers.load(ask.card.tokenizer)
            rng = random.Random(derive_seed("segments", heard.text, heard.duration))
            body["segments"] = [
                {
                    "id": s.index,
                    "seek": int(s.start // transcript.SEGMENT_MAX_SECONDS * 3000),  # 10 ms frames
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "tokens": encoding.encode_ordinary(s.text),
                    "temperature": ask.temperature,
                    "avg_logprob": round(-0.1 - 0.3 * rng.random(), 4),
                    "compression_ratio": round(len(s.text) / max(1, len(zlib.compress(s.text.encode()))), 4),
                    "no_speech_prob": round(0.02 * rng.random(), 6),
                }
                for s in transcript.segments(heard.text, heard.duration)
            ]
        if ask.task == "transcribe":
            body["usage"] = {"type": "duration", "seconds": math.ceil(heard.duration)}
        return body


def _event(event: dict[str, object]) -> bytes:
    return b"data: " + msgspec.json.encode(event) + b"\n\n"
