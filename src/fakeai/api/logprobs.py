"""Logprob parameters as OpenAI checks them, for chat and legacy completions."""

from __future__ import annotations

from fakeai.catalog import ModelCard
from fakeai.errors import InvalidRequestError


def _require_capability(card: ModelCard) -> None:
    # OpenAI's reasoning models refuse logprobs this way; the catalog says which models return them.
    if "logprobs" not in card.capabilities:
        raise InvalidRequestError(
            "Unsupported parameter: 'logprobs' is not supported with this model.",
            param="logprobs",
            code="unsupported_parameter",
        )


def chat_top_logprobs(card: ModelCard, logprobs: bool | None, top_logprobs: int | None) -> int | None:
    """How many alternatives each chat token lists, or None when no logprobs were asked for."""
    if top_logprobs is not None and not logprobs:
        raise InvalidRequestError(
            "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
            param="top_logprobs",
            code="invalid_value",
        )
    if not logprobs:
        return None
    _require_capability(card)
    return top_logprobs or 0


def completion_top_logprobs(card: ModelCard, logprobs: int | None) -> int | None:
    """The legacy ``logprobs`` integer (0-5), or None; checked against the model."""
    if logprobs is not None:
        _require_capability(card)
    return logprobs
