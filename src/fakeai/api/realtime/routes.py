"""The Realtime API's routes: the WebSocket ``/v1/realtime?model=...`` and the HTTP endpoints that mint
ephemeral keys for it (``/v1/realtime/client_secrets``, and the beta ``/v1/realtime/sessions`` and
``/v1/realtime/transcription_sessions``).

The WebSocket is a Starlette route on both fronts (server/bridge.py carries it over RSGI). A client that
sends ``OpenAI-Beta: realtime=v1`` gets the beta API's event names.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fakeai.api.realtime import config
from fakeai.api.realtime.session import RealtimeSession
from fakeai.errors import FakeAIError, InvalidRequestError
from fakeai.security.identity import identity_of
from fakeai.state import AppState

DEFAULT_MODEL = "gpt-realtime"
#: Largest client event read (an audio append of 15 MiB, base64-encoded, with its envelope).
MAX_EVENT_BYTES = 21 * 1024 * 1024


def routes(state: AppState) -> list[BaseRoute]:
    async def realtime(websocket: WebSocket) -> None:
        model = websocket.query_params.get("model") or DEFAULT_MODEL
        beta = "realtime=v1" in (websocket.headers.get("openai-beta") or "")
        await websocket.accept()
        session = RealtimeSession(
            state, model, websocket.send_text, beta=beta, identity=identity_of(websocket.scope)
        )
        try:
            state.catalog.resolve(model)
            await session.open()
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text") if message.get("text") is not None else message.get("bytes")
                if text is None or len(text) > MAX_EVENT_BYTES:
                    await session.error(
                        InvalidRequestError("The event is too large.", code="event_too_large"), None
                    )
                    continue
                await session.handle(text)
        except FakeAIError as exc:  # an unknown model with --strict-models: say why, then close
            await session.error(exc, None)
            await websocket.close(1008)
        except (WebSocketDisconnect, OSError):
            pass  # the client went away mid-send
        finally:
            session.close()

    async def client_secret(request: Request) -> Response:
        body = await _json(request)
        session = body.get("session") or {}
        return _json_response(await _secret(session, "realtime"))

    async def beta_session(request: Request, kind: str) -> Response:
        body = await _json(request)
        secret = await _secret({**body, "type": kind}, kind)
        session = {k: v for k, v in secret["session"].items() if v is not None}  # beta: no null tracing
        shown = {
            **session,
            "client_secret": {"value": secret["value"], "expires_at": secret["expires_at"]},
        }
        return _json_response(shown)

    async def _secret(given: dict[str, Any], kind: str) -> dict[str, Any]:
        model = given.get("model") or DEFAULT_MODEL
        state.catalog.resolve(model)
        session = config.default_session(model)
        update = {k: v for k, v in given.items() if k not in ("type", "model")}
        session = config.shown(config.updated(session, update))
        if kind == "transcription":
            session = {
                "type": "transcription",
                "id": session["id"],
                "object": "realtime.transcription_session",
                "expires_at": session["expires_at"],
                "audio": {"input": session["audio"]["input"]},
            }
        expires = int(time.time()) + 600  # ephemeral keys live ten minutes
        return {
            "value": "ek_" + config.new_id("")[:20] + config.new_id("")[:12],
            "expires_at": expires,
            "session": session,
        }

    async def sessions(request: Request) -> Response:
        return await beta_session(request, "realtime")

    async def transcription_sessions(request: Request) -> Response:
        return await beta_session(request, "transcription")

    return [
        WebSocketRoute("/v1/realtime", realtime),
        Route("/v1/realtime/client_secrets", client_secret, methods=["POST"]),
        Route("/v1/realtime/sessions", sessions, methods=["POST"]),
        Route("/v1/realtime/transcription_sessions", transcription_sessions, methods=["POST"]),
    ]


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    try:
        value = msgspec.json.decode(body) if body.strip() else {}
    except msgspec.DecodeError:
        raise InvalidRequestError("We could not parse the JSON body of your request.") from None
    if not isinstance(value, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    return value


def _json_response(content: object) -> Response:
    return Response(msgspec.json.encode(content), media_type="application/json")
