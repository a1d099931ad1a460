"""Model cards from the bundled catalog (``models.yaml``), plus ids created on first use."""

from __future__ import annotations

import logging
import time
from importlib import resources
from typing import Literal

import msgspec

from fakeai.catalog.media import MediaLimits
from fakeai.engine.tokenizer import ENCODINGS
from fakeai.errors import ModelNotFoundError

log = logging.getLogger("fakeai.catalog")

Kind = Literal["chat", "completion", "embedding", "image", "speech", "transcription", "moderation"]
Capability = Literal["vision", "tools", "structured_output", "reasoning", "audio", "video", "logprobs"]
Reasoning = Literal["openai", "deepseek", "harmony"]


class Pricing(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """USD per one million tokens."""

    input: float
    output: float
    cached_input: float | None = None


class TileCost(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="formula", tag="tiles"):
    """OpenAI's tile formula for image input (tokens): ``base`` + ``tile`` per 512 px tile."""

    base: int = 85
    tile: int = 170


class PatchCost(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="formula", tag="patches"):
    """OpenAI's 32 px patch formula for image input: patches (at most ``max_patches``) x ``multiplier``."""

    multiplier: float
    max_patches: int = 1536


class ModelCard(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One model. Token counts are in tokens of ``tokenizer``; ``created`` is unix seconds."""

    id: str
    provider: str
    kind: Kind
    created: int
    context_window: int
    max_output_tokens: int
    tokenizer: str
    capabilities: frozenset[Capability]
    pricing: Pricing
    aliases: tuple[str, ...] = ()
    reasoning: Reasoning | None = None
    hybrid: bool = False  # a reasoning model that reasons only when the request sets reasoning_effort
    image_cost: TileCost | PatchCost = TileCost()  # prompt tokens of an image (content/images.py)
    dimensions: int | None = None
    media: MediaLimits | None = None  # image, speech and transcription models (catalog/media.py)

    def __post_init__(self) -> None:
        if self.tokenizer not in ENCODINGS:
            raise ValueError(f"model {self.id}: tokenizer {self.tokenizer!r} is not one of {ENCODINGS}")
        if not 0 < self.max_output_tokens <= self.context_window:
            raise ValueError(f"model {self.id}: need 0 < max_output_tokens <= context_window")

    def to_openai(self) -> dict[str, object]:
        """The OpenAI ``model`` object, plus the ``root`` and ``max_model_len`` that vLLM clients read."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.provider,
            "root": self.id,
            "max_model_len": self.context_window,
        }

    def capabilities_object(self) -> dict[str, object]:
        return {
            "id": self.id,
            "object": "model.capabilities",
            "kind": self.kind,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "tokenizer": self.tokenizer,
            "reasoning": self.reasoning,
            "capabilities": {name: name in self.capabilities for name in Capability.__args__},
            "pricing": msgspec.to_builtins(self.pricing),
            "aliases": list(self.aliases),
        }


class _Defaults(msgspec.Struct, forbid_unknown_fields=True):
    provider: str
    kind: Kind
    context_window: int
    max_output_tokens: int
    tokenizer: str
    capabilities: frozenset[Capability]
    pricing: Pricing


class _CatalogFile(msgspec.Struct, forbid_unknown_fields=True):
    defaults: _Defaults
    models: list[ModelCard]


class Catalog:
    """The models one app serves. Unknown ids are created on first use unless ``strict``."""

    def __init__(self, models: list[ModelCard], defaults: _Defaults, *, strict: bool = False) -> None:
        self._defaults = defaults
        self.strict = strict
        self._cards: dict[str, ModelCard] = {}  # listed ids, in order
        self._lookup: dict[str, ModelCard] = {}  # ids and aliases
        for card in models:
            self._add(card)

    @classmethod
    def bundled(cls, *, strict: bool = False) -> Catalog:
        raw = resources.files("fakeai.catalog").joinpath("models.yaml").read_bytes()
        data = msgspec.yaml.decode(raw, type=_CatalogFile)
        return cls(data.models, data.defaults, strict=strict)

    def _add(self, card: ModelCard) -> None:
        for name in (card.id, *card.aliases):
            if name in self._lookup:
                raise ValueError(f"duplicate model id or alias {name!r} in the catalog")
            self._lookup[name] = card
        self._cards[card.id] = card

    def list(self) -> list[ModelCard]:
        return list(self._cards.values())

    def derive(self, model_id: str, base: str, owner: str) -> ModelCard:
        """Serve ``model_id`` as a copy of ``base``'s card (a fine-tuned model): listed, resolvable even
        when strict. Idempotent."""
        card = self._lookup.get(model_id)
        if card is None:
            card = msgspec.structs.replace(
                self.resolve(base), id=model_id, provider=owner, created=int(time.time()), aliases=()
            )
            self._add(card)
        return card

    def get(self, model_id: str) -> ModelCard:
        """The card for an id or alias; raises ModelNotFoundError if unknown (never creates)."""
        card = self._lookup.get(model_id)
        if card is None:
            raise ModelNotFoundError(model_id)
        return card

    def token_prices(self, model_id: str) -> tuple[float, float, float] | None:
        """USD per million tokens (input, cached input, output) of a listed model; None if unknown."""
        card = self._lookup.get(model_id)
        if card is None:
            return None
        p = card.pricing
        return p.input, p.input if p.cached_input is None else p.cached_input, p.output

    def resolve(self, model_id: str) -> ModelCard:
        """The card for an id or alias, creating an unknown id with the defaults unless ``strict``."""
        card = self._lookup.get(model_id)
        if card is not None:
            return card
        if self.strict or not model_id:
            raise ModelNotFoundError(model_id)
        d = self._defaults
        card = ModelCard(
            id=model_id,
            provider=d.provider,
            kind=d.kind,
            created=int(time.time()),
            context_window=d.context_window,
            max_output_tokens=d.max_output_tokens,
            tokenizer=d.tokenizer,
            capabilities=d.capabilities,
            pricing=d.pricing,
        )
        self._add(card)
        log.info("model %r is not in the catalog: created it with the default card", model_id)
        return card
