"""What chat and completions share: the token budget, the seeded composition of each choice, and running
the choices' sequences on the engine."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from fakeai.catalog import ModelCard
from fakeai.content.text import Completion, Prose, compose, derive_seed
from fakeai.engine import Cluster, EngineOverloaded, EngineRequest, ExceedsKVCapacity, Wakeup
from fakeai.engine import Sequence as EngineSequence
from fakeai.errors import ContextLengthExceededError, InvalidRequestError, RateLimitError


def token_limit(
    card: ModelCard,
    prompt_tokens: int,
    requested: int | None,
    param: str,
    prompt_param: str,
    min_tokens: int | None = None,
    max_model_len: int | None = None,
) -> int:
    """The most tokens one choice may generate; 400 when the prompt or the request cannot fit.

    ``max_model_len`` (the server's cap, as vLLM's flag) shrinks the model's context window.
    """
    if max_model_len is not None and max_model_len < card.context_window:
        card = msgspec.structs.replace(
            card, context_window=max_model_len, max_output_tokens=min(card.max_output_tokens, max_model_len)
        )
    limit = _limit(card, prompt_tokens, requested, param, prompt_param)
    if min_tokens is not None and min_tokens > limit:
        raise InvalidRequestError(
            f"min_tokens ({min_tokens}) must be less than or equal to the token limit ({limit}).",
            param="min_tokens",
            code="invalid_value",
        )
    return limit


def _limit(card: ModelCard, prompt_tokens: int, requested: int | None, param: str, prompt_param: str) -> int:
    window = card.context_window
    if prompt_tokens >= window:
        raise ContextLengthExceededError(
            f"This model's maximum context length is {window} tokens. However, your {prompt_param} "
            f"resulted in {prompt_tokens} tokens. Please reduce the length of the {prompt_param}.",
            param=prompt_param,
        )
    if requested is None:
        return min(card.max_output_tokens, window - prompt_tokens)
    if requested > card.max_output_tokens:
        raise InvalidRequestError(
            f"{param} is too large: {requested}. This model supports at most {card.max_output_tokens} "
            f"completion tokens, whereas you provided {requested}.",
            param=param,
            code="invalid_value",
        )
    if prompt_tokens + requested > window:
        raise ContextLengthExceededError(
            f"This model's maximum context length is {window} tokens. However, you requested "
            f"{prompt_tokens + requested} tokens ({prompt_tokens} in the {prompt_param}, {requested} in "
            f"the completion). Please reduce the length of the {prompt_param} or completion.",
            param=prompt_param,
        )
    return requested


def check_stream_options(stream: bool | None, stream_options: object) -> None:
    if stream_options is not None and not stream:
        raise InvalidRequestError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )


def stop_list(stop: str | list[str] | None) -> list[str] | None:
    if stop is None:
        return None
    return [stop] if isinstance(stop, str) else [s for s in stop if s]


def choice_rngs(
    server_seed: int | None,
    request_seed: int | None,
    key: str | Callable[[], str],
    count: int,
    fresh: random.Random,
) -> list[random.Random]:
    """One RNG per choice. Same seeds and same request ``key`` give the same output; no global RNG.
    ``key`` may be a function building it: it is only needed when a seed is set.

    With neither seed set, outputs are fresh each time, as with a real model: every choice then draws from
    ``fresh``, the service's own unseeded RNG, since building a seeded ``Random`` costs ~10 µs (it fills
    the Mersenne Twister's 624-word state) and nothing needs to reproduce those draws.
    """
    if request_seed is None and server_seed is None:
        return [fresh] * count
    base = derive_seed(server_seed, request_seed, key if isinstance(key, str) else key())
    return [random.Random(derive_seed(base, index)) for index in range(count)]


def compose_choices(
    prose: Prose,
    rngs: list[random.Random],
    *,
    limit: int,
    min_tokens: int | None,
    ignore_eos: bool,
    stop: list[str] | None,
    continuation: bool = False,
) -> list[Completion]:
    return [
        compose(
            prose,
            rng,
            limit=limit,
            min_tokens=min_tokens or 0,
            ignore_eos=ignore_eos,
            stop=stop,
            continuation=continuation,
        )
        for rng in rngs
    ]


#: The most tokens one ``Run.news`` reports: ~250 bytes of SSE each, so one step's frames stay ~256 KB
#: however long the client did not read (the engine went on meanwhile, as vLLM's does).
STEP_TOKENS = 1024


def submit(
    engine: Cluster, requests: list[EngineRequest], wakeup: Wakeup, arrival: float | None
) -> list[EngineSequence]:
    """``engine.submit`` with its refusals as API errors: a full waiting queue is a 429 with
    ``Retry-After``; a request larger than the whole KV cache a 400."""
    try:
        return engine.submit(requests, wakeup, arrival)
    except EngineOverloaded as exc:
        seconds = max(1, math.ceil(exc.retry_after))
        raise RateLimitError(
            "The engine is overloaded: too many requests are waiting. Please retry after a short wait.",
            code="engine_overloaded",
            headers={"retry-after": str(seconds), "retry-after-ms": str(int(exc.retry_after * 1000))},
        ) from exc
    except ExceedsKVCapacity as exc:
        raise InvalidRequestError(
            f"This request needs {exc.tokens} tokens of KV cache, more than the engine's {exc.capacity}. "
            "Please reduce the prompt or max_tokens.",
            param="max_tokens",
            code="context_length_exceeded",
        ) from exc


@dataclass(slots=True, eq=False)  # hashed by identity: shutdown keeps a set of the running ones
class Run:
    """The engine sequences of one API request: one per choice, all waking one ``Wakeup``."""

    engine: Cluster
    completions: list[Completion]
    streams: list[EngineSequence] = field(default_factory=list)
    wakeup: Wakeup = field(default_factory=Wakeup)
    #: Choices not yet reported finished by ``news`` (indexes into ``streams``).
    pending: list[int] = field(default_factory=list)
    #: Set by ``interrupt``: the error the request ends with instead of its remaining tokens.
    failure: Exception | None = None
    #: Set by ``news``: tokens already emitted wait to be reported (it stopped at ``STEP_TOKENS``), so the
    #: consumer calls it again without waiting for the engine.
    behind: bool = False

    @classmethod
    def start(
        cls,
        engine: Cluster,
        request_id: str,
        model: str,
        prompts: list[Sequence[int]],
        completions: list[Completion],
        max_tokens: int,
        arrival: float | None = None,
        priority: int = 0,
    ) -> Run:
        """Submit one sequence per completion; ``prompts[i]`` is the prompt token ids of choice i.
        ``priority`` above 0 is background work (batch lines), which yields to live requests. See
        ``submit`` for the errors.
        """
        run = cls(engine, completions)
        requests = [
            EngineRequest(
                f"{request_id}-{index}",
                model,
                prompt,
                completion.output_tokens,
                completion.finish_reason,
                max_tokens,
                len(completions),
                priority,
            )
            for index, (prompt, completion) in enumerate(zip(prompts, completions, strict=True))
        ]
        run.pending = list(range(len(requests)))
        run.streams = submit(engine, requests, run.wakeup, arrival)
        return run

    @property
    def finished(self) -> bool:
        for stream in self.streams:  # noqa: SIM110 - all() makes a generator per call, read per request
            if not stream.finished:
                return False
        return True

    @property
    def cached_tokens(self) -> int:
        """Prompt tokens served from the prefix cache (the first choice's; all share one prompt)."""
        return self.streams[0].cached_tokens if self.streams else 0

    async def wait(self) -> None:
        """Until every sequence has emitted its last token (the non-streaming path); raises the
        ``interrupt`` error if one comes first."""
        while not self.finished:
            await self.wakeup.wait()
            if self.failure is not None:
                raise self.take_failure()

    def interrupt(self, error: Exception) -> None:
        """End the request now with ``error`` (the server is shutting down): whoever drives it (``wait``,
        ``step_events`` or a pushed stream) raises it at its next wake-up, which this triggers."""
        if self.failure is None:
            self.failure = error
            self.wakeup.set()

    def take_failure(self) -> Exception:
        """The ``interrupt`` error, once: the run lets go of it, so the traceback its raise attaches
        keeps nothing alive (a pushed stream's transport is released, and its body ends, by refcount)."""
        failure, self.failure = self.failure, None
        assert failure is not None
        return failure

    def news(self) -> list[tuple[int, int, int, bool]]:
        """What each pending choice emitted since the last call (the streaming path: call it after each
        ``wakeup.wait()`` while ``pending``, and again without waiting while ``behind``): ``(index, start,
        stop, finished)`` per choice with news, where ``[start, stop)`` are its new tokens, reasoning first
        and then answer (see ``Completion``).

        One tuple per choice per engine step, never per token, and at most ``STEP_TOKENS`` tokens in all:
        a stream whose client fell behind (backpressure) catches up in bounded chunks. Every choice is
        reported at least once, the last time with ``finished``, after which it leaves ``pending``.
        """
        pending = self.pending
        news: list[tuple[int, int, int, bool]] = []
        if not pending:
            self.behind = False
            return news
        streams = self.streams
        if len(pending) == 1:  # the commonest stream, one choice: the loop below, unrolled
            index = pending[0]
            stream = streams[index]
            start = stream.taken
            new = stream.take(STEP_TOKENS)
            self.behind = left = stream.generated - start - new > 0
            finished = not left and stream.finished
            if new or finished:
                news.append((index, start, start + new, finished))
                if finished:
                    self.pending = []
            return news
        limit = STEP_TOKENS // len(pending) or 1
        done = behind = False
        for index in pending:
            stream = streams[index]
            start = stream.taken
            new = stream.take(limit)
            left = stream.generated - start - new
            finished = not left and stream.finished
            if left:
                behind = True
            if new or finished:
                news.append((index, start, start + new, finished))
                done = done or finished
        self.behind = behind
        if done:
            self.pending = [i for i in pending if not (streams[i].finished and not self._left(i))]
        return news

    def _left(self, index: int) -> int:
        stream = self.streams[index]
        return stream.generated - stream.taken

    def abort(self) -> None:
        """Free every unfinished sequence (client disconnected, or an error)."""
        for stream in self.streams:
            if not stream.finished:
                self.engine.abort(stream)


class StepFrames(Protocol):
    """A stream's SSE bytes, built one engine step at a time. Driven by ``step_events`` (one task per
    stream, the ASGI path) or by ``api/serving.PushedStream`` (from the engine's wakeup, no task)."""

    def step(self) -> bytes:
        """The frames of what the run emitted since the last call; empty if nothing is to be sent."""
        ...

    def tail(self) -> bytes:
        """What follows the last step (usage, ``[DONE]``)."""
        ...


async def step_events(run: Run, frames: StepFrames) -> AsyncIterator[bytes]:
    while run.pending:
        if not run.behind:  # a client that was slow to read catches up first, in bounded steps
            await run.wakeup.wait()
        if run.failure is not None:
            raise run.take_failure()
        chunk = frames.step()
        if chunk:
            yield chunk
    yield frames.tail()


def usage(
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    audio_tokens: int = 0,
) -> dict[str, object]:
    """OpenAI's usage object; ``completion_tokens`` already includes ``reasoning_tokens``, and
    ``prompt_tokens`` the prompt's ``audio_tokens``."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": cached_tokens, "audio_tokens": audio_tokens},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


@functools.lru_cache(maxsize=1024)  # a pure function whose hash costs ~3 µs per request; bounded
def fingerprint(model: str, server_seed: int | None) -> str:
    """A stable ``system_fingerprint`` per model and server seed (a string, never null)."""
    return f"fp_{derive_seed(model, server_seed) & 0xFFFFFFFFFF:010x}"
