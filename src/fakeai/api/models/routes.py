"""``/v1/models``: the catalog. Ids may contain slashes (``meta-llama/Llama-3.1-8B-Instruct``).

The served model (``--served-model-name``) leads the list, as it is the only entry of a single-model vLLM
server: tools run without a model name (GuideLLM, some benchmark scripts) take the first entry.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakeai.errors import ModelNotFoundError
from fakeai.server.responses import json_response
from fakeai.state import AppState


def routes(state: AppState) -> list[Route]:
    catalog = state.catalog
    try:
        lead = catalog.resolve(state.settings.served_model_name)  # a name outside the catalog is created
    except ModelNotFoundError:  # --strict-models with a served name the catalog lacks: no lead
        lead = None

    async def list_models(request: Request) -> Response:
        cards = catalog.list()
        if lead is not None:
            cards = [lead, *(card for card in cards if card is not lead)]
        return json_response({"object": "list", "data": [card.to_openai() for card in cards]})

    async def retrieve(request: Request) -> Response:
        return json_response(catalog.get(request.path_params["model"]).to_openai())

    async def capabilities(request: Request) -> Response:
        return json_response(catalog.get(request.path_params["model"]).capabilities_object())

    return [
        Route("/v1/models", list_models, methods=["GET"]),
        # Before the plain retrieve route: a `path` parameter would swallow "/capabilities".
        Route("/v1/models/{model:path}/capabilities", capabilities, methods=["GET"]),
        Route("/v1/models/{model:path}", retrieve, methods=["GET"]),
    ]
