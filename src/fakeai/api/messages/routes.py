"""HTTP for Anthropic's Messages API: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

Hot ``Endpoint``s like chat's (served natively by the RSGI front). Every error, whoever raised it, leaves
in Anthropic's shape (errors.py). The ``anthropic-version`` header is required, as Anthropic requires it;
the ``x-api-key`` header is a credential like a bearer token (security/credentials.py).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable

from fakeai.api.chat.modes import MODE_HEADER
from fakeai.api.messages.errors import error_answer, error_event
from fakeai.api.messages.protocol import CountTokensRequest, MessagesRequest
from fakeai.api.messages.service import MessagesService
from fakeai.api.serving import serve_generation
from fakeai.errors import FakeAIError, InvalidRequestError, ServerError
from fakeai.security.ratelimit import anthropic_headers
from fakeai.server.decode import decode_json
from fakeai.server.exchange import Answer, Endpoint, Exchange, Reply
from fakeai.state import AppState

log = logging.getLogger("fakeai.messages")

#: ``anthropic-version`` is a date; the oldest version Anthropic still serves is 2023-01-01. Newer SDKs send
#: newer dates, which all read the same wire format here.
_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OLDEST_VERSION = "2023-01-01"


def check_version(exchange: Exchange) -> None:
    version = exchange.header("anthropic-version")
    if version is None:
        raise InvalidRequestError("anthropic-version: header is required")
    if not _VERSION.match(version) or version < OLDEST_VERSION:
        raise InvalidRequestError(f"anthropic-version: {version!r} is not a valid version")


def endpoints(state: AppState) -> list[Endpoint]:
    service = MessagesService(state)

    async def create(exchange: Exchange) -> Reply:
        async def serve() -> Reply:
            check_version(exchange)
            make = functools.partial(
                service.create, response_mode=exchange.header(MODE_HEADER), identity=exchange.identity
            )
            reply = await serve_generation(exchange, state, "messages", MessagesRequest, make, error_event)
            if isinstance(reply, Answer):  # next to the rate limit's, if any
                reply.headers = {**(reply.headers or {}), "request-id": exchange.request_id}
            return reply

        return await _anthropic(exchange, serve)

    async def count_tokens(exchange: Exchange) -> Reply:
        async def serve() -> Reply:
            check_version(exchange)
            limiter, headers = state.limiter, {"request-id": exchange.request_id}
            if limiter is not None:  # one request in the key's model-less bucket, as every other route
                headers.update(limiter.admit(exchange.identity, "", 0, anthropic_headers) or {})
            request = decode_json(await exchange.body(), CountTokensRequest)
            tokens = await service.count_tokens(request)
            return Answer.json({"input_tokens": tokens}, headers=headers)

        return await _anthropic(exchange, serve)

    return [
        Endpoint("POST", "/v1/messages", create, limited=True),
        Endpoint("POST", "/v1/messages/count_tokens", count_tokens, limited=True),
    ]


async def _anthropic(exchange: Exchange, serve: Callable[[], Awaitable[Reply]]) -> Reply:
    try:
        return await serve()
    except FakeAIError as exc:
        return error_answer(exc, exchange.request_id)
    except Exception:
        log.exception("unhandled error on a messages request")
        return error_answer(ServerError("Internal server error"), exchange.request_id)
