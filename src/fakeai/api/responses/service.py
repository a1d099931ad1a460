"""What OpenAI means by a response: a Responses request run through chat's generation core, written as
a Response object or a stream of typed events, and kept in the store when ``store`` is on."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any

import msgspec

from fakeai.api.chat.prompt import prompt_tokens
from fakeai.api.chat.protocol import ChatCompletionRequest, SystemMessage
from fakeai.api.chat.reasoning import effective_effort
from fakeai.api.chat.service import ChatCompletion, ChatService
from fakeai.api.chat.tools import last_user_text
from fakeai.api.conversations.records import Conversations
from fakeai.api.generation import Run
from fakeai.api.responses import items as input_items
from fakeai.api.responses.events import ResponseFrames
from fakeai.api.responses.file_search import FileSearch
from fakeai.api.responses.output import Layout
from fakeai.api.responses.protocol import CreateResponseRequest, InputTokensRequest
from fakeai.api.responses.records import Records, fail_unfinished
from fakeai.api.responses.search import BuiltIn, Search
from fakeai.api.responses.tools import ResponseTools, read_tools
from fakeai.api.responses.translate import chat_request, check_include, renamed
from fakeai.errors import ContextLengthExceededError, FakeAIError, InvalidRequestError
from fakeai.security.identity import Identity
from fakeai.state import AppState

log = logging.getLogger("fakeai.responses")


class ResponsesService:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.chat = ChatService(state)
        self._tasks: set[asyncio.Task[None]] = set()  # store writes scheduled from inside a stream
        #: Background responses still running, by id (api/responses/background.py).
        self.running: dict[str, Any] = {}
        state.jobs.on_resume(self.resume)

    async def resume(self) -> None:
        """At start-up (a durable store): background responses cut off by a restart are failed."""
        failed = await fail_unfinished(self.state.store)
        if failed:
            log.warning("%d background responses were cut off by a restart: marked failed", failed)

    def records(self, identity: Identity) -> Records:
        return Records(self.state.store.project(identity.project))

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a store write soon, from code that cannot await (a stream's last event)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def context(
        self, request: CreateResponseRequest | InputTokensRequest, records: Records
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(the history items: earlier turns or the conversation's items; this request's input items)."""
        history = await records.history(request.previous_response_id) if request.previous_response_id else []
        conversation = conversation_id(request.conversation)
        if conversation is not None:
            history = await Conversations(records.store).all_items(conversation, param="conversation")
        found = await records.items(input_items.references(request.input))
        return history, input_items.normalize(request.input, found)

    async def count(self, request: InputTokensRequest, identity: Identity) -> int:
        """``input_tokens`` of a response to this request, counted as ``create`` counts them."""
        tools = read_tools(request.tools, request.tool_choice)
        history, given = await self.context(request, self.records(identity))
        probe = CreateResponseRequest(
            model=request.model,
            input=request.input,
            instructions=request.instructions,
            tools=request.tools,
            tool_choice=request.tool_choice,
            text=request.text,
            reasoning=request.reasoning,
        )
        chat = chat_request(probe, input_items.messages([*history, *given]), tools, set())
        card = self.state.catalog.resolve(request.model)
        encoding = await self.state.tokenizers.load(card.tokenizer)
        try:
            return prompt_tokens(encoding, card, chat).total
        except FakeAIError as exc:
            raise renamed(exc, tools.positions) from None

    async def create(
        self,
        request: CreateResponseRequest,
        request_id: str,
        arrival: float | None,
        identity: Identity,
        response_mode: str | None = None,
    ) -> ResponseGeneration:
        """Validate, read the context (previous turns, conversation, input), and start the engine run."""
        _check(request)
        include = check_include(request.include)
        tools = read_tools(request.tools, request.tool_choice)
        records = self.records(identity)
        history, given = await self.context(request, records)
        context = input_items.messages([*history, *given])
        try:
            wanted = chat_request(request, context, tools, include)
            built_in: list[BuiltIn] = []
            if tools.searches_files:
                assert tools.file_search is not None
                position, tool = tools.file_search
                show = "file_search_call.results" in include
                found = await FileSearch.run(
                    self.state, identity.project, tool, position, last_user_text(wanted), show
                )
                built_in.append(found)
                if found.results:  # the model reads what was found
                    wanted.messages.append(SystemMessage(found.context()))
            chat = await self._generate(wanted, request, request_id, arrival, response_mode, identity)
        except FakeAIError as exc:
            raise renamed(exc, tools.positions) from None
        completion = chat.run.completions[0]
        if tools.searches(completion.kind == "content"):
            sources = "web_search_call.action.sources" in include
            query = last_user_text(chat.request)
            built_in.insert(0, Search.run(query, self.state.settings.seed, request.seed, sources))
        summary = None
        if request.reasoning is not None:
            summary = request.reasoning.summary or request.reasoning.generate_summary
        layout = Layout.of(
            completion,
            summary=summary,
            show_reasoning=chat.show_reasoning,
            encrypt="reasoning.encrypted_content" in include,
            built_in=built_in,
        )
        store = request.store is not False
        effort = effective_effort(self.state.catalog.resolve(request.model), chat.request.reasoning_effort)
        generation = ResponseGeneration(
            self, request, chat, layout, tools, given, records if store else None, effort
        )
        generation.conversation = Conversations(records.store), conversation_id(request.conversation)
        return generation

    async def _generate(
        self,
        wanted: ChatCompletionRequest,
        request: CreateResponseRequest,
        request_id: str,
        arrival: float | None,
        response_mode: str | None,
        identity: Identity,
    ) -> ChatCompletion:
        """Chat's run of the request, rate limited as chat's (the prompt's tokens + ``max_output_tokens``,
        taken once: a prompt too long for the context is refused before the limiter is asked).
        ``truncation: "auto"`` drops the oldest messages (keeping the instructions) until the prompt fits
        the context window, as OpenAI documents it: 1, 2, 4, ... at a time, so a long history is
        recounted a logarithmic number of times, never once per message."""
        drop = 1
        while True:
            try:
                return await self.chat.create(wanted, request_id, arrival, response_mode, identity=identity)
            except ContextLengthExceededError:
                messages = wanted.messages
                first = 1 if request.instructions else 0
                if request.truncation != "auto" or len(messages) - first <= 1:
                    raise
                del messages[first : min(first + drop, len(messages) - 1)]
                drop *= 2


