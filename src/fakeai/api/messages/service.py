"""What Anthropic means by a message: from a decoded request to a ``message`` or its stream of events.

The request is read as the chat request it means (translate.py), counted by chat's recipe (cache.py), and
its reply decided by chat's composition (chat/reply.py: prose, tools, JSON, response modes); thinking is
chat's reasoning with Anthropic's token budget. One engine sequence runs it (api/generation.py ``Run``),
and content blocks are written from that run (message.py): the same path streams or answers once.
"""

from __future__ import annotations

import asyncio
import random

from fakeai.api.chat.modes import ResponseModes
from fakeai.api.chat.prompt import inline_media_chars, render
from fakeai.api.chat.reply import Replies
from fakeai.api.chat.service import INLINE_MEDIA_ON_LOOP
from fakeai.api.generation import Run, choice_rngs, token_limit
from fakeai.api.messages.cache import MessagesPrompt, count
from fakeai.api.messages.message import MessageRun, cut_at_stop
from fakeai.api.messages.protocol import CountTokensRequest, MessagesRequest, ThinkingConfig
from fakeai.api.messages.translate import translate
from fakeai.catalog import ModelCard
from fakeai.content.reasoning import EFFORT_TOKENS
from fakeai.errors import InvalidRequestError, NotFoundError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.security.ratelimit import anthropic_headers
from fakeai.state import AppState

#: Anthropic's smallest thinking budget.
MIN_THINKING_BUDGET = 1024


class MessagesService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.modes = ResponseModes(state.settings)
        self.fresh = random.Random()  # unseeded requests draw from it (see choice_rngs)

    def _card(self, model: str) -> ModelCard:
        card = self.state.catalog.resolve(model)
        if card.kind != "chat":
            raise NotFoundError(f"model: {model} is not a messages model", param="model")
        return card

    async def _prompt(self, request: CountTokensRequest, card: ModelCard, max_tokens: int | None = None):
        translation = translate(request, max_tokens=max_tokens)
        encoding = await self.state.tokenizers.load(card.tokenizer)
        if inline_media_chars(translation.request) > INLINE_MEDIA_ON_LOOP:
            prompt = await asyncio.to_thread(count, encoding, card, translation)
        else:
            prompt = count(encoding, card, translation)
        return translation, encoding, prompt

    async def count_tokens(self, request: CountTokensRequest) -> int:
        """``input_tokens`` of ``/v1/messages/count_tokens``: the prompt as ``create`` counts it."""
        card = self._card(request.model)
        if request.thinking is not None and request.thinking.type != "disabled":
            _check_thinking_model(card)
        _, _, prompt = await self._prompt(request, card)
        return prompt.total

    async def create(
        self,
        request: MessagesRequest,
        request_id: str,
        arrival: float | None = None,
        response_mode: str | None = None,
        identity: Identity = ANONYMOUS,
    ) -> MessageRun:
        """Validate against the model, decide the reply, and start it on the engine.

        ``arrival`` (engine clock) is when the request came in; ``response_mode`` overrides the server's
        mode for this request (the x-fakeai-response-mode header, as for chat). ``identity``'s rate limit
        takes the prompt's tokens + ``max_tokens``, as chat's does, with Anthropic's header names.
        """
        state = self.state
        card = self._card(request.model)
        if request.max_tokens > card.max_output_tokens:
            raise InvalidRequestError(
                f"max_tokens: {request.max_tokens} > {card.max_output_tokens}, which is the maximum allowed "
                f"number of output tokens for {card.id}",
                param="max_tokens",
            )
        translation, encoding, prompt = await self._prompt(request, card, request.max_tokens)
        _check_context(card, prompt, request.max_tokens)
        limit = token_limit(
            card,
            prompt.total,
            request.max_tokens,
            "max_tokens",
            "messages",
            None,
            state.settings.max_model_len,
        )
        thinking = _thinking_range(card, request.thinking, request, limit)
        limiter = state.limiter
        headers = None
        if limiter is not None:  # after every check: a refused request takes nothing
            estimate = prompt.total + request.max_tokens
            headers = limiter.admit(identity, request.model, estimate, anthropic_headers)
        chat = translation.request
        prose = await state.prose.load(card.tokenizer)
        (rng,) = choice_rngs(
            state.settings.seed, None, lambda: "\x1e".join(("messages", *render(chat))), 1, self.fresh
        )
        mode = await self.modes.resolve(chat, response_mode)
        replies = Replies.for_request(
            chat, encoding, prose, limit=limit, stop=None, effort=thinking, mode=mode
        )
        completion = replies.compose(rng)
        stop_sequence = cut_at_stop(completion, request.stop_sequences)
        run = Run.start(
            state.engine, request_id, request.model, [prompt.ids], [completion], request.max_tokens, arrival
        )
        omitted = request.thinking is not None and request.thinking.display == "omitted"
        message = MessageRun(request.model, run, prompt, stop_sequence, state.settings.block_size, omitted)
        message.headers = headers
        return message


def _check_context(card: ModelCard, prompt: MessagesPrompt, max_tokens: int) -> None:
    if prompt.total >= card.context_window:
        raise InvalidRequestError(
            f"prompt is too long: {prompt.total} tokens > {card.context_window} maximum", param="messages"
        )
    if prompt.total + max_tokens > card.context_window:
        raise InvalidRequestError(
            f"input length and `max_tokens` exceed context limit: {prompt.total} + {max_tokens} > "
            f"{card.context_window}, decrease input length or `max_tokens` and try again",
            param="max_tokens",
        )


def _check_thinking_model(card: ModelCard) -> None:
    if "reasoning" not in card.capabilities:
        raise InvalidRequestError(f"thinking: {card.id} does not support thinking.", param="thinking")


def _thinking_range(
    card: ModelCard, thinking: ThinkingConfig | None, request: MessagesRequest, limit: int
) -> tuple[int, int] | None:
    """How many tokens this message thinks (an inclusive range drawn per request), or None."""
    if thinking is None or thinking.type == "disabled":
        return None
    _check_thinking_model(card)
    if thinking.type == "adaptive":  # the model decides: as much as the effort asks, within max_tokens
        effort = (request.output_config or {}).get("effort", "high")
        low, high = EFFORT_TOKENS.get(effort, EFFORT_TOKENS["high"])
        return min(low, limit - 1), max(min(high, limit - 1), 1)
    budget = thinking.budget_tokens
    if budget is None:
        raise InvalidRequestError("thinking.enabled.budget_tokens: Field required", param="thinking")
    if budget < MIN_THINKING_BUDGET:
        raise InvalidRequestError(
            f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}",
            param="thinking",
        )
    if budget >= request.max_tokens:
        raise InvalidRequestError(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation "
            "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-"
            "window-size",
            param="max_tokens",
        )
    budget = min(budget, limit - 1)  # leave the answer at least one token
    return max(budget // 4, 1), budget
