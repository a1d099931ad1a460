"""The HTTP shape shared by the text-generation families: decode, create, then stream or answer once, and
report the request's outcome to the metrics exactly once, when its response is complete.

Written against ``Exchange`` (server/exchange.py), so the ASGI routes and the RSGI front run this same code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fakeai.api.generation import Run, StepFrames, step_events
from fakeai.errors import FakeAIError, InvalidRequestError
from fakeai.faults.inject import RESET_PROMISE, InjectedError, ResetConnection, announce, broken_stream, sleep
from fakeai.faults.rules import FAULT_HEADER, Action, FaultContext
from fakeai.security.identity import Identity
from fakeai.server.decode import decode_json
from fakeai.server.exchange import CLIENT_CLOSED, Answer, Backlog, EventStream, Exchange, Reply
from fakeai.server.sse import error_event, guarded
from fakeai.state import AppState

log = logging.getLogger("fakeai.server")


class Generation(Protocol):
    run: Run
    # May also have ``headers``: response headers of its own (chat's and completions' rate limit).

    @property
    def prompt_usage(self) -> tuple[int, int]:
        """(prompt tokens, of which audio) as the response's ``usage`` counts them."""
        ...

    def frames(self) -> StepFrames: ...

    def response(self) -> Awaitable[dict[str, Any]]: ...


async def serve_generation(
    exchange: Exchange,
    state: AppState,
    endpoint: str,
    wire_type: type,
    create: Callable[[Any, str, float], Awaitable[Generation | Reply]],
    on_error: Callable[[Exception], tuple[bytes, int]] = error_event,
) -> Reply:
    """``endpoint`` is Dynamo's name for it (``chat_completions``, ``completions``, ``responses``). The
    request's outcome goes to the metrics and the journal once, when its response is complete.

    ``create`` may answer by itself (a background response's immediate reply): that ``Reply`` is returned
    as is. ``on_error`` frames an error raised once a stream has started (the family's in-band event).
    """
    started = time.perf_counter()
    clock = state.engine.clock
    arrival = clock.now()  # TTFT counts from here, as the client's does
    model, stream = "unknown", False
    action: Action | None = None
    faults = state.faults

    def outcome(status: int) -> None:
        state.request_outcome(model, endpoint, stream, status)
        journal = state.journal
        if journal.enabled:
            fault = None if action is None else action.rule
            took = time.perf_counter() - started
            journal.add(
                exchange.request_id,
                "POST",
                exchange.path,
                model,
                status,
                fault,
                took,
                exchange.identity.project,
            )

    try:
        body = decode_json(await exchange.body(), wire_type)
        model, stream = body.model, bool(body.stream)
        if faults.rules or (faults.header and exchange.header(FAULT_HEADER)):
            action = await before(exchange, state, model)
            if action is not None and action.latency_ms:
                # Injected latency is the network's, on top of the TTFT: the engine (whose TTFT counts
                # from arrival, its own handling included) sees the request only now, as vLLM would.
                arrival = clock.now()
        generation = await create(body, exchange.request_id, arrival)
    except InjectedError as exc:
        action = exc.action
        outcome(exc.status)
        raise
    except FakeAIError as exc:
        outcome(exc.status)
        raise
    except ResetConnection as exc:
        action = exc.action
        outcome(200)  # the head a reset sends
        raise
    except Exception:
        outcome(500)
        raise

    if isinstance(generation, Answer | EventStream):
        outcome(200)
        return generation
    drain = state.drain
    drain.track(generation.run)  # a shutdown interrupts it (server/shutdown.py)
    #: The family's own response headers (the rate limit's), if it has any.
    headers: dict[str, str] | None = getattr(generation, "headers", None)
    if stream:

        def close(status: int) -> None:
            drain.untrack(generation.run)
            generation.run.abort()
            outcome(status)
            bill(state, exchange.identity, model, generation)  # what was generated, even if the client left

        frames = generation.frames()  # driven by exactly one of the two below, whichever the transport picks
        if action is not None and (action.streams or action.ttft_ms):
            events = guarded(step_events(generation.run, frames), close, on_error)
            events = broken_stream(events, action, clock)
            if action.reset:  # a head promising more than comes: servers must drop the connection
                headers = {**(headers or {}), "content-length": str(RESET_PROMISE)}
            return EventStream(events, None, headers)  # the pull form only: it can be broken
        return EventStream(
            guarded(step_events(generation.run, frames), close, on_error),
            PushedStream(generation.run, frames, close, on_error),
            headers,
        )
    if action is not None and action.ttft_ms:
        await sleep(clock, action.ttft_ms / 1000)
    try:
        answer = await _unless_disconnected(exchange, generation)
    except FakeAIError as exc:  # interrupted by a shutdown
        outcome(exc.status)
        raise
    finally:
        drain.untrack(generation.run)
    answer.headers = headers
    outcome(answer.status)
    # A 200, or a 499 (the client went first): what was generated is billed either way, as for a stream.
    bill(state, exchange.identity, model, generation)
    return answer


async def before(exchange: Exchange, state: AppState, model: str) -> Action | None:
    """The fault this request gets, if any, with what happens before the response: an injected error,
    added latency, or a dropped connection. A malformed ``x-fakeai-fault`` header is a 400."""
    identity = exchange.identity
    context = FaultContext("POST", exchange.path, model, identity.project, identity.key_id, exchange.header)
    try:
        action = state.faults.pick(context)
    except (ValueError, TypeError) as exc:
        raise InvalidRequestError(f"Invalid {FAULT_HEADER} header: {exc}", param=FAULT_HEADER) from None
    if action is None:
        return None
    announce(action, "POST", exchange.path, exchange.request_id)
    if action.latency_ms:
        await sleep(state.engine.clock, action.latency_ms / 1000)
    if action.kind == "error":
        raise InjectedError(action)
    if action.reset and not action.streams:
        raise ResetConnection(action)
    return action