def conversation_id(conversation: str | dict[str, Any] | None) -> str | None:
    """The ``conversation`` parameter's id (a string, or ``{"id": ...}``)."""
    if conversation is None or isinstance(conversation, str):
        return conversation
    found = conversation.get("id")
    if not isinstance(found, str):
        raise InvalidRequestError(
            "Missing required parameter: 'conversation.id'.",
            param="conversation.id",
            code="missing_required_parameter",
        )
    return found


def _check(request: CreateResponseRequest) -> None:
    if request.previous_response_id and request.conversation is not None:
        raise InvalidRequestError(
            "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or "
            "'conversation'.",
            param="conversation",
            code="mutually_exclusive_parameters",
        )
    if request.background and request.store is False:
        raise InvalidRequestError(
            "Background mode requires 'store' to be true.", param="background", code="invalid_value"
        )
    if request.stream_options is not None and not request.stream:
        raise InvalidRequestError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )


class ResponseGeneration:
    """One accepted response whose sequence runs on the engine (a ``Generation`` for api/serving.py)."""

    def __init__(
        self,
        service: ResponsesService,
        request: CreateResponseRequest,
        chat: ChatCompletion,
        layout: Layout,
        tools: ResponseTools,
        given: list[dict[str, Any]],
        records: Records | None,
        effort: str | None = None,
    ) -> None:
        self.service = service
        self.request = request
        self.chat = chat
        self.run: Run = chat.run
        self.layout = layout
        self.given = given
        self.records = records
        self.id = input_items.new_id("resp_")
        self.created_at = int(time.time())
        self.echo = _echo(request, effort, records is not None)
        #: The rate limit's ``x-ratelimit-*`` headers (chat's admission), when keys are configured.
        self.headers: dict[str, str] | None = chat.headers
        self._frames: ResponseFrames | None = None
        #: Where the turn's items are appended, if the request names a conversation.
        self.conversation: tuple[Conversations, str | None] | None = None

    @property
    def prompt_usage(self) -> tuple[int, int]:
        return self.chat.prompt_usage

    def snapshot(self, status: str, output: list[dict[str, Any]]) -> dict[str, Any]:
        """The response object in ``status`` with ``output``; terminal ones carry usage."""
        terminal = status in ("completed", "incomplete", "failed", "cancelled")
        body: dict[str, Any] = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            **self.echo,
            "output": output,
        }
        if status == "completed":
            body["completed_at"] = int(time.time())
        if status == "incomplete":
            body["incomplete_details"] = {"reason": "max_output_tokens"}
        if terminal:
            body["usage"] = self.usage()
        return body

    def usage(self) -> dict[str, Any]:
        completion = self.layout.completion
        generated = min(completion.output_tokens, self.run.streams[0].generated) if self.run.streams else 0
        reasoning = min(len(completion.reasoning), generated)
        prompt = self.chat.prompt.total
        return {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": self.run.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": generated,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": prompt + generated,
        }

    def output(self) -> list[dict[str, Any]]:
        """Every item of the finished run (the non-streaming answer)."""
        layout = self.layout
        total = layout.completion.output_tokens
        last = len(layout.segments) - 1
        incomplete = layout.completion.finish_reason == "length"
        samplers = self.chat.logprobs
        result = []
        for index, segment in enumerate(layout.segments):
            logprobs = None
            if samplers is not None and segment.kind == "message":
                logprobs = [samplers[0].token(piece) for piece in layout.answer(segment, total)]
            status = "incomplete" if incomplete and index == last else "completed"
            result.append(layout.item(segment, status, total, logprobs))
        return result

    @property
    def status(self) -> str:
        return "incomplete" if self.layout.completion.finish_reason == "length" else "completed"

    async def response(self) -> dict[str, Any]:
        try:
            await self.run.wait()
        finally:
            self.run.abort()
        body = _plain(self.snapshot(self.status, self.output()))
        await self.persist(body)
        return body

    async def persist(self, body: dict[str, Any]) -> None:
        """Store the finished response, and append its turn to its conversation."""
        if self.records is not None:
            await self.records.save(body, self.given)
        await self.append_turn(body)

    async def append_turn(self, body: dict[str, Any]) -> None:
        if self.conversation is not None and self.conversation[1] is not None:
            conversations, conversation = self.conversation
            await conversations.add(conversation, [*self.given, *body["output"]], normalized=True)

    def frames(self) -> ResponseFrames:
        """The stream's frames (one per generation: ``error_frame`` continues its sequence numbers)."""
        if self._frames is None:
            sampler = self.chat.logprobs[0] if self.chat.logprobs else None
            self._frames = ResponseFrames(self.run, self.layout, self.snapshot, sampler, self.finished)
        return self._frames

    def error_frame(self, exc: Exception) -> tuple[bytes, int]:
        """The Responses API's in-band ``error`` event for a failure once the stream has started."""
        if isinstance(exc, FakeAIError):
            code, message, param, status = exc.code or exc.type, exc.message, exc.param, exc.status
        else:
            log.error("error while streaming a response", exc_info=exc)
            code, message, param, status = (
                "server_error",
                "The server had an error while streaming your response.",
                None,
                500,
            )
        return self.frames().event("error", code=code, message=message, param=param), status

    def finished(self, body: dict[str, Any]) -> None:
        """A stream's last event went out: store what it said."""
        self.service.later(self.persist(_plain(body)))


