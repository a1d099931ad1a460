"""A Realtime session: the client events it takes, the server events it sends, its input audio buffer
with server VAD, and at most one response at a time.

Client events are handled in order. A response runs in a task of its own (its deltas paced by the engine)
while the session keeps reading: a ``response.cancel``, or speech starting with ``interrupt_response``,
cancels it, and closing the session (the socket went away) aborts it, freeing its engine sequence. Every
bad event is answered with an ``error`` event naming it (``event_id``), and the session carries on.
Input audio, server VAD and transcription: audio_input.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from array import array
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from fakeai.api.chat.modes import ResponseModes
from fakeai.api.realtime import config
from fakeai.api.realtime.audio_input import InputAudio, decode_base64
from fakeai.api.realtime.conversation import Conversation, client_item, wav_base64
from fakeai.api.realtime.response import RealtimeResponse
from fakeai.content.pcm import SpeechVoice, Voice
from fakeai.errors import FakeAIError, InvalidRequestError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.security.ratelimit import InsufficientQuota, RateLimitReached
from fakeai.state import AppState

log = logging.getLogger("fakeai.realtime")

#: The beta API's names for events that GA renamed (clients that send ``OpenAI-Beta: realtime=v1``).
BETA_NAMES = {
    "response.output_text.delta": "response.text.delta",
    "response.output_text.done": "response.text.done",
    "response.output_audio.delta": "response.audio.delta",
    "response.output_audio.done": "response.audio.done",
    "response.output_audio_transcript.delta": "response.audio_transcript.delta",
    "response.output_audio_transcript.done": "response.audio_transcript.done",
    "conversation.item.added": "conversation.item.created",
}
#: What ``rate_limits.updated`` reports when the caller has no limits (no keys configured, or an unlimited
#: key): generous ones, with the session's own tokens taken from them. A limited key gets its buckets.
REQUEST_LIMIT, TOKEN_LIMIT = 5000, 400_000


class RealtimeSession(InputAudio):
    def __init__(
        self,
        state: AppState,
        model: str,
        send_text: Callable[[str], Awaitable[None]],
        *,
        beta: bool = False,
        voice: Voice | None = None,
        identity: Identity = ANONYMOUS,
    ) -> None:
        self.state = state
        self.send_text = send_text
        self.beta = beta
        self.voice = voice or SpeechVoice()
        self.identity = identity
        self.session = config.default_session(model)
        self.conversation = Conversation()
        self.modes = ResponseModes(state.settings)
        self.fresh = random.Random()
        self.buffer = array("h")
        self.heard_ms = 0.0  # audio received this session (VAD positions count from its start)
        self.speech_start: float | None = None
        self.silence_ms = 0.0
        self.pending_item = config.new_id("item_")  # the id the buffer's audio will have
        self.response: RealtimeResponse | None = None
        self.task: asyncio.Task[None] | None = None
        self.tokens_used = 0
        self.closed = False

    async def send(self, event: dict[str, Any]) -> None:
        if self.closed:
            return
        kind = event["type"]
        if self.beta:
            if kind == "conversation.item.done":
                return
            event["type"] = BETA_NAMES.get(kind, kind)
        await self.send_text(msgspec.json.encode({"event_id": config.new_id("event_"), **event}).decode())

    async def error(self, exc: FakeAIError, event_id: str | None) -> None:
        await self.send(
            {
                "type": "error",
                "error": {
                    "type": exc.type,
                    "code": exc.code,
                    "message": exc.message,
                    "param": exc.param,
                    "event_id": event_id,
                },
            }
        )

    async def open(self) -> None:
        await self.send({"type": "session.created", "session": config.shown(self.session)})

    def close(self) -> None:
        """The socket is gone: stop sending and abort any running response."""
        self.closed = True
        if self.task is not None:
            self.task.cancel()
        if self.response is not None and self.response.run is not None:
            self.response.run.abort()

    async def handle(self, text: str | bytes) -> None:
        event_id = None
        try:
            try:
                event = msgspec.json.decode(text)
            except msgspec.DecodeError:
                raise InvalidRequestError("The event is not valid JSON.", code="invalid_json") from None
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                raise InvalidRequestError(
                    "The event has no 'type'.", param="type", code="missing_required_parameter"
                )
            event_id = event.get("event_id")
            handler = _HANDLERS.get(event["type"])
            if handler is None:
                raise InvalidRequestError(
                    f"Invalid value: '{event['type']}' is not a client event type.",
                    param="type",
                    code="invalid_value",
                )
            await handler(self, event)
        except FakeAIError as exc:
            await self.error(exc, event_id)

    # --- session and conversation ---

    async def _session_update(self, event: dict[str, Any]) -> None:
        self.session = config.updated(self.session, event.get("session"))
        await self.send({"type": "session.updated", "session": config.shown(self.session)})

    async def _item_create(self, event: dict[str, Any]) -> None:
        item = client_item(event.get("item"))
        previous = event.get("previous_item_id") or ""  # unset: the end; "root": the start
        audio = self._item_audio(item)
        before = self.conversation.add(item, None if previous == "root" else previous)
        if audio is not None:
            self.conversation.audio[item["id"]] = audio
        await self.send({"type": "conversation.item.added", "previous_item_id": before, "item": item})
        await self.send({"type": "conversation.item.done", "previous_item_id": before, "item": item})

    def _item_audio(self, item: dict[str, Any]) -> str | None:
        """The WAV of a user item's ``input_audio`` parts (their ``audio`` is in the input format)."""
        audio_format = config.format_of(self.session["audio"]["input"]["format"])
        samples = array("h")
        for part in item.get("content", []) if item.get("type") == "message" else []:
            if isinstance(part, dict) and part.get("type") == "input_audio" and part.get("audio"):
                samples.extend(audio_format.decode(decode_base64(part.pop("audio"), "item.content.audio")))
        return wav_base64(samples, audio_format.rate) if samples else None

    async def _item_retrieve(self, event: dict[str, Any]) -> None:
        await self.send(
            {"type": "conversation.item.retrieved", "item": self.conversation.get(event.get("item_id"))}
        )

    async def _item_delete(self, event: dict[str, Any]) -> None:
        self.conversation.delete(self.conversation.get(event.get("item_id"))["id"])
        await self.send({"type": "conversation.item.deleted", "item_id": event["item_id"]})

    async def _item_truncate(self, event: dict[str, Any]) -> None:
        item = self.conversation.get(event.get("item_id"))
        end = event.get("audio_end_ms")
        if item.get("role") != "assistant" or not isinstance(end, int) or end < 0:
            raise InvalidRequestError(
                "Only assistant audio items can be truncated, at a non-negative audio_end_ms.",
                param="audio_end_ms",
                code="invalid_value",
            )
        for part in item.get("content", []):
            if part.get("type") == "output_audio" and part.get("transcript"):
                words = part["transcript"].split(" ")  # what was heard: about 15 characters a second
                kept, heard = [], 0
                for word in words:
                    heard += len(word) + 1
                    if heard * 1000 / 15 > end:
                        break
                    kept.append(word)
                part["transcript"] = " ".join(kept)
        await self.send(
            {
                "type": "conversation.item.truncated",
                "item_id": item["id"],
                "content_index": event.get("content_index", 0),
                "audio_end_ms": end,
            }
        )

    # --- responses ---

    async def _response_create(self, event: dict[str, Any]) -> None:
        params = event.get("response") or {}
        if not isinstance(params, dict):
            raise InvalidRequestError(
                "Invalid 'response': expected an object.", param="response", code="invalid_value"
            )
        await self._start_response(params)

    async def _start_response(self, params: dict[str, Any]) -> None:
        if self.task is not None and not self.task.done():
            raise InvalidRequestError(
                "Conversation already has an active response in progress. Wait until the response is "
                "finished before creating a new one.",
                code="conversation_already_has_active_response",
            )
        if params.get("conversation") == "none" or "input" in params:
            items = [client_item(item) for item in params.get("input") or []]
        else:
            items = list(self.conversation.items.values())
        response = RealtimeResponse(self.state, self.modes, self.fresh, self.send, self.voice)
        try:
            await response.start(
                self.session, params, items, self.conversation.audio, response.id, self.identity
            )
        except (RateLimitReached, InsufficientQuota) as exc:
            await response.fail(exc)
            self.state.request_outcome(response.model, "realtime", True, exc.status)
            await self._rate_limits(response.model)
            return
        self.response = response
        self.task = asyncio.ensure_future(self._run(response))

    async def _run(self, response: RealtimeResponse) -> None:
        status = 200
        try:
            await response.stream()
        except asyncio.CancelledError:
            status = 499
            raise
        except Exception:
            status = 500
            log.exception("a realtime response failed")
        finally:
            if response.run is not None:
                response.run.abort()
            self.state.request_outcome(response.model, "realtime", True, status)
        if response.conversation != "none":
            for item in response.output:
                self.conversation.add(item)
        self.tokens_used += response.prompt.total + response.generated
        usage = response.usage()
        self.state.usage.record(
            "completions", self.identity.project, self.identity.key_id, response.model,
            input_tokens=usage["input_tokens"],
            input_cached_tokens=usage["input_token_details"]["cached_tokens"],
            output_tokens=usage["output_tokens"],
            input_audio_tokens=usage["input_token_details"]["audio_tokens"],
        )  # fmt: skip
        await self._rate_limits(response.model)

    async def _rate_limits(self, model: str) -> None:
        """``rate_limits.updated``, after each response: the caller's buckets for ``model`` as they stand."""
        limiter = self.state.limiter
        levels = None if limiter is None else limiter.levels(self.identity, model)
        if levels is None:
            levels = [
                ("requests", REQUEST_LIMIT, REQUEST_LIMIT - 1, 60 / REQUEST_LIMIT),
                (
                    "tokens",
                    TOKEN_LIMIT,
                    max(TOKEN_LIMIT - self.tokens_used, 0),
                    self.tokens_used * 60 / TOKEN_LIMIT,
                ),
            ]
        await self.send(
            {
                "type": "rate_limits.updated",
                "rate_limits": [
                    {"name": name, "limit": limit, "remaining": remaining, "reset_seconds": round(reset, 3)}
                    for name, limit, remaining, reset in levels
                ],
            }
        )

    async def _cancel(self, event: dict[str, Any]) -> None:
        if self.task is None or self.task.done():
            raise InvalidRequestError(
                "Cancellation failed: no active response found.", code="response_cancel_not_active"
            )
        await self._cancel_response("client_cancelled")

    async def _cancel_response(self, reason: str) -> None:
        task, response = self.task, self.response
        assert task is not None and response is not None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        response.status, response.reason = "cancelled", reason
        if response.conversation != "none":
            for item in response.output:
                self.conversation.add(item)
        await response.finish()

    async def _unsupported(self, event: dict[str, Any]) -> None:
        raise InvalidRequestError(
            f"'{event['type']}' is only supported over WebRTC.", param="type", code="invalid_value"
        )


_HANDLERS: dict[str, Callable[[RealtimeSession, dict[str, Any]], Awaitable[None]]] = {
    "session.update": RealtimeSession._session_update,
    "conversation.item.create": RealtimeSession._item_create,
    "conversation.item.retrieve": RealtimeSession._item_retrieve,
    "conversation.item.delete": RealtimeSession._item_delete,
    "conversation.item.truncate": RealtimeSession._item_truncate,
    "input_audio_buffer.append": InputAudio._append,
    "input_audio_buffer.commit": InputAudio._commit,
    "input_audio_buffer.clear": InputAudio._clear,
    "response.create": RealtimeSession._response_create,
    "response.cancel": RealtimeSession._cancel,
    "output_audio_buffer.clear": RealtimeSession._unsupported,
}
