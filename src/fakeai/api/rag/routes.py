"""HTTP for Solido RAG: ``POST /rag/api/prompt``, a JSON answer or an SSE stream. Its generation is
billed in the usage ledger as a chat completion of ``inference_model`` (api/serving.py ``bill``)."""

from __future__ import annotations

from fakeai.api.generation import step_events
from fakeai.api.rag.protocol import RagRequest
from fakeai.api.rag.service import RagFrames, RagService, answer
from fakeai.api.serving import PushedStream, bill
from fakeai.errors import FakeAIError
from fakeai.server.decode import decode_json
from fakeai.server.exchange import Answer, Endpoint, EventStream, Exchange, Reply
from fakeai.server.sse import guarded
from fakeai.state import AppState

ENDPOINT = "rag"


def endpoints(state: AppState) -> list[Endpoint]:
    service = RagService(state)

    async def prompt(exchange: Exchange) -> Reply:
        arrival = state.engine.clock.now()
        model, stream = "unknown", False
        try:
            request = decode_json(await exchange.body(), RagRequest)
            model, stream = request.inference_model, request.stream
            docs = await service.retrieve(request, exchange.identity)
            completion = await service.generate(
                request, docs, exchange.request_id, arrival, exchange.identity
            )
        except FakeAIError as exc:
            state.request_outcome(model, ENDPOINT, stream, exc.status)
            raise
        if stream:

            def close(status: int) -> None:
                completion.run.abort()
                state.request_outcome(model, ENDPOINT, True, status)
                bill(state, exchange.identity, model, completion)  # what was generated, as chat's

            frames = RagFrames(completion, docs)
            return EventStream(
                guarded(step_events(completion.run, frames), close),
                PushedStream(completion.run, frames, close),
                completion.headers,
            )
        body = answer(docs, await completion.response())
        state.request_outcome(model, ENDPOINT, False, 200)
        bill(state, exchange.identity, model, completion)
        return Answer.json(body, headers=completion.headers)

    return [Endpoint("POST", "/rag/api/prompt", prompt, limited=True)]
