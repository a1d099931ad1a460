"""``/v1/audio/*``: speech (JSON in, audio or SSE out), transcriptions and translations (multipart in)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeai.api.audio.protocol import SpeechRequest
from fakeai.api.audio.speech import SpeechService
from fakeai.api.audio.transcriptions import TranscriptionService
from fakeai.api.forms import Form
from fakeai.content import sound
from fakeai.server.decode import decode_json
from fakeai.server.exchange import SSE_HEADERS
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    seed = state.settings.seed
    speech = SpeechService(state.catalog, state.tokenizers, state.media, seed)
    transcriptions = TranscriptionService(state.catalog, state.tokenizers, state.media, seed)

    async def create_speech(request: Request) -> Response:
        body = decode_json(await request.body(), SpeechRequest)
        speech.check(body)
        pieces = await speech.speak(body)
        if body.stream_format == "sse":
            return StreamingResponse(pieces, media_type="text/event-stream", headers=SSE_HEADERS)
        return StreamingResponse(pieces, media_type=sound.MIME[body.response_format])

    def listen(task: str):
        async def endpoint(request: Request) -> Response:
            ask = transcriptions.read(await Form.read(request), task)
            heard = await transcriptions.hear(ask)
            if ask.stream:
                events = transcriptions.stream(ask, heard)
                return StreamingResponse(events, media_type="text/event-stream", headers=SSE_HEADERS)
            content_type, body = await transcriptions.answer(ask, heard)
            return Response(body, media_type=content_type)

        return endpoint

    return [
        Route("/v1/audio/speech", create_speech, methods=["POST"]),
        Route("/v1/audio/transcriptions", listen("transcribe"), methods=["POST"]),
        Route("/v1/audio/translations", listen("translate"), methods=["POST"]),
    ]
