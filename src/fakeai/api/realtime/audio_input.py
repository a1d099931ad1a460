"""The input audio buffer of a Realtime session, with server VAD and input transcription.

Server VAD decides from the audio's energy, 20 ms at a time (content/pcm.py ``is_speech``):
``speech_started`` when a frame is speech (reported ``prefix_padding_ms`` earlier), ``speech_stopped``
after ``silence_duration_ms`` of silence; then the buffer is committed as a user item and, with
``create_response``, a response starts. Speech that starts while a response runs cancels it
(``interrupt_response``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import random
from array import array
from typing import TYPE_CHECKING, Any

from fakeai.api.realtime import config
from fakeai.api.realtime.conversation import wav_base64
from fakeai.content.pcm import heard, is_speech, rms
from fakeai.content.text import derive_seed
from fakeai.errors import InvalidRequestError

if TYPE_CHECKING:
    from fakeai.api.realtime.session import RealtimeSession

#: Most audio the input buffer holds (15 MiB, the API's own limit per append and per buffer).
MAX_BUFFER_BYTES = 15 * 1024 * 1024
FRAME_MS = 20


class InputAudio:
    """The input-audio half of ``RealtimeSession`` (whose state it uses: ``buffer``, ``heard_ms``,
    ``speech_start``, ``silence_ms``, ``pending_item``)."""

    async def _append(self: RealtimeSession, event: dict[str, Any]) -> None:
        data = decode_base64(event.get("audio"), "audio")
        audio_format = config.format_of(self.session["audio"]["input"]["format"])
        samples = (
            await asyncio.to_thread(audio_format.decode, data)
            if len(data) > 256 * 1024
            else audio_format.decode(data)
        )
        if (len(self.buffer) + len(samples)) * 2 > MAX_BUFFER_BYTES:
            raise InvalidRequestError(
                "The input audio buffer is full (15 MiB).", param="audio", code="buffer_full"
            )
        vad = self.session["audio"]["input"]["turn_detection"]
        frame = audio_format.rate * FRAME_MS // 1000
        start = len(self.buffer)
        self.buffer.extend(samples)
        if vad is None:
            self.heard_ms += len(samples) * 1000 / audio_format.rate
            return
        for offset in range(start, len(self.buffer), frame):
            chunk = self.buffer[offset : offset + frame]
            self.heard_ms += len(chunk) * 1000 / audio_format.rate
            await self._vad(
                is_speech(rms(chunk), vad["threshold"]), vad, len(chunk) * 1000 / audio_format.rate
            )

    async def _vad(self: RealtimeSession, speech: bool, vad: dict[str, Any], frame_ms: float) -> None:
        if speech:
            self.silence_ms = 0.0
            if self.speech_start is None:
                self.speech_start = self.heard_ms - frame_ms
                start = max(0, int(self.speech_start) - vad["prefix_padding_ms"])
                await self.send(
                    {
                        "type": "input_audio_buffer.speech_started",
                        "audio_start_ms": start,
                        "item_id": self.pending_item,
                    }
                )
                if vad.get("interrupt_response", True) and self.task is not None and not self.task.done():
                    await self._cancel_response("turn_detected")
            return
        if self.speech_start is None:
            return
        self.silence_ms += frame_ms
        if self.silence_ms >= vad["silence_duration_ms"]:
            self.speech_start = None
            await self.send(
                {
                    "type": "input_audio_buffer.speech_stopped",
                    "audio_end_ms": int(self.heard_ms - self.silence_ms),
                    "item_id": self.pending_item,
                }
            )
            await self._commit_buffer()
            if vad.get("create_response", True):
                await self._start_response({})

    async def _commit(self: RealtimeSession, event: dict[str, Any]) -> None:
        await self._commit_buffer()

    async def _commit_buffer(self) -> None:
        audio_format = config.format_of(self.session["audio"]["input"]["format"])
        seconds = len(self.buffer) / audio_format.rate
        if seconds < 0.1:
            raise InvalidRequestError(
                "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, "
                f"but buffer only has {seconds * 1000:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
            )
        samples, self.buffer = self.buffer, array("h")
        transcription = self.session["audio"]["input"]["transcription"]
        item_id, self.pending_item = self.pending_item, config.new_id("item_")
        part: dict[str, Any] = {"type": "input_audio", "transcript": None}
        item = {
            "id": item_id,
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [part],
        }
        before = self.conversation.add(item)
        self.conversation.audio[item_id] = wav_base64(samples, audio_format.rate)
        await self.send(
            {"type": "input_audio_buffer.committed", "previous_item_id": before, "item_id": item_id}
        )
        shown = {**item, "content": [{"type": "input_audio"}]}
        await self.send({"type": "conversation.item.added", "previous_item_id": before, "item": shown})
        await self.send({"type": "conversation.item.done", "previous_item_id": before, "item": shown})
        if transcription is not None:
            await self._transcribe(item_id, part, samples, seconds)

    async def _transcribe(
        self: RealtimeSession, item_id: str, part: dict[str, Any], samples: array, seconds: float
    ) -> None:
        """What the user said: the text FakeAI's own speech carries (content/speech.py), else seeded prose
        of about 2.5 words per second of audio, the same for the same audio (no recognizer runs)."""
        rate = config.format_of(self.session["audio"]["input"]["format"]).rate
        transcript = await asyncio.to_thread(heard, samples, rate)  # FakeAI's own speech says its text
        if transcript is None:
            card = self.state.catalog.resolve(self.session["model"])
            prose = await self.state.prose.load(card.tokenizer)
            rng = random.Random(derive_seed("transcript", samples.tobytes()[:4096], len(samples)))
            words = max(1, round(seconds * 2.5))
            transcript = "".join(prose.generate(rng, words)[:words]).strip()
        part["transcript"] = transcript
        for delta in transcript.split(" "):
            await self.send(
                {
                    "type": "conversation.item.input_audio_transcription.delta",
                    "item_id": item_id,
                    "content_index": 0,
                    "delta": delta + " ",
                }
            )
        await self.send(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item_id,
                "content_index": 0,
                "transcript": transcript,
                "usage": {"type": "duration", "seconds": round(seconds, 3)},
            }
        )

    async def _clear(self: RealtimeSession, event: dict[str, Any]) -> None:
        self.buffer = array("h")
        self.speech_start = None
        await self.send({"type": "input_audio_buffer.cleared"})


def decode_base64(value: Any, param: str) -> bytes:
    if not isinstance(value, str):
        raise InvalidRequestError(
            f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError(
            f"Invalid '{param}': not valid base64.", param=param, code="invalid_value"
        ) from None
