"""What OpenAI means by a (legacy) completion: prompts in, ``text_completion`` objects or chunks out."""

from __future__ import annotations

import random
import secrets
import time

import msgspec

from fakeai.api.completions.logprobs import CompletionLogprobs
from fakeai.api.completions.protocol import CompletionRequest
from fakeai.api.generation import (
    Run,
    check_stream_options,
    choice_rngs,
    compose_choices,
    fingerprint,
    stop_list,
    token_limit,
    usage,
)
from fakeai.api.logprobs import completion_top_logprobs
from fakeai.content.logprobs import choice_samplers
from fakeai.engine.tokenizer import Encoding
from fakeai.errors import InvalidRequestError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.server.sse import SSE_DONE, sse_event
from fakeai.state import AppState

_encode = msgspec.json.encode


#: What a null prompt means (OpenAI's default): the end-of-text special token, one token long (its id is a
#: placeholder no vocabulary uses; only the prefix cache sees it).
END_OF_TEXT: tuple[str, list[int]] = ("<|endoftext|>", [-1])


def _prompts(prompt: str | list[object] | None, encoding: Encoding) -> list[tuple[str, list[int]]]:
    """Each prompt as (text, token ids). Accepts a string, strings, token ids, or lists of token ids."""
    bad = InvalidRequestError(
        "Invalid 'prompt': expected a string, an array of strings, an array of token ids, or an array of "
        "arrays of token ids.",
        param="prompt",
        code="invalid_type",
    )
    if prompt is None:
        return [END_OF_TEXT]
    if isinstance(prompt, str):
        return [(prompt, encoding.encode_ordinary(prompt))]
    if not prompt:
        raise InvalidRequestError(
            "Invalid 'prompt': empty array. Expected an array with minimum length 1, but got an empty array "
            "instead.",
            param="prompt",
            code="empty_array",
        )
    if all(isinstance(p, str) for p in prompt):
        return [(p, encoding.encode_ordinary(p)) for p in prompt]  # type: ignore[arg-type]
    if all(type(p) is int for p in prompt):
        return [_token_prompt(prompt, encoding)]  # type: ignore[arg-type]
    if all(isinstance(p, list) and p and all(type(t) is int for t in p) for p in prompt):
        return [_token_prompt(p, encoding) for p in prompt]  # type: ignore[arg-type]
    raise bad


def _token_prompt(ids: list[int], encoding: Encoding) -> tuple[str, list[int]]:
    try:
        return encoding.decode(ids), ids
    except Exception:
        raise InvalidRequestError(
            f"Invalid 'prompt': token ids must be between 0 and the vocabulary size of {encoding.name}.",
            param="prompt",
            code="invalid_value",
        ) from None


class TextCompletion:
    """One accepted request: ``n`` (of ``best_of``) choices per prompt, running on the engine."""

    def __init__(
        self,
        request: CompletionRequest,
        run: Run,
        prompts: list[tuple[str, list[int]]],
        fp: str,
        logprobs: CompletionLogprobs | None = None,
    ) -> None:
        self.request = request
        self.logprobs = logprobs
        self.run = run
        self.prompts = prompts
        self.n = request.n or 1
        self.best_of = request.best_of or self.n
        self.id = "cmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.fingerprint = fp
        self.headers: dict[str, str] | None = None  # the rate limit's, when keys are configured

    @property
    def prompt_usage(self) -> tuple[int, int]:
        return sum(len(ids) for _, ids in self.prompts), 0

    def _usage(self) -> dict[str, object]:
        completion_tokens = sum(len(c.pieces) for c in self.run.completions)
        return usage(self.prompt_usage[0], completion_tokens, self.run.cached_tokens)

    def _returned(self) -> list[tuple[int, int]]:
        """(choice index on the wire, index into run.completions) for every returned choice."""
        return [
            (p * self.n + j, p * self.best_of + j) for p in range(len(self.prompts)) for j in range(self.n)
        ]

    def _prefix(self, run_index: int) -> str:
        return self.prompts[run_index // self.best_of][0] if self.request.echo else ""

    def _object(self, choices: list[dict[str, object]]) -> dict[str, object]:
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": self.request.model,
            "system_fingerprint": self.fingerprint,
            "choices": choices,
        }

    async def response(self) -> dict[str, object]:
        try:
            await self.run.wait()
        finally:
            self.run.abort()
        completions = self.run.completions
        lp, echo = self.logprobs, bool(self.request.echo)
        choices: list[dict[str, object]] = [
            {
                "index": index,
                "text": self._prefix(k) + completions[k].text,
                "logprobs": None if lp is None else lp.choice(k, completions[k].pieces, echo),
                "finish_reason": completions[k].finish_reason,
            }
            for index, k in self._returned()
        ]
        body = self._object(choices)
        body["usage"] = self._usage()
        return body

    def frames(self) -> CompletionFrames:
        return CompletionFrames(self)


