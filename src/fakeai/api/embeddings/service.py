"""What OpenAI means by an embedding request: inputs in (text or token ids), one unit vector per input out,
each input a prefill on the engine (see api/pooling.py); the vectors come from content/embeddings.py."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np

from fakeai.api.embeddings.protocol import EmbeddingRequest
from fakeai.api.pooling import INLINE_CHARS, OFF_LOOP_FLOATS, Pooled, Pooling, compute, text_chars
from fakeai.catalog import ModelCard
from fakeai.content.embeddings import Embedders
from fakeai.engine.tokenizer import Encoding
from fakeai.errors import ContextLengthExceededError, InvalidRequestError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.state import AppState

#: OpenAI's cap on the tokens of all inputs of one request, besides the per-input limit.
MAX_REQUEST_TOKENS = 300_000
#: The vector length of a model id the catalog does not know (created on first use): ada-002's and
#: text-embedding-3-small's.
DEFAULT_DIMENSIONS = 1536

_INVALID_INPUT = (
    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."
)


def parse_inputs(
    value: str | list[Any], encoding: Encoding, param: str = "input"
) -> list[tuple[str, list[int]]]:
    """Each input as (text, token ids): a string, strings, token ids, or lists of token ids. Empty strings
    are refused, as OpenAI does."""
    if isinstance(value, str):
        items: list[Any] = [value]
    elif all(isinstance(v, str) for v in value):
        items = value
    elif all(type(v) is int for v in value):
        return [_from_ids(value, encoding, param)]
    elif all(isinstance(v, list) and v and all(type(t) is int for t in v) for v in value):
        return [_from_ids(v, encoding, param) for v in value]
    else:
        raise InvalidRequestError(
            f"Invalid '{param}': expected a string, an array of strings, an array of token ids, or an array "
            "of arrays of token ids.",
            param=param,
            code="invalid_type",
        )
    if any(not text for text in items):
        raise InvalidRequestError(_INVALID_INPUT, param=param, code="invalid_value")
    return [(text, encoding.encode_ordinary(text)) for text in items]


def _from_ids(ids: list[int], encoding: Encoding, param: str) -> tuple[str, list[int]]:
    try:
        return encoding.decode(ids), ids
    except Exception:
        raise InvalidRequestError(
            f"Invalid '{param}': token ids must be between 0 and the vocabulary size of {encoding.name}.",
            param=param,
            code="invalid_value",
        ) from None


def _truncated(request: EmbeddingRequest, window: int, ids: list[int]) -> list[int] | None:
    """The ids to keep when the request asks to truncate (NIM ``truncate``, vLLM
    ``truncate_prompt_tokens``), or None to keep them all."""
    keep = request.truncate_prompt_tokens
    if keep is not None:
        keep = window if keep == -1 else min(keep, window)
        return ids[-keep:] if len(ids) > keep else None
    if len(ids) <= window or request.truncate in (None, "NONE"):
        return None
    return ids[:window] if request.truncate == "END" else ids[-window:]


class EmbeddingService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.embedders = Embedders()

    def _dimensions(self, card: ModelCard, requested: int | None) -> tuple[int, int]:
        """(the model's native dimensions, the dimensions to return)."""
        custom = card.provider == "custom"
        native = card.dimensions or DEFAULT_DIMENSIONS
        if requested is None or requested == native:
            return native, native
        if not (card.matryoshka or custom):
            raise InvalidRequestError(
                "This model does not support specifying dimensions.", param="dimensions", code="invalid_value"
            )
        if requested > native:
            raise InvalidRequestError(
                f"Invalid 'dimensions': integer above maximum value. Expected a value <= {native}, but got "
                f"{requested} instead.",
                param="dimensions",
                code="integer_above_max_value",
            )
        return native, requested

    async def create(
        self, request: EmbeddingRequest, request_id: str, arrival: float, identity: Identity = ANONYMOUS
    ) -> Pooled:
        """The vectors, after the engine has prefilled every input; ``identity``'s rate limit takes the
        inputs' tokens (OpenAI counts an embedding request's input against TPM)."""
        state = self.state
        card = state.catalog.resolve(request.model)
        if card.kind != "embedding" and card.provider != "custom":
            raise InvalidRequestError(
                f"The model `{request.model}` does not support embeddings.",
                param="model",
                code="model_not_supported",
            )
        native, dims = self._dimensions(card, request.dimensions)
        encoding = await state.tokenizers.load(card.tokenizer)
        inline = text_chars(request.input) <= INLINE_CHARS
        inputs = await compute(inline, lambda: parse_inputs(request.input, encoding))
        window = card.context_window
        if state.settings.max_model_len is not None:
            window = min(window, state.settings.max_model_len)
        texts: list[str] = []
        prompts: list[Sequence[int]] = []
        for text, ids in inputs:
            kept = _truncated(request, window, ids)
            if kept is not None:
                text, ids = encoding.decode(kept), kept
            if len(ids) > window:
                raise ContextLengthExceededError(
                    f"This model's maximum context length is {window} tokens, however you requested "
                    f"{len(ids)} tokens ({len(ids)} in your prompt; 0 for the completion). Please reduce "
                    "your prompt; or completion length.",
                    param="input",
                )
            texts.append(text)
            prompts.append(ids)
        total = sum(len(ids) for ids in prompts)
        if total > MAX_REQUEST_TOKENS:
            raise InvalidRequestError(
                f"Requested {total} tokens, max {MAX_REQUEST_TOKENS} tokens per request",
                param="input",
                code="max_tokens_per_request",
            )
        embedder = self.embedders.get(card.id, native)
        as_base64 = request.encoding_format == "base64"

        def work() -> bytes:
            return _body(request.model, embedder.embed(texts, dims), as_base64, total)

        pooling = Pooling(state, request_id, request.model, prompts, arrival, identity)
        try:  # the vectors are computed while the engine runs the prefills
            body = await compute(inline and len(texts) * dims <= OFF_LOOP_FLOATS, work)
        except BaseException:
            pooling.abort()
            raise
        await pooling.wait()  # the response leaves when the engine has done the prefills
        return Pooled(body, "embeddings", request.model, total, pooling.headers)


def _body(model: str, vectors: np.ndarray, as_base64: bool, tokens: int) -> bytes:
    if as_base64:
        little = vectors.astype("<f4", copy=False)
        rows: list[Any] = [base64.b64encode(row.tobytes()).decode("ascii") for row in little]
    else:
        rows = vectors.tolist()
    data = [{"object": "embedding", "index": i, "embedding": row} for i, row in enumerate(rows)]
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return msgspec.json.encode({"object": "list", "data": data, "model": model, "usage": usage})
