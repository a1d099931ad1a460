"""What OpenAI means by a moderation: one result per input (a string, or one multi-modal input made of
text and image parts), scored by content/moderation.py; each input is a prefill on the engine."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fakeai.api.moderations.protocol import ModerationRequest
from fakeai.api.pooling import INLINE_CHARS, Pooled, Pooling, compute
from fakeai.content.moderation import CATEGORIES, FLAG_AT, Moderator, applied_types
from fakeai.content.text import derive_seed
from fakeai.engine.tokenizer import Encoding
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.state import AppState

DEFAULT_MODEL = "omni-moderation-latest"
#: Prompt tokens an image part costs the classifier (a low-detail image: one 512 px tile's base).
IMAGE_TOKENS = 85
#: Inputs per request (FakeAI's bound on the work of one call; OpenAI states none).
MAX_INPUTS = 2048
#: Scoring one input costs about 100 µs (a few hundred regular expressions): more than this many inputs
#: are scored in a worker thread, off the event loop.
INLINE_INPUTS = 8

_BAD = (
    "Invalid 'input': expected a string, an array of strings, or an array of objects of type 'text' or "
    "'image_url'."
)


def parse_inputs(value: str | list[Any]) -> list[tuple[list[str], list[str]]]:
    """Each input as (text parts, image URLs)."""
    if isinstance(value, str):
        return [([value], [])]
    if not value:
        raise InvalidRequestError(
            "Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array "
            "instead.",
            param="input",
            code="empty_array",
        )
    if all(isinstance(v, str) for v in value):
        if len(value) > MAX_INPUTS:
            raise InvalidRequestError(
                f"Invalid 'input': array too long. Expected an array with maximum length {MAX_INPUTS}, but "
                f"got an array with length {len(value)} instead.",
                param="input",
                code="array_above_max_length",
            )
        return [([v], []) for v in value]
    texts: list[str] = []
    images: list[str] = []
    for i, part in enumerate(value):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url" and isinstance(part.get("image_url"), dict):
            url = part["image_url"].get("url")
            if not isinstance(url, str) or not url:
                raise InvalidRequestError(
                    f"Missing required parameter: 'input[{i}].image_url.url'.",
                    param=f"input[{i}].image_url.url",
                    code="missing_required_parameter",
                )
            images.append(url)
        else:
            raise InvalidRequestError(_BAD, param=f"input[{i}]", code="invalid_type")
    return [(texts, images)]


def _prompts(inputs: list[tuple[list[str], list[str]]], encoding: Encoding) -> list[list[int]]:
    """Each input's prompt ids: its text's tokens, then stand-in ids per image (equal for equal images,
    as the prefix cache sees them)."""
    prompts = []
    for texts, images in inputs:
        ids = [t for text in texts for t in encoding.encode_ordinary(text)]
        for url in images:
            base = derive_seed("image", url) % 1_000_000_000
            ids += range(base, base + IMAGE_TOKENS)
        prompts.append(ids or [encoding.eot_token])
    return prompts


class ModerationService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.moderator = Moderator()

    async def create(
        self, request: ModerationRequest, request_id: str, arrival: float, identity: Identity = ANONYMOUS
    ) -> Pooled:
        """One result per input; ``identity``'s rate limit takes the inputs' tokens."""
        state = self.state
        model = request.model or DEFAULT_MODEL
        card = state.catalog.resolve(model)
        if card.kind != "moderation":
            raise InvalidRequestError(
                f"The model `{model}` does not support moderations.",
                param="model",
                code="model_not_supported",
            )
        inputs = parse_inputs(request.input)
        if "vision" not in card.capabilities and any(images for _, images in inputs):
            raise InvalidRequestError(
                f"Image inputs are not supported by the model `{model}`; use omni-moderation-latest.",
                param="input",
                code="invalid_value",
            )
        encoding = await state.tokenizers.load(card.tokenizer)
        chars = sum(len(t) for texts, _ in inputs for t in texts)
        prompts = await compute(chars <= INLINE_CHARS, lambda: _prompts(inputs, encoding))
        pooling = Pooling(state, request_id, model, prompts, arrival, identity)
        try:
            if len(inputs) <= INLINE_INPUTS and chars <= INLINE_CHARS:
                results = self._results(inputs)
            else:
                results = await asyncio.to_thread(self._results, inputs)
        except BaseException:
            pooling.abort()
            raise
        await pooling.wait()
        body = {"id": "modr-" + secrets.token_hex(16), "model": model, "results": results}
        return Pooled(body, "moderations", model, sum(len(ids) for ids in prompts), pooling.headers)

    def _results(self, inputs: list[tuple[list[str], list[str]]]) -> list[dict[str, Any]]:
        return [self._result(texts, images) for texts, images in inputs]

    def _result(self, texts: list[str], images: list[str]) -> dict[str, Any]:
        scores = self.moderator.score(texts, images)
        categories = {c: scores[c] >= FLAG_AT for c in CATEGORIES}
        return {
            "flagged": any(categories.values()),
            "categories": categories,
            "category_scores": scores,
            "category_applied_input_types": applied_types(bool(texts), bool(images)),
        }
