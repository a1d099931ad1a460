"""Each image model's rules, checked as OpenAI checks them: one ``ImageAsk`` in, one ``ImagePlan`` out.

The model's limits come from its catalog card (``media``: sizes, qualities, styles, n, formats). Options a
model does not take are refused with a 400 naming them, so a test against FakeAI fails where it would
against OpenAI.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeai.catalog import ModelCard
from fakeai.catalog.media import MediaLimits
from fakeai.errors import InvalidRequestError

#: gpt-image-1's output tokens per image by quality and size (OpenAI's pricing table).
OUTPUT_TOKENS = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}
#: What ``auto`` means where a model resolves it itself.
AUTO_QUALITY = {"gpt-image": "medium", "dall-e": "standard"}
#: Prompt words that ``moderation: auto`` refuses (``low`` lets them through): a fixed, documented list so
#: apps can test their handling of ``moderation_blocked``.
BLOCKED_WORDS = frozenset({"gore", "nsfw", "explicit"})


@dataclass(frozen=True, slots=True)
class ImageAsk:
    """What the request asked for, before the model's rules (``None``: not given)."""

    prompt: str
    n: int | None = None
    size: str | None = None
    quality: str | None = None
    style: str | None = None
    response_format: str | None = None
    output_format: str | None = None
    output_compression: int | None = None
    background: str | None = None
    moderation: str | None = None
    stream: bool = False
    partial_images: int | None = None


@dataclass(frozen=True, slots=True)
class ImagePlan:
    """What to render: every option resolved. ``gpt`` marks the GPT image models (b64 only, usage)."""

    model: str
    prompt: str
    n: int
    width: int
    height: int
    quality: str
    style: str | None
    response_format: str
    output_format: str
    compression: int
    transparent: bool
    background: str
    stream: bool
    partial_images: int
    gpt: bool

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    def output_tokens(self) -> int:
        table = OUTPUT_TOKENS.get(self.quality, OUTPUT_TOKENS["medium"])
        return self.n * table.get(self.size, table["1024x1024"])


def limits(card: ModelCard, operation: str) -> MediaLimits:
    """The card's image limits; a 400 for a model that makes no images or cannot do ``operation``."""
    media = card.media
    if card.kind != "image" or media is None:
        raise InvalidRequestError(
            f"Invalid value for 'model': '{card.id}' is not an image model.", param="model"
        )
    if (operation == "edits" and not media.edits) or (operation == "variations" and not media.variations):
        raise InvalidRequestError(
            f"Invalid value for 'model': image {operation} are not supported for model '{card.id}'.",
            param="model",
        )
    return media


def plan(card: ModelCard, ask: ImageAsk, operation: str = "generations") -> ImagePlan:
    """Resolve ``ask`` under ``card``'s rules; InvalidRequestError (400, with ``param``) if it breaks one."""
    media = limits(card, operation)
    gpt = card.id.startswith("gpt-image")
    _check_prompt(card, media, ask.prompt, required=operation != "variations")
    n = _check_n(media, ask.n)
    width, height = _check_size(card, media, ask.size)
    quality = _choose("quality", ask.quality, media.qualities, AUTO_QUALITY["gpt-image" if gpt else "dall-e"])
    if quality == "auto":
        quality = AUTO_QUALITY["gpt-image" if gpt else "dall-e"]
    style = None
    if media.styles:
        style = _choose("style", ask.style, media.styles, media.styles[0])
    elif ask.style is not None:
        raise _unsupported("style", card.id)
    response_format = _choose("response_format", ask.response_format, media.response_formats, "")
    response_format = response_format or media.response_formats[0]
    if not gpt:
        for name in ("output_format", "output_compression", "background", "moderation", "partial_images"):
            if getattr(ask, name) is not None:
                raise _unsupported(name, card.id)
    output_format = _choose("output_format", ask.output_format, media.formats, media.formats[0])
    compression = _check_compression(ask.output_compression, output_format)
    background = _choose("background", ask.background, ("auto", "opaque", "transparent"), "auto")
    transparent = background == "transparent"
    if transparent and output_format == "jpeg":
        raise InvalidRequestError(
            "Transparent background is not supported for the jpeg output format; use png or webp.",
            param="background",
        )
    moderation = _choose("moderation", ask.moderation, ("auto", "low"), "auto")
    if moderation == "auto" and BLOCKED_WORDS.intersection(ask.prompt.lower().split()):
        raise InvalidRequestError(
            "Your request was rejected as a result of our safety system. Your prompt may contain text that "
            "is not allowed by our safety system.",
            param=None,
            code="moderation_blocked",
        )
    if ask.stream and not media.stream:
        raise _unsupported("stream", card.id)
    return ImagePlan(
        model=card.id,
        prompt=ask.prompt,
        n=n,
        width=width,
        height=height,
        quality=quality,
        style=style,
        response_format=response_format,
        output_format=output_format,
        compression=compression,
        transparent=transparent,
        background="transparent" if transparent else "opaque",
        stream=ask.stream,
        partial_images=ask.partial_images or 0,
        gpt=gpt,
    )


def _check_prompt(card: ModelCard, media: MediaLimits, prompt: str, *, required: bool) -> None:
    if required and not prompt.strip():
        raise InvalidRequestError("Invalid 'prompt': empty string.", param="prompt", code="empty_string")
    if len(prompt) > media.max_input:
        raise InvalidRequestError(
            f"Invalid 'prompt': string too long. Expected a string with maximum length {media.max_input}, "
            f"but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )


def _check_n(media: MediaLimits, n: int | None) -> int:
    n = 1 if n is None else n
    if n < 1:
        raise InvalidRequestError(
            f"Invalid 'n': integer below minimum value. Expected a value >= 1, but got {n} instead.",
            param="n",
            code="integer_below_min_value",
        )
    if media.max_n == 1 and n > 1:
        raise InvalidRequestError("You must provide n=1 for this model.", param="n")
    if n > media.max_n:
        raise InvalidRequestError(
            f"Invalid 'n': integer above maximum value. Expected a value <= {media.max_n}, but got {n} "
            "instead.",
            param="n",
            code="integer_above_max_value",
        )
    return n


def _check_size(card: ModelCard, media: MediaLimits, size: str | None) -> tuple[int, int]:
    concrete = [s for s in media.sizes if s != "auto"]
    if size is None or size == "auto":  # every model takes auto (the spec's default)
        size = "1024x1024" if "1024x1024" in concrete else concrete[0]
    if size not in concrete:
        raise InvalidRequestError(
            f"Invalid value: '{size}'. Supported values are: {', '.join(repr(s) for s in media.sizes)}.",
            param="size",
            code="invalid_value",
        )
    width, height = size.split("x")
    return int(width), int(height)


def _choose(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise InvalidRequestError(
            f"Invalid value: '{value}'. Supported values are: {', '.join(repr(a) for a in allowed)}.",
            param=name,
            code="invalid_value",
        )
    return value


def _check_compression(value: int | None, output_format: str) -> int:
    if value is None:
        return 100
    if not 0 <= value <= 100:
        raise InvalidRequestError(
            f"Invalid 'output_compression': expected a value between 0 and 100, but got {value} instead.",
            param="output_compression",
            code="invalid_value",
        )
    if output_format == "png" and value < 100:
        raise InvalidRequestError(
            "Compression less than 100 is not supported for PNG output format.", param="output_compression"
        )
    return value


def _unsupported(name: str, model: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Unknown parameter: '{name}' is not supported with model '{model}'.", param=name
    )