def bill(state: AppState, identity: Identity, model: str, generation: Generation) -> None:
    """The request's usage in the ledger (the organization usage and costs API), under the caller's
    project and key: its prompt, and the tokens generated so far. Called once per request, when its
    response is complete (a background response: when its job ends)."""
    run = generation.run
    prompt, audio = generation.prompt_usage
    state.usage.record(
        "completions",
        identity.project,
        identity.key_id,
        model,
        input_tokens=prompt,
        input_cached_tokens=run.cached_tokens,
        output_tokens=sum(stream.generated for stream in run.streams),
        input_audio_tokens=audio,
    )


#: A non-streaming request starts watching its connection only after this long: most finish sooner, and a
#: watch costs a task per request. A client gone earlier has its engine work aborted this much later.
WATCH_AFTER_S = 0.05


async def _unless_disconnected(exchange: Exchange, generation: Generation) -> Answer:
    """The answer, watching the connection meanwhile: a client that goes first aborts the engine work,
    which then finishes at once, and gets a 499 it never reads."""
    if generation.run.finished:  # a zero latency: done at submit, nothing to watch
        return Answer.json(await generation.response())
    gone = False
    watcher: asyncio.Future[None] | None = None

    async def watch() -> None:
        nonlocal gone
        await exchange.disconnected()
        gone = True
        generation.run.abort()

    def arm() -> None:
        nonlocal watcher
        watcher = asyncio.ensure_future(watch())

    timer = asyncio.get_running_loop().call_later(WATCH_AFTER_S, arm)
    try:
        result = await generation.response()
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()
    return Answer(b"", CLIENT_CLOSED) if gone else Answer.json(result)


#: Seconds between two looks at a paused stream's connection (is its client reading again?).
POLL_S = 0.05


class PushedStream:
    """A stream sent from inside the engine's wakeup (``Wakeup.listen``): each step's frames go out as the
    engine emits them, with no task woken and no await per token. For transports whose send is synchronous
    (Granian's RSGI); ``close(status)`` runs once however the stream ends, as with ``guarded``.

    Backpressure: given a ``Backlog`` (the connection's send queue, server/flow.py), the stream stops
    listening while its client is behind and looks again every ``POLL_S``; the engine keeps generating
    meanwhile, and the tokens wait as a count (``Run.behind``), sent in bounded steps once it reads again.
    """

    def __init__(
        self,
        run: Run,
        frames: StepFrames,
        close: Callable[[int], None],
        on_error: Callable[[Exception], tuple[bytes, int]] = error_event,
    ) -> None:
        self.run = run
        self.on_error = on_error
        self.frames = frames
        self.close = close
        self.send: Callable[[bytes], object] = _nowhere
        self.done: asyncio.Future[None] | None = None
        self.backlog: Backlog | None = None
        self.paused = False

    def start(self, send: Callable[[bytes], object], backlog: Backlog | None = None) -> asyncio.Future[None]:
        """Begin sending with ``send``; the future completes when the stream has ended."""
        loop = asyncio.get_running_loop()
        self.send = send
        self.backlog = backlog
        self.done = loop.create_future()
        if self.run.wakeup.listen(self._step) or not self.run.pending:
            loop.call_soon(self._step)  # what the engine emitted before anyone listened
        return self.done

    def cancel(self) -> None:
        """The client went away: stop, free the engine work and count a 499."""
        self._end(CLIENT_CLOSED)

    def _step(self) -> None:
        # Runs inside the engine's timer: it must not raise, and must not call back into the engine.
        done = self.done
        if done is None or done.done() or self.paused:
            return
        try:
            if self.run.failure is not None:
                frame, status = self.on_error(self.run.take_failure())
                self.send(frame)
                self._end(status)
                return
            chunk = self.frames.step()
            if chunk:
                self.send(chunk)
            if self.run.pending:
                backlog = self.backlog
                if backlog is not None and chunk and backlog.behind(len(chunk)):
                    self._pause()
                elif self.run.behind:  # catching up after a pause: the next bounded step
                    done.get_loop().call_soon(self._step)
                return
            self.send(self.frames.tail())
            status = 200
        except Exception as exc:
            frame, status = self.on_error(exc)
            self.send(frame)
        self._end(status)

    def _pause(self) -> None:
        log.debug("stream paused: its client is behind")
        self.paused = True
        self.run.wakeup.listen(None)  # the engine's wake-ups now only mark the run as pending
        assert self.done is not None
        self.done.get_loop().call_later(POLL_S, self._poll)

    def _poll(self) -> None:
        done, backlog = self.done, self.backlog
        if done is None or done.done() or backlog is None:
            return
        if self.run.failure is None and not backlog.caught_up():
            done.get_loop().call_later(POLL_S, self._poll)
            return
        self.paused = False
        self.run.wakeup.listen(self._step)
        self._step()

    def _end(self, status: int) -> None:
        done = self.done
        if done is None or done.done():
            return
        self.run.wakeup.listen(None)
        self.send = _nowhere  # let go of the transport: its body ends when the last reference goes
        done.set_result(None)
        # ``close`` aborts the run's sequences: never from inside the engine's own loop.
        done.get_loop().call_soon(self.close, status)


def _nowhere(chunk: bytes) -> None:
    raise RuntimeError("PushedStream.start was not called")
