"""``reasoning_effort`` as OpenAI and vLLM take it, per model card.

- A model without the ``reasoning`` capability refuses the parameter with OpenAI's 400
  ``unsupported_parameter`` (OpenAI does so for gpt-4o; vLLM would ignore it, but a silent no-op hides a
  client's mistake).
- A reasoning model always reasons (``medium`` unless told otherwise), except a ``hybrid`` one, which
  reasons only when asked. ``none`` turns reasoning off, except on OpenAI-style models that always reason
  (o-series, gpt-5), which refuse it as OpenAI does.
- ``openai``-style models hide their thoughts (counted in ``reasoning_tokens`` only); ``deepseek`` and
  ``harmony`` models, as vLLM serves them, also return them in ``reasoning_content``.
"""

from __future__ import annotations

from fakeai.catalog import ModelCard
from fakeai.errors import InvalidRequestError

DEFAULT_EFFORT = "medium"  # OpenAI's default for its reasoning models


def effective_effort(card: ModelCard, requested: str | None) -> str | None:
    """The effort this request reasons with, or None when it does not reason."""
    if "reasoning" not in card.capabilities:
        if requested is None:
            return None
        raise InvalidRequestError(
            "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
            param="reasoning_effort",
            code="unsupported_parameter",
        )
    if requested == "none" and card.reasoning == "openai" and not card.hybrid:
        raise InvalidRequestError(
            "Unsupported value: 'reasoning_effort' does not support 'none' with this model. Supported "
            "values are: 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.",
            param="reasoning_effort",
            code="unsupported_value",
        )
    if requested is None:
        return None if card.hybrid else DEFAULT_EFFORT
    return None if requested == "none" else requested


def shows_reasoning(card: ModelCard) -> bool:
    """Whether the thoughts are returned in ``reasoning_content`` (vLLM's reasoning parsers) or hidden."""
    return card.reasoning in ("deepseek", "harmony")
