"""What OpenAI means by a chat completion: from a decoded request to a response or a stream of chunks."""

from __future__ import annotations

import asyncio
import random
import secrets
import time

from fakeai.api.chat.message import DeltaFrames, choice_logprobs, message
from fakeai.api.chat.modes import ResponseModes
from fakeai.api.chat.prompt import PromptTokens, inline_media_chars, prompt_tokens, render
from fakeai.api.chat.protocol import ChatCompletionRequest
from fakeai.api.chat.reasoning import effective_effort, shows_reasoning
from fakeai.api.chat.reply import Replies
from fakeai.api.chat.stream import ChunkWriter
from fakeai.api.generation import (
    Run,
    check_stream_options,
    choice_rngs,
    fingerprint,
    stop_list,
    token_limit,
    usage,
)
from fakeai.api.logprobs import chat_top_logprobs
from fakeai.content.logprobs import LogprobSampler, choice_samplers
from fakeai.content.text import Completion
from fakeai.errors import NotFoundError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.server.exchange import IdSource
from fakeai.server.sse import SSE_DONE
from fakeai.state import AppState

#: Up to this many characters of inline media, counting stays on the event loop (it reads headers only,
#: in well under a millisecond); beyond, a PDF may be decoded whole, so counting goes to a thread.
INLINE_MEDIA_ON_LOOP = 256 * 1024


class ChatCompletion:
    """One accepted request whose choices are running on the engine."""

    def __init__(
        self,
        request: ChatCompletionRequest,
        run: Run,
        prompt: PromptTokens,
        fp: str,
        logprobs: list[LogprobSampler] | None = None,
        show_reasoning: bool = False,
        ids: IdSource | None = None,
    ) -> None:
        self.request = request
        self.show_reasoning = show_reasoning  # reasoning_content in messages and deltas (vLLM's parsers)
        self.run = run
        self.prompt = prompt
        self.logprobs = logprobs  # one sampler per choice when the request asked for logprobs
        self.id = ids() if ids is not None else "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.fingerprint = fp
        self.headers: dict[str, str] | None = None  # the rate limit's, when keys are configured

    @property
    def prompt_usage(self) -> tuple[int, int]:
        return self.prompt.total, self.prompt.audio

    def _usage(self, completion_tokens: int, reasoning_tokens: int = 0) -> dict[str, object]:
        prompt = self.prompt
        return usage(prompt.total, completion_tokens, self.run.cached_tokens, reasoning_tokens, prompt.audio)

    def _message(self, completion: Completion) -> dict[str, object]:
        result = message(completion)
        if self.show_reasoning and completion.reasoning:
            result["reasoning_content"] = "".join(completion.reasoning)
            if not completion.pieces:
                result["content"] = None  # vLLM's reasoning parsers: all thinking, no answer
        return result

    async def response(self) -> dict[str, object]:
        """The non-streaming ``chat.completion``: the same engine run, folded into one object."""
        try:
            await self.run.wait()
        finally:
            self.run.abort()
        samplers = self.logprobs
        choices = []
        completion_tokens = reasoning_tokens = 0
        for index, c in enumerate(self.run.completions):
            choices.append(
                {
                    "index": index,
                    "message": self._message(c),
                    "logprobs": None if samplers is None else choice_logprobs(c, samplers[index]),
                    "finish_reason": c.finish_reason,
                }
            )
            completion_tokens += c.output_tokens
            reasoning_tokens += len(c.reasoning)
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.request.model,
            "system_fingerprint": self.fingerprint,
            "service_tier": "default",
            "choices": choices,
            "usage": self._usage(completion_tokens, reasoning_tokens),
        }

    def frames(self) -> ChatFrames:
        return ChatFrames(self)


