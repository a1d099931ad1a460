"""vLLM's tokenizer endpoints, with the same counts the API's ``usage`` reports."""

from __future__ import annotations

from fakeai.api.chat.prompt import prompt_tokens
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.vllm.protocol import DetokenizeRequest, TokenizeRequest
from fakeai.errors import InvalidRequestError
from fakeai.state import AppState


class TokenizerService:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def tokenize(self, request: TokenizeRequest) -> dict[str, object]:
        """``count`` equals the ``prompt_tokens`` a chat or completion request with this input reports.

        Chat framing tokens (message start, separator, end) and media parts have no id in the bundled
        vocabularies; they are returned as the end-of-text id, so the list has the right length and only
        real ids.
        """
        card = self.state.catalog.resolve(request.model)
        encoding = await self.state.tokenizers.load(card.tokenizer)
        if (request.prompt is None) == (request.messages is None):
            raise InvalidRequestError(
                "Either 'prompt' or 'messages' must be given, not both.", param="prompt", code="invalid_value"
            )
        if request.messages is not None:
            chat = ChatCompletionRequest(model=request.model, messages=request.messages)
            eot = encoding.eot_token
            tokens = [token if token >= 0 else eot for token in prompt_tokens(encoding, card, chat).ids]
        else:
            tokens = encoding.encode_ordinary(request.prompt or "")
        return {
            "count": len(tokens),
            "max_model_len": min(
                card.context_window, self.state.settings.max_model_len or card.context_window
            ),
            "tokens": tokens,
            "token_strs": [encoding.decode([t]) for t in tokens] if request.return_token_strs else None,
        }

    async def detokenize(self, request: DetokenizeRequest) -> dict[str, object]:
        card = self.state.catalog.resolve(request.model)
        encoding = await self.state.tokenizers.load(card.tokenizer)
        try:
            return {"prompt": encoding.decode(request.tokens)}
        except Exception:
            raise InvalidRequestError(
                f"Token ids must be between 0 and the vocabulary size of {encoding.name}.",
                param="tokens",
                code="invalid_value",
            ) from None
