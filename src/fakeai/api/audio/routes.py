"""``/v1/audio/*``: speech (JSON in, audio or SSE out), transcriptions and translations (multipart in)."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeai.api.audio.protocol import SpeechRequest
from fakeai.api.forms import Form
from fakeai.api.renders import Lazy
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.exchange import SSE_HEADERS
from fakeai.server.sse import guarded
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    seed = state.settings.seed

    # numpy and FFmpeg load on the first audio request, on a media thread, not at start.
    def build_speech():
        from fakeai.api.audio.speech import SpeechService

        return SpeechService(state.catalog, state.tokenizers, state.media, seed)

    def build_transcriptions():
        from fakeai.api.audio.transcriptions import TranscriptionService

        return TranscriptionService(state.catalog, state.tokenizers, state.media, seed)

    speaking, listening = Lazy(state.media, build_speech), Lazy(state.media, build_transcriptions)

    async def create_speech(request: Request) -> Response:
        body = decode_json(await request.body(), SpeechRequest)
        speech = await speaking.get()
        speech.check(body)
        pieces = await speech.speak(body)
        identity = identity_of(request.scope)
        state.usage.record(
            "audio_speeches", identity.project, identity.key_id, body.model, characters=len(body.input)
        )
        if body.stream_format == "sse":
            return StreamingResponse(
                guarded(pieces, _ignore), media_type="text/event-stream", headers=SSE_HEADERS
            )
        return StreamingResponse(pieces, media_type=speech.mime(body.response_format))

    def listen(task: str):
        async def endpoint(request: Request) -> Response:
            transcriptions = await listening.get()
            ask = transcriptions.read(await Form.read(request), task)
            heard = await transcriptions.hear(ask)
            identity = identity_of(request.scope)
            state.usage.record(
                "audio_transcriptions",
                identity.project,
                identity.key_id,
                ask.card.id,
                seconds=math.ceil(heard.duration),  # per started second
            )
            if ask.stream:
                events = transcriptions.stream(ask, heard)
                return StreamingResponse(
                    guarded(events, _ignore), media_type="text/event-stream", headers=SSE_HEADERS
                )
            content_type, body = await transcriptions.answer(ask, heard)
            return Response(body, media_type=content_type)

        return endpoint

    return [
        Route("/v1/audio/speech", create_speech, methods=["POST"]),
        Route("/v1/audio/transcriptions", listen("transcribe"), methods=["POST"]),
        Route("/v1/audio/translations", listen("translate"), methods=["POST"]),
    ]


def _ignore(status: int) -> None:
    """Stream outcomes are not counted for media (no engine run to release)."""