class CompletionFrames:
    """A legacy completion stream one engine step at a time (see ``StepFrames``)."""

    def __init__(self, completion: TextCompletion) -> None:
        head = (
            b'data: {"id":' + _encode(completion.id) + b',"object":"text_completion","created":'
            + str(completion.created).encode() + b',"model":' + _encode(completion.request.model)
            + b',"system_fingerprint":' + _encode(completion.fingerprint) + b',"choices":[{"index":'
        )  # fmt: skip
        options = completion.request.stream_options
        self.include_usage = bool(options and options.include_usage)
        self.tail_bytes = b',"usage":null}\n\n' if self.include_usage else b"}\n\n"
        self.completion = completion
        self.run = completion.run
        self.lp = completion.logprobs
        self.offsets = [0] * len(self.run.completions)  # characters of each choice's text sent so far
        # Streaming requires best_of == n, so choice i on the wire is sequence i of the run.
        self.labels = [head + str(k).encode() + b',"text":' for k in range(len(self.run.completions))]
        self.plain = b',"logprobs":null,"finish_reason":null}]' + self.tail_bytes  # after a plain token

    def _logprobs(self, k: int, pieces: list[str], with_prompt: bool) -> bytes:
        frame = None if self.lp is None else self.lp.frame(k, pieces, with_prompt, self.offsets[k])
        return b"null" if frame is None else _encode(frame)

    def step(self) -> bytes:
        completions, lp, tail, plain = self.run.completions, self.lp, self.tail_bytes, self.plain
        frames: list[bytes] = []
        for k, start, stop, finished in self.run.news():
            pieces = completions[k].pieces
            label = self.labels[k]
            prefix = self.completion._prefix(k) if start == 0 else ""  # echo: prompt leads
            if lp is None and not prefix:  # the hot path: two concatenations per token (no offsets:
                for piece in pieces[start:stop]:  # only logprobs read them)
                    frames.append(label + _encode(piece) + plain)
            else:
                for piece in pieces[start:stop]:
                    text = prefix + piece
                    lp_bytes = self._logprobs(k, [piece], bool(prefix))
                    frames.append(label + _encode(text) + b',"logprobs":' + lp_bytes
                                  + b',"finish_reason":null}]' + tail)  # fmt: skip
                    self.offsets[k] += len(text)
                    prefix = ""
            if finished:
                reason = _encode(completions[k].finish_reason)
                lp_bytes = self._logprobs(k, [], bool(prefix))
                frames.append(label + _encode(prefix) + b',"logprobs":' + lp_bytes
                              + b',"finish_reason":' + reason + b"}]" + tail)  # fmt: skip
        return b"".join(frames)

    def tail(self) -> bytes:
        if not self.include_usage:
            return SSE_DONE
        body = self.completion._object([])
        body["usage"] = self.completion._usage()
        return sse_event(body) + SSE_DONE


class CompletionService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.fresh = random.Random()  # the choices of unseeded requests draw from it (see choice_rngs)

    async def create(
        self,
        request: CompletionRequest,
        request_id: str,
        arrival: float | None = None,
        priority: int = 0,
        identity: Identity = ANONYMOUS,
    ) -> TextCompletion:
        """``priority`` above 0 runs the request as background work (a batch line)."""
        state = self.state
        card = state.catalog.resolve(request.model)
        if card.kind not in ("chat", "completion"):
            raise InvalidRequestError(
                f"The model `{request.model}` does not support completions.",
                param="model",
                code="model_not_supported",
            )
        n = request.n or 1
        best_of = request.best_of or n
        if best_of < n:
            raise InvalidRequestError(
                "best_of must be greater than or equal to n.", param="best_of", code="invalid_value"
            )
        if request.stream and best_of > n:
            raise InvalidRequestError(
                "Cannot stream results when best_of is greater than n.", param="best_of", code="invalid_value"
            )
        top_logprobs = completion_top_logprobs(card, request.logprobs)
        check_stream_options(request.stream, request.stream_options)
        encoding = await state.tokenizers.load(card.tokenizer)
        prose = await state.prose.load(card.tokenizer)
        prompts = _prompts(request.prompt, encoding)
        completions = []
        prompt_ids: list[list[int]] = []
        all_rngs = []
        max_model_len = state.settings.max_model_len
        for text, ids in prompts:
            limit = token_limit(
                card, len(ids), request.max_tokens, "max_tokens", "prompt", request.min_tokens, max_model_len
            )
            rngs = choice_rngs(
                state.settings.seed, request.seed, f"{request.model}\x1e{text}", best_of, self.fresh
            )
            all_rngs += rngs
            completions += compose_choices(
                prose,
                rngs,
                limit=limit,
                min_tokens=request.min_tokens,
                ignore_eos=request.ignore_eos,
                stop=stop_list(request.stop),
                continuation=True,
            )
            prompt_ids += [ids] * best_of
        logprobs = None
        if top_logprobs is not None:
            # Each prompt's own logprobs (echo) come from a seeded RNG of their own: see CompletionLogprobs.
            prompt_rngs = [
                choice_rngs(
                    state.settings.seed, request.seed, f"{request.model}\x1e{text}\x1eprompt", 1, self.fresh
                )[0]
                for text, _ in prompts
            ]
            logprobs = CompletionLogprobs(
                choice_samplers(prose.vocabulary, all_rngs, top_logprobs),
                choice_samplers(prose.vocabulary, prompt_rngs, top_logprobs),
                prompts,
                encoding,  # type: ignore[arg-type]  # quicktok encodings decode single tokens to bytes
                best_of,
            )
        max_tokens = request.max_tokens if request.max_tokens is not None else limit
        limiter = state.limiter
        headers = None
        if limiter is not None:  # OpenAI's estimate: the prompts' tokens + max_tokens per choice
            estimate = sum(len(ids) for ids in prompt_ids) + max_tokens * len(prompt_ids)
            headers = limiter.admit(identity, request.model, estimate)
        run = Run.start(
            state.engine, request_id, request.model, prompt_ids, completions, max_tokens, arrival, priority
        )
        fp = fingerprint(request.model, state.settings.seed)
        completion = TextCompletion(request, run, prompts, fp, logprobs)
        completion.headers = headers
        return completion
