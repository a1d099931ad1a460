"""What OpenAI means by an image request: resolve the model's rules, render each image off the event loop,
and answer with ``ImagesResponse`` or the spec's image stream events.

Every picture is seeded by the request's content (prompt, size, quality, style, input images, index) and the
server seed, so the same request always gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from fakeai.api.images.options import ImagePlan
from fakeai.api.images.store import ImageStore
from fakeai.api.renders import RenderPool
from fakeai.catalog import Catalog
from fakeai.content import picture
from fakeai.content.images import tile_tokens
from fakeai.content.text import derive_seed
from fakeai.engine.tokenizer import Tokenizers
from fakeai.errors import InvalidRequestError

#: gpt-image-1's image input cost: 65 tokens plus 129 per 512 px tile (OpenAI's published formula).
INPUT_IMAGE_BASE, INPUT_IMAGE_TILE = 65, 129
_STYLE_WORDS = {
    "vivid": ("vivid", "dramatic", "hyper-real", "luminous"),
    "natural": ("natural", "soft", "muted", "realistic"),
}
_DETAILS = (
    "layered hills fading into the haze",
    "a low sun casting a warm glow across the sky",
    "calm water reflecting the colours of the horizon",
    "a quiet meadow in the foreground",
    "gentle gradients of light from the horizon to the zenith",
)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Uploaded images of an edit or a variation (already decoded), and the mask of an edit."""

    images: tuple[picture.Image.Image, ...] = ()
    mask: picture.Image.Image | None = None
    digest: str = ""  # hash of the uploads' bytes: part of the seed

    @classmethod
    def decode(cls, images: list[bytes], mask: bytes | None) -> Inputs:
        """Blocking (decodes pixels): run on the render pool."""
        try:
            decoded = tuple(picture.open_upload(data) for data in images)
        except picture.PictureError as exc:
            raise InvalidRequestError(str(exc), param="image", code="invalid_image_format") from None
        try:
            decoded_mask = picture.open_upload(mask) if mask is not None else None
        except picture.PictureError as exc:
            raise InvalidRequestError(str(exc), param="mask", code="invalid_image_format") from None
        if decoded_mask is not None and decoded_mask.size != decoded[0].size:
            raise InvalidRequestError(
                "Invalid mask image: the mask and the image must have the same dimensions.", param="mask"
            )
        digest = hashlib.blake2b(b"".join([*images, mask or b""]), digest_size=8).hexdigest()
        return cls(decoded, decoded_mask, digest)