class ChatFrames:
    """A chat stream one engine step at a time (see ``StepFrames``): ``step`` is the chunks of what the
    engine emitted since the last call, ``tail`` the usage chunk and ``[DONE]``."""

    def __init__(self, completion: ChatCompletion) -> None:
        options = completion.request.stream_options
        self.writer = writer = ChunkWriter(
            completion_id=completion.id,
            created=completion.created,
            model=completion.request.model,
            fingerprint=completion.fingerprint,
            include_usage=bool(options and options.include_usage),
            continuous_usage=bool(options and options.continuous_usage_stats),
        )
        self.completion = completion
        self.run = completion.run
        self.deltas = DeltaFrames(writer, completion.run.completions)
        self.generated = self.thought = 0
        # Plain content without logprobs or running usage takes the byte-template fast path (one frame
        # per token, no per-token call); everything else goes piece by piece through DeltaFrames.
        self.plain = completion.logprobs is None and not writer.continuous_usage
        completions = completion.run.completions
        # The commonest stream, one choice of plain content, takes the short step. (A flag, not a bound
        # method stored on the instance: that would be a reference cycle, left for the collector.)
        only = completions[0] if len(completions) == 1 else None
        self.one = self.plain and only is not None and only.kind == "content" and not only.reasoning

    def _running_usage(self) -> dict[str, object] | None:
        if not self.writer.continuous_usage:
            return None
        return self.completion._usage(self.generated, self.thought)

    def step(self) -> bytes:
        if self.one:
            return self._one_content()
        writer, deltas, plain = self.writer, self.deltas, self.plain
        completions = self.run.completions
        samplers = self.completion.logprobs
        show_reasoning = self.completion.show_reasoning
        running_usage = self._running_usage
        frames: list[bytes] = []
        for index, start, stop, finished in self.run.news():
            completion = completions[index]
            if start == 0:
                frames.append(deltas.role(index, running_usage()))
            reasoned = len(completion.reasoning)  # the first tokens of the sequence are reasoning
            for piece in completion.reasoning[start:stop] if start < reasoned else ():
                self.generated += 1
                self.thought += 1
                if show_reasoning:
                    frames.append(writer.reasoning(index, piece, running_usage()))
            begin, end = max(start - reasoned, 0), max(stop - reasoned, 0)
            if plain and completion.kind == "content":
                if end > begin:
                    self.generated += end - begin
                    frames.append(writer.contents(index, completion.pieces, begin, end))
            else:
                sampler = None if samplers is None else samplers[index]
                for piece in completion.pieces[begin:end]:
                    self.generated += 1
                    frame = deltas.piece(index, piece, running_usage(), sampler)
                    if frame is not None:
                        frames.append(frame)
            if finished:
                frames.append(writer.finish(index, completion.finish_reason, running_usage()))
        return b"".join(frames)  # empty for a step of hidden reasoning

    def _one_content(self) -> bytes:
        """``step`` for the commonest stream, one choice of plain content: the same bytes, fewer calls."""
        news = self.run.news()
        if not news:
            return b""
        [(_, start, stop, finished)] = news
        writer = self.writer
        frames = writer.role(0) if start == 0 else b""
        if stop > start:
            self.generated += stop - start
            frames += writer.contents(0, self.run.completions[0].pieces, start, stop)
        if finished:
            frames += writer.finish(0, self.run.completions[0].finish_reason)
        return frames

    def tail(self) -> bytes:
        writer = self.writer
        if writer.include_usage:
            return writer.usage(self.completion._usage(self.generated, self.thought)) + SSE_DONE
        return SSE_DONE


class ChatService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.modes = ResponseModes(state.settings)
        self.fresh = random.Random()  # the choices of unseeded requests draw from it (see choice_rngs)
        self.ids = IdSource(24, "chatcmpl-")

    async def create(
        self,
        request: ChatCompletionRequest,
        request_id: str,
        arrival: float | None = None,
        response_mode: str | None = None,
        priority: int = 0,
        identity: Identity = ANONYMOUS,
    ) -> ChatCompletion:
        """Validate against the model, decide every choice, and start them on the engine.

        ``arrival`` (engine clock) is when the request came in; by default, when it reaches the engine.
        ``response_mode`` overrides the server's mode for this request (the x-fakeai-response-mode header).
        ``priority`` above 0 runs the request as background work (a batch line), yielding to live traffic.
        """
        state = self.state
        card = state.catalog.resolve(request.model)
        if card.kind != "chat":
            raise NotFoundError(
                "This is not a chat model and thus not supported in the v1/chat/completions endpoint. "
                "Did you mean to use v1/completions?",
                param="model",
                code="model_not_supported",
            )
        check_stream_options(request.stream, request.stream_options)
        effort = effective_effort(card, request.reasoning_effort)
        top_logprobs = chat_top_logprobs(card, request.logprobs, request.top_logprobs)
        encoding = await state.tokenizers.load(card.tokenizer)
        prose = await state.prose.load(card.tokenizer)
        if inline_media_chars(request) > INLINE_MEDIA_ON_LOOP:
            prompt = await asyncio.to_thread(prompt_tokens, encoding, card, request)
        else:
            prompt = prompt_tokens(encoding, card, request)
        requested, param = request.max_completion_tokens, "max_completion_tokens"
        if requested is None:
            requested, param = request.max_tokens, "max_tokens"
        limit = token_limit(
            card,
            prompt.total,
            requested,
            param,
            "messages",
            request.min_tokens,
            state.settings.max_model_len,
        )
        n = request.n or 1
        limiter = state.limiter
        headers = None
        if limiter is not None:  # OpenAI's estimate: the prompt's tokens + max_tokens per choice
            headers = limiter.admit(identity, request.model, prompt.total + (requested or limit) * n)
        rngs = choice_rngs(
            state.settings.seed,
            request.seed,
            lambda: "\x1e".join((request.model, *render(request))),
            n,
            self.fresh,
        )
        mode = await self.modes.resolve(request, response_mode)
        replies = Replies.for_request(
            request, encoding, prose, limit=limit, stop=stop_list(request.stop), effort=effort, mode=mode
        )
        if (
            replies.schema_driven
        ):  # schema instances: bounded, but up to ~0.3 s of CPU (content/json_schema.py)
            completions = await asyncio.to_thread(lambda: [replies.compose(rng) for rng in rngs])
        else:
            completions = [replies.compose(rng) for rng in rngs]
        logprobs = None if top_logprobs is None else choice_samplers(prose.vocabulary, rngs, top_logprobs)
        run = Run.start(
            state.engine,
            request_id,
            request.model,
            [prompt.ids] * n,
            completions,
            requested or limit,
            arrival,
            priority,
        )
        fp = fingerprint(request.model, state.settings.seed)
        completion = ChatCompletion(request, run, prompt, fp, logprobs, shows_reasoning(card), self.ids)
        completion.headers = headers
        return completion