def _plain(body: dict[str, Any]) -> dict[str, Any]:
    """Logprob structs as plain JSON (the store keeps JSON)."""
    return msgspec.json.decode(msgspec.json.encode(body))


def _echo(request: CreateResponseRequest, effort: str | None, store: bool) -> dict[str, Any]:
    """The request's settings as a response object repeats them."""
    fmt = request.text.format if request.text and request.text.format else {"type": "text"}
    verbosity = request.text.verbosity if request.text and request.text.verbosity else "medium"
    summary = None
    if request.reasoning is not None:
        summary = request.reasoning.summary or request.reasoning.generate_summary
    return {
        "background": bool(request.background),
        "error": None,
        "incomplete_details": None,
        "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "max_tool_calls": request.max_tool_calls,
        "model": request.model,
        "parallel_tool_calls": request.parallel_tool_calls is not False,
        "previous_response_id": request.previous_response_id,
        "conversation": {"id": conversation}
        if (conversation := conversation_id(request.conversation))
        else None,
        "reasoning": {"effort": effort, "summary": summary},
        "service_tier": "default",
        "store": store,
        "temperature": request.temperature if request.temperature is not None else 1.0,
        "text": {"format": fmt, "verbosity": verbosity},
        "tool_choice": request.tool_choice if request.tool_choice is not None else "auto",
        "tools": [_tool(t) for t in request.tools or ()],
        "top_logprobs": request.top_logprobs or 0,
        "top_p": request.top_p if request.top_p is not None else 1.0,
        "truncation": request.truncation or "disabled",
        "metadata": request.metadata or {},
        **({"user": request.user} if request.user is not None else {}),
    }


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool.get("type") == "function":
        return {"type": "function", "description": None, "parameters": None, "strict": None, **tool}
    return tool
