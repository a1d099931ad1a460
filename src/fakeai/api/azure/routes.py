"""Azure OpenAI's routes: ``/openai/deployments/{deployment}/<operation>?api-version=...`` and the
``/openai/v1/<operation>`` form, each served by the family that serves ``/v1/<operation>``.

``OPERATIONS`` is the one table: Azure's operation path -> the family path. An operation whose family is
not attached to the app is a 404, like any unknown path; adding a family is adding its line. A request is
re-dispatched inside the same app with the path rewritten and ``model`` set to the deployment's model
(``azure_deployments`` in the settings; by default the deployment name is the model id), so the family
answers it exactly as it answers ``/v1/...``, with Azure's filter annotations added (filters.py).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from fakeai.api.azure import filters
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.server.responses import error_response
from fakeai.state import AppState

OPERATIONS = {
    "chat/completions": "/v1/chat/completions",
    "completions": "/v1/completions",
    "embeddings": "/v1/embeddings",
    "images/generations": "/v1/images/generations",
    "audio/speech": "/v1/audio/speech",
    "audio/transcriptions": "/v1/audio/transcriptions",
    "audio/translations": "/v1/audio/translations",
    "responses": "/v1/responses",  # Azure serves it on the /openai/v1 form
}
#: The operations whose responses carry Azure's content-filter results, with their chunks' ``object``.
_FILTERED = {"chat/completions": "chat.completion.chunk", "completions": "text_completion"}

#: Azure's dated API versions (``2024-10-21``, ``2025-04-01-preview``); the first was 2022-12-01.
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")
OLDEST_VERSION = "2022-12-01"
#: What the /openai/v1 form takes, where api-version is optional.
V1_VERSIONS = ("v1", "preview", "latest")


class AzureError(InvalidRequestError):
    """Azure's own errors carry its ``code`` names (``BadRequest``, ``404``)."""


def check_version(version: str | None, v1: bool) -> None:
    if v1:
        if version is not None and version not in V1_VERSIONS:
            raise AzureError("API version not supported", param="api-version", code="BadRequest")
        return
    if version is None:
        raise AzureError(
            "Missing required query parameter: api-version", param="api-version", code="BadRequest"
        )
    match = _DATED.match(version)
    if match is None or match.group(1) < OLDEST_VERSION:
        raise AzureError("API version not supported", param="api-version", code="BadRequest")


class AzureRoutes:
    """The ASGI app behind both Azure route forms."""

    def __init__(self, state: AppState, v1: bool) -> None:
        self.deployments = state.settings.azure_deployments
        self.v1 = v1
        self._served: frozenset[str] | None = None

    def served(self, app: Any) -> frozenset[str]:
        """The family paths the app has (known once it is built; read on first use)."""
        if self._served is None:
            self._served = frozenset(getattr(route, "path", "") for route in app.router.routes)
        return self._served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope["path_params"]
        operation = params["operation"].strip("/")
        target = OPERATIONS.get(operation)
        try:
            if target is None or target not in self.served(scope["app"]):
                raise NotFoundError("Resource not found", code="404")
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            check_version(query.get("api-version"), self.v1)
        except (InvalidRequestError, NotFoundError) as exc:
            await error_response(exc)(scope, receive, send)
            return
        deployment = params.get("deployment")
        model = self.deployments.get(deployment, deployment) if deployment else None
        inner = {**scope, "path": target, "raw_path": target.encode(), "root_path": ""}
        inner["headers"], rewrite = _body_rewriter(scope["headers"], model, self.deployments)
        body_receive = await _rewritten(receive, rewrite) if rewrite is not None else receive
        outer_send = _annotating(send, _FILTERED[operation]) if operation in _FILTERED else send
        await scope["app"].router(inner, body_receive, outer_send)


_MODEL_PART = re.compile(rb'(name="model"\r\n(?:[^\r\n]+\r\n)*\r\n)([^\r\n]*)')


def _body_rewriter(
    headers: list[tuple[bytes, bytes]], model: str | None, deployments: dict[str, str]
) -> tuple[list[tuple[bytes, bytes]], Any]:
    """The inner request's headers (without Content-Length: the body changes) and its body rewrite."""
    content_type = next((v for k, v in headers if k == b"content-type"), b"").decode("latin-1")
    kept = [(k, v) for k, v in headers if k != b"content-length"]

    def mapped(given: str | None) -> str | None:
        chosen = model or given
        return deployments.get(chosen, chosen) if chosen else chosen

    if content_type.startswith("application/json"):

        def json_body(body: bytes) -> bytes:
            try:
                value = msgspec.json.decode(body)
            except msgspec.DecodeError:
                return body  # the family answers the malformed body as it always does
            if isinstance(value, dict) and (name := mapped(value.get("model"))) is not None:
                value["model"] = name
            return msgspec.json.encode(value)

        return kept, json_body
    if content_type.startswith("multipart/form-data") and (boundary := _boundary(content_type)):

        def form_body(body: bytes) -> bytes:
            found = _MODEL_PART.search(body)
            name = mapped(found.group(2).decode() if found else None)
            if name is None:
                return body
            if found:
                return body[: found.start(2)] + name.encode() + body[found.end(2) :]
            part = (
                b"--" + boundary + b'\r\nContent-Disposition: form-data; name="model"\r\n\r\n' + name.encode()
            )
            return part + b"\r\n" + body

        return kept, form_body
    return headers, None


def _boundary(content_type: str) -> bytes | None:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    return match.group(1).encode("latin-1") if match else None


async def _rewritten(receive: Receive, rewrite: Any) -> Receive:
    """Read the whole body (the body limit applies as it is read), rewrite it, and hand it on once."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = rewrite(b"".join(chunks))
    given = False

    async def inner() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return inner


def _annotating(send: Send, kind: str) -> Send:
    """Add Azure's filter results to a JSON response or to each frame of a stream."""
    start: Message | None = None
    streaming = False

    async def annotated(message: Message) -> None:
        nonlocal start, streaming
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", ()))
            if message["status"] >= 400:
                await send(message)
                return
            streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            start = message
            if streaming:
                await send(message)
                await send(
                    {"type": "http.response.body", "body": filters.prompt_event(kind), "more_body": True}
                )
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        if streaming:
            await send({**message, "body": filters.annotate_chunks(message.get("body", b""))})
            return
        body = filters.annotate_response(message.get("body", b""))
        headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({**message, "body": body})

    return annotated


def routes(state: AppState) -> list[Route]:
    return [
        Route(
            "/openai/deployments/{deployment}/{operation:path}",
            AzureRoutes(state, v1=False),
            methods=["POST"],
        ),
        Route("/openai/v1/{operation:path}", AzureRoutes(state, v1=True), methods=["POST"]),
    ]
