"""``/v1/images/*``: generations (JSON), edits and variations (multipart), and the files behind image URLs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fakeai.api.forms import Form
from fakeai.api.images.options import ImageAsk, plan
from fakeai.api.images.protocol import ImageGenerationRequest
from fakeai.api.images.store import ImageStore
from fakeai.api.renders import Lazy
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.security.identity import identity_of
from fakeai.server.decode import decode_json
from fakeai.server.exchange import SSE_HEADERS
from fakeai.server.responses import json_response
from fakeai.server.sse import guarded
from fakeai.state import AppState

#: dall-e-2's limit on an uploaded image or mask; GPT image models take up to 50 MB (within the body limit).
DALLE2_UPLOAD_BYTES = 4 * 1024 * 1024


def routes(state: AppState) -> list[Route]:
    settings = state.settings
    store = ImageStore(settings.image_store_mb * 1024 * 1024, settings.image_url_ttl_s)

    def build():  # numpy and Pillow load on the first image request, on a media thread
        from fakeai.api.images.service import ImagesService

        return ImagesService(state.catalog, state.tokenizers, state.media, store, settings.seed)

    service = Lazy(state.media, build)

    def base_url(request: Request) -> str:
        return settings.public_base_url or str(request.base_url)

    async def answer(request: Request, model: str, ask: ImageAsk, operation: str, inputs: object = None):
        resolved = plan(state.catalog.get(model), ask, operation)
        result = await (await service.get()).create(resolved, base_url(request), operation, inputs)
        identity = identity_of(request.scope)
        state.usage.record(
            "images",
            identity.project,
            identity.key_id,
            resolved.model,
            source=_SOURCES[operation],
            size=f"{resolved.width}x{resolved.height}",
            images=resolved.n,
        )
        if isinstance(result, dict):
            return json_response(result)
        return StreamingResponse(
            guarded(result, _ignore), media_type="text/event-stream", headers=SSE_HEADERS
        )

    async def generations(request: Request) -> Response:
        body = decode_json(await request.body(), ImageGenerationRequest)
        ask = ImageAsk(
            prompt=body.prompt,
            n=body.n,
            size=body.size,
            quality=body.quality,
            style=body.style,
            response_format=body.response_format,
            output_format=body.output_format,
            output_compression=body.output_compression,
            background=body.background,
            moderation=body.moderation,
            stream=bool(body.stream),
            partial_images=body.partial_images,
        )
        return await answer(request, body.model or "dall-e-2", ask, "generations", None)

    async def edits(request: Request) -> Response:
        form = await Form.read(request)
        model = form.text("model") or "dall-e-2"
        uploads = form.files("image", "image[]")
        if not uploads:
            raise InvalidRequestError("Missing required parameter: 'image'.", param="image")
        mask = form.file("mask", required=False)
        limit = 16 if model.startswith("gpt-image") else 1
        if len(uploads) > limit:
            raise InvalidRequestError(f"Invalid 'image': at most {limit} images are accepted.", param="image")
        _check_upload_sizes(model, [u.data for u in uploads], mask.data if mask else None)
        ask = _form_ask(form, prompt=form.text("prompt", required=True) or "")
        plan(state.catalog.get(model), ask, "edits")  # refuse bad options before decoding any pixel
        decode = (await service.get()).decode_inputs
        inputs = await state.media.run(decode, [u.data for u in uploads], mask.data if mask else None)
        return await answer(request, model, ask, "edits", inputs)

    async def variations(request: Request) -> Response:
        form = await Form.read(request)
        model = form.text("model") or "dall-e-2"
        upload = form.file("image")
        assert upload is not None
        _check_upload_sizes(model, [upload.data], None)
        ask = ImageAsk(
            prompt="",
            n=form.integer("n", None),
            size=form.text("size"),
            response_format=form.text("response_format"),
        )
        plan(state.catalog.get(model), ask, "variations")
        inputs = await state.media.run((await service.get()).decode_inputs, [upload.data], None)
        return await answer(request, model, ask, "variations", inputs)

    async def image_file(request: Request) -> Response:
        item = store.get(request.path_params["name"])
        if item is None:
            raise NotFoundError("The image does not exist or its URL has expired.", code="image_not_found")
        return Response(item.data, media_type=item.mime, headers={"cache-control": "private, max-age=3600"})

    return [
        Route("/v1/images/generations", generations, methods=["POST"]),
        Route("/v1/images/edits", edits, methods=["POST"]),
        Route("/v1/images/variations", variations, methods=["POST"]),
        Route("/v1/images/files/{name}", image_file, methods=["GET"]),
    ]


#: The organization usage API's ``source`` of each operation.
_SOURCES = {"generations": "image.generation", "edits": "image.edit", "variations": "image.variation"}


def _ignore(status: int) -> None:
    """Stream outcomes are not counted for media (no engine run to release)."""


def _form_ask(form: Form, prompt: str) -> ImageAsk:
    return ImageAsk(
        prompt=prompt,
        n=form.integer("n", None),
        size=form.text("size"),
        quality=form.text("quality"),
        response_format=form.text("response_format"),
        output_format=form.text("output_format"),
        output_compression=form.integer("output_compression", None),
        background=form.text("background"),
        stream=form.boolean("stream"),
        partial_images=form.integer("partial_images", None),
    )


def _check_upload_sizes(model: str, images: list[bytes], mask: bytes | None) -> None:
    if model.startswith("gpt-image"):
        return
    for name, data in [*(("image", d) for d in images), ("mask", mask)]:
        if data is not None and len(data) > DALLE2_UPLOAD_BYTES:
            raise InvalidRequestError(f"Invalid '{name}': the file must be less than 4 MB.", param=name)