class ImagesService:
    def __init__(
        self,
        catalog: Catalog,
        tokenizers: Tokenizers,
        pool: RenderPool,
        store: ImageStore,
        server_seed: int | None,
    ) -> None:
        self.catalog = catalog
        self.tokenizers = tokenizers
        self.pool = pool
        self.store = store
        self.server_seed = server_seed

    @staticmethod
    def decode_inputs(images: list[bytes], mask: bytes | None) -> Inputs:
        """Blocking: the uploads of an edit or a variation, decoded (see ``Inputs.decode``)."""
        return Inputs.decode(images, mask)

    async def create(
        self, plan: ImagePlan, base_url: str, operation: str = "generations", inputs: Inputs | None = None
    ) -> dict[str, object] | AsyncIterator[bytes]:
        """The ``ImagesResponse`` dict, or (``plan.stream``) an iterator of SSE frames."""
        inputs = inputs or Inputs()
        usage = await self._usage(plan, inputs) if plan.gpt else None
        if plan.stream:
            return self._stream(plan, operation, inputs, usage)
        created = int(time.time())
        images = [await self.pool.run(self._render, plan, operation, inputs, i, False) for i in range(plan.n)]
        data = [self._item(plan, i, images[i][-1], base_url) for i in range(plan.n)]
        body: dict[str, object] = {"created": created, "data": data}
        if plan.gpt:
            body.update(
                usage=usage,
                background=plan.background,
                output_format=plan.output_format,
                quality=plan.quality,
                size=plan.size,
            )
        return body

    async def _stream(
        self, plan: ImagePlan, operation: str, inputs: Inputs, usage: dict[str, object] | None
    ) -> AsyncIterator[bytes]:
        prefix = "image_generation" if operation == "generations" else "image_edit"
        common = {
            "size": plan.size,
            "quality": plan.quality,
            "background": plan.background,
            "output_format": plan.output_format,
        }
        for index in range(plan.n):
            frames = await self.pool.run(self._render, plan, operation, inputs, index, True)
            for step, data in enumerate(frames[:-1]):
                yield _event(
                    f"{prefix}.partial_image",
                    b64_json=base64.b64encode(data).decode(),
                    created_at=int(time.time()),
                    partial_image_index=step,
                    **common,
                )
            yield _event(
                f"{prefix}.completed",
                b64_json=base64.b64encode(frames[-1]).decode(),
                created_at=int(time.time()),
                usage=usage,
                **common,
            )

    def _render(
        self, plan: ImagePlan, operation: str, inputs: Inputs, index: int, partials: bool
    ) -> list[bytes]:
        """Blocking: the encoded partial images (when streaming) and the final image, last."""
        look = picture.Look(
            seed=self._seed(plan, operation, inputs, index),
            width=plan.width,
            height=plan.height,
            vivid=plan.style != "natural",
            transparent=plan.transparent,
        )
        if operation == "edits":
            image = picture.edit(inputs.images[index % len(inputs.images)], inputs.mask, look)
        elif operation == "variations":
            image = picture.variation(inputs.images[0], look)
        else:
            image = picture.render(look)
        steps = plan.partial_images if partials else 0
        frames = [picture.partial(image, step, steps) for step in range(steps)]
        return [picture.encode(frame, plan.output_format, plan.compression) for frame in [*frames, image]]

    def _seed(self, plan: ImagePlan, operation: str, inputs: Inputs, index: int) -> int:
        return derive_seed(
            "image", self.server_seed, operation, plan.prompt, plan.size, plan.quality, plan.style,
            inputs.digest, index,
        )  # fmt: skip

    def _item(self, plan: ImagePlan, index: int, data: bytes, base_url: str) -> dict[str, str]:
        item: dict[str, str] = {}
        if plan.response_format == "url":
            name, expires = self.store.put(data, picture.MIME[plan.output_format], plan.output_format)
            stamp = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            item["url"] = f"{base_url.rstrip('/')}/v1/images/files/{name}?se={stamp}"
        else:
            item["b64_json"] = base64.b64encode(data).decode()
        if plan.model == "dall-e-3":
            item["revised_prompt"] = revise(plan.prompt, plan.style or "vivid", index)
        return item

    async def _usage(self, plan: ImagePlan, inputs: Inputs) -> dict[str, object]:
        encoding = await self.tokenizers.load(self.catalog.get(plan.model).tokenizer)
        text = len(encoding.encode_ordinary(plan.prompt)) if plan.prompt else 0
        image = sum(
            tile_tokens(img.width, img.height, "high", INPUT_IMAGE_BASE, INPUT_IMAGE_TILE)
            for img in inputs.images
        )
        output = plan.output_tokens()
        return {
            "total_tokens": text + image + output,
            "input_tokens": text + image,
            "output_tokens": output,
            "input_tokens_details": {"text_tokens": text, "image_tokens": image},
        }


def revise(prompt: str, style: str, index: int) -> str:
    """dall-e-3's ``revised_prompt``: the prompt, expanded with seeded detail as dall-e-3 does."""
    rng = random.Random(derive_seed("revised", prompt, style, index))
    word = rng.choice(_STYLE_WORDS.get(style, _STYLE_WORDS["vivid"]))
    details = rng.sample(_DETAILS, 2)
    subject = prompt.strip().rstrip(".")
    return f"A {word} landscape illustrating: {subject}. It shows {details[0]}, and {details[1]}."


def _event(kind: str, **fields: object) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + msgspec.json.encode({"type": kind, **fields}) + b"\n\n"
