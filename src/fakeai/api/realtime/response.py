"""One Realtime response: the conversation as a chat prompt, the reply chat would give, run on the engine,
and its events as the engine emits each step.

The reply comes from chat's composition (chat/reply.py: prose, tool calls, response modes), laid out as
output items (api/layout.py): one assistant message, or one function call per tool call. Each engine step
sends the deltas of the tokens it emitted: ``output_text.delta`` per token, or for audio an
``output_audio_transcript.delta`` per token and one ``output_audio.delta`` with the step's audio (the
``Voice`` speaking those tokens, in the session's output format). A cancelled response (or a closed
socket) aborts its engine sequence at once.
"""

from __future__ import annotations

import asyncio
import base64
import random
from array import array
from collections.abc import Awaitable, Callable
from typing import Any

from fakeai.api.chat import protocol as chat
from fakeai.api.chat.modes import ResponseModes
from fakeai.api.chat.prompt import PromptTokens, prompt_tokens, render
from fakeai.api.chat.reply import Replies
from fakeai.api.generation import Run, choice_rngs, token_limit
from fakeai.api.layout import Block, blocks
from fakeai.api.realtime.config import format_of, new_id
from fakeai.api.realtime.conversation import chat_messages
from fakeai.content.media import audio_tokens
from fakeai.content.pcm import Voice
from fakeai.content.text import Completion
from fakeai.errors import FakeAIError
from fakeai.security.identity import ANONYMOUS, Identity
from fakeai.state import AppState

Send = Callable[[dict[str, Any]], Awaitable[None]]


def chat_tools(tools: list[dict[str, Any]]) -> list[chat.Tool] | None:
    if not tools:
        return None
    return [
        chat.Tool(chat.FunctionDefinition(t["name"], t.get("description"), t.get("parameters")))
        for t in tools
    ]


def chat_tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return choice


class RealtimeResponse:
    """A response being generated. ``start`` validates and submits; ``stream`` sends its events."""

    def __init__(
        self, state: AppState, modes: ResponseModes, fresh: random.Random, send: Send, voice: Voice
    ) -> None:
        self.state = state
        self.modes = modes
        self.fresh = fresh
        self.send = send
        self.voice = voice
        self.id = new_id("resp_")
        self.run: Run | None = None
        self.status, self.reason = "in_progress", None
        self.error: dict[str, Any] | None = None  # a failed response's: status_details.error
        self.output: list[dict[str, Any]] = []
        self.generated = 0
        self.audio_seconds = 0.0

    async def start(
        self,
        session: dict[str, Any],
        params: dict[str, Any],
        items: list[dict[str, Any]],
        audio: dict[str, str],
        request_id: str,
        identity: Identity = ANONYMOUS,
    ) -> None:
        """Compose the reply and start it on the engine. With rate limits configured, the response first
        takes one request and its estimate (prompt tokens + the output limit, as chat's) from the caller's
        buckets: ``RateLimitReached`` (or ``InsufficientQuota``) leaves it ``failed``, with nothing run."""
        state = self.state
        model = session["model"]
        card = state.catalog.resolve(model)
        self.modalities = (
            params.get("output_modalities") or params.get("modalities") or session["output_modalities"]
        )
        self.audio = "audio" in self.modalities
        output = session["audio"]["output"]
        self.format = format_of(
            (params.get("audio") or {}).get("output", {}).get("format") or output["format"]
        )
        instructions = params.get("instructions", session["instructions"])
        tools = params.get("tools", session["tools"])
        request = chat.ChatCompletionRequest(
            model=model,
            messages=chat_messages(instructions, items, audio) or [chat.UserMessage("")],
            tools=chat_tools(tools),
            tool_choice=chat_tool_choice(params.get("tool_choice", session["tool_choice"]))
            if tools
            else None,
        )
        encoding = await state.tokenizers.load(card.tokenizer)
        prose = await state.prose.load(card.tokenizer)
        self.prompt: PromptTokens = prompt_tokens(encoding, card, request)
        maximum = params.get(
            "max_output_tokens", params.get("max_response_output_tokens", session["max_output_tokens"])
        )
        requested = None if maximum == "inf" else maximum
        limit = token_limit(
            card,
            self.prompt.total,
            requested,
            "max_output_tokens",
            "input",
            None,
            state.settings.max_model_len,
        )
        (rng,) = choice_rngs(
            state.settings.seed,
            None,
            lambda: "\x1e".join((model, *render(request))),  # the text of the conversation, not its audio
            1,
            self.fresh,
        )
        mode = await self.modes.resolve(request, None)
        replies = Replies.for_request(
            request, encoding, prose, limit=limit, stop=None, effort=None, mode=mode
        )
        self.completion: Completion = replies.compose(rng)
        self.blocks = [b for b in blocks(self.completion) if b.kind != "thinking"]
        self.model = model
        self.voice_name = output["voice"]
        self.conversation = params.get("conversation", "auto")
        self.metadata = params.get("metadata")
        limiter = state.limiter
        if limiter is not None:
            limiter.admit(identity, model, self.prompt.total + (requested or limit))
        self.run = Run.start(state.engine, request_id, model, [self.prompt.ids], [self.completion], limit)
        self.speech = array("h")
        if self.audio and self.completion.kind == "content" and self.completion.pieces:
            # The whole reply is spoken once, off the loop; each step then sends the audio of its tokens.
            text = self.completion.text
            self.speech = await asyncio.to_thread(self.voice.speak, text, self.voice_name, self.format.rate)
            offsets = [0]
            for piece in self.completion.pieces:
                offsets.append(offsets[-1] + len(piece))
            self.offsets = offsets

    def envelope(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "object": "realtime.response",
            "id": self.id,
            "status": self.status,
            "status_details": None,
            "output": self.output,
            "conversation_id": None if self.conversation == "none" else "conv_" + self.id[5:],
            "output_modalities": self.modalities,
            "max_output_tokens": "inf",
            "audio": {"output": {"format": _shown_format(self.format), "voice": self.voice_name}},
            "usage": None,
            "metadata": self.metadata,
        }
        if self.status != "in_progress":
            body["status_details"] = (
                {"type": self.status, "reason": self.reason} if self.reason else {"type": self.status}
            )
            if self.error is not None:
                body["status_details"]["error"] = self.error
            body["usage"] = self.usage()
        return {k: v for k, v in body.items() if v is not None}

    def usage(self) -> dict[str, Any]:
        # Refused before it ran (a rate limit): nothing was processed.
        prompt = self.prompt if self.run is not None else PromptTokens()
        cached = self.run.cached_tokens if self.run else 0
        audio_out = audio_tokens(self.audio_seconds) if self.audio and self.audio_seconds else 0
        output = self.generated + audio_out
        return {
            "total_tokens": prompt.total + output,
            "input_tokens": prompt.total,
            "output_tokens": output,
            "input_token_details": {
                "text_tokens": prompt.total - prompt.audio,
                "audio_tokens": prompt.audio,
                "image_tokens": 0,
                "cached_tokens": cached,
                "cached_tokens_details": {"text_tokens": cached, "audio_tokens": 0, "image_tokens": 0},
            },
            "output_token_details": {"text_tokens": self.generated, "audio_tokens": audio_out},
        }

    def _ids(self, block: Block) -> dict[str, Any]:
        index = self.blocks.index(block)
        return {"response_id": self.id, "item_id": self.output[index]["id"], "output_index": index}

    async def stream(self) -> None:
        """Send the response's events as the engine emits its tokens, to ``response.done``."""
        run = self.run
        assert run is not None
        await self.send({"type": "response.created", "response": self.envelope()})
        while run.pending:
            await run.wakeup.wait()
            for _, start, stop, _finished in run.news():
                position = start
                while position < stop:
                    block = next((b for b in self.blocks if b.begin <= position < b.end), None)
                    if block is None:  # reasoning tokens: generated, never shown
                        position += 1
                        continue
                    if len(self.output) <= self.blocks.index(block):
                        await self._open(block)
                    end = min(stop, block.end)
                    await self._deltas(block, position, end)
                    position = end
                    if end == block.end:
                        await self._close(block)
                self.generated = stop - len(self.completion.reasoning)
        self.status = "incomplete" if self.completion.finish_reason == "length" else "completed"
        self.reason = "max_output_tokens" if self.status == "incomplete" else None
        await self.finish()

    async def fail(self, exc: FakeAIError) -> None:
        """Refused before it ran (``start`` raised a rate limit): created, then done as ``failed`` with the
        error in ``status_details``, as OpenAI ends a response its limits refuse."""
        await self.send({"type": "response.created", "response": self.envelope()})
        self.status = "failed"
        self.error = {"type": exc.type, "code": exc.code, "message": exc.message}
        await self.finish()

    async def finish(self) -> None:
        for item in self.output:
            if item["status"] == "in_progress":
                item["status"] = "incomplete"
        await self.send({"type": "response.done", "response": self.envelope()})

    async def _open(self, block: Block) -> None:
        if block.kind == "text":
            part = (
                {"type": "output_audio", "transcript": ""}
                if self.audio
                else {"type": "output_text", "text": ""}
            )
            item: dict[str, Any] = {
                "id": new_id("item_"),
                "object": "realtime.item",
                "type": "message",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
        else:
            call = block.call
            assert call is not None
            item = {
                "id": new_id("item_"),
                "object": "realtime.item",
                "type": "function_call",
                "status": "in_progress",
                "call_id": call.id,
                "name": call.name,
                "arguments": "",
            }
        self.output.append(item)
        ids = self._ids(block)
        await self.send(
            {
                "type": "response.output_item.added",
                "response_id": self.id,
                "output_index": ids["output_index"],
                "item": item,
            }
        )
        if self.conversation != "none":
            await self.send({"type": "conversation.item.added", "item": item})
        if block.kind == "text":
            item["content"].append(part)
            shown = {"type": "audio", "transcript": ""} if self.audio else {"type": "text", "text": ""}
            await self.send({"type": "response.content_part.added", **ids, "content_index": 0, "part": shown})

    async def _deltas(self, block: Block, start: int, stop: int) -> None:
        ids = self._ids(block)
        pieces = self.completion.pieces
        offset = len(self.completion.reasoning)
        new = [p for p in pieces[start - offset : stop - offset] if p]
        item = self.output[ids["output_index"]]
        if block.kind == "tool_use":
            call = block.call
            assert call is not None
            first = offset + call.start + call.name_tokens
            for piece in pieces[max(start, first) - offset : stop - offset]:
                item["arguments"] += piece
                await self.send(
                    {
                        "type": "response.function_call_arguments.delta",
                        **ids,
                        "call_id": call.id,
                        "delta": piece,
                    }
                )
            return
        part = item["content"][0]
        for piece in new:
            if self.audio:
                part["transcript"] += piece
                await self.send(
                    {
                        "type": "response.output_audio_transcript.delta",
                        **ids,
                        "content_index": 0,
                        "delta": piece,
                    }
                )
            else:
                part["text"] += piece
                await self.send(
                    {"type": "response.output_text.delta", **ids, "content_index": 0, "delta": piece}
                )
        if self.audio and new:
            samples = self._speech_of(start - offset, stop - offset)
            self.audio_seconds += len(samples) / self.format.rate
            chunk = base64.b64encode(self.format.encode(samples)).decode()
            await self.send(
                {"type": "response.output_audio.delta", **ids, "content_index": 0, "delta": chunk}
            )

    def _speech_of(self, first: int, last: int) -> array:
        """The reply's audio for pieces ``[first, last)``: its share by characters (the rest at the end)."""
        total, offsets = len(self.speech), self.offsets
        characters = offsets[-1] or 1
        begin = total * offsets[first] // characters
        end = total if last >= len(offsets) - 1 else total * offsets[last] // characters
        return self.speech[begin:end]

    async def _close(self, block: Block) -> None:
        ids = self._ids(block)
        item = self.output[ids["output_index"]]
        item["status"] = "completed"
        if block.kind == "tool_use":
            await self.send(
                {
                    "type": "response.function_call_arguments.done",
                    **ids,
                    "call_id": item["call_id"],
                    "name": item["name"],
                    "arguments": item["arguments"],
                }
            )
        else:
            part = item["content"][0]
            if self.audio:
                await self.send({"type": "response.output_audio.done", **ids, "content_index": 0})
                await self.send(
                    {
                        "type": "response.output_audio_transcript.done",
                        **ids,
                        "content_index": 0,
                        "transcript": part["transcript"],
                    }
                )
                shown = {"type": "audio", "transcript": part["transcript"]}
            else:
                await self.send(
                    {"type": "response.output_text.done", **ids, "content_index": 0, "text": part["text"]}
                )
                shown = {"type": "text", "text": part["text"]}
            await self.send({"type": "response.content_part.done", **ids, "content_index": 0, "part": shown})
        await self.send(
            {
                "type": "response.output_item.done",
                "response_id": self.id,
                "output_index": ids["output_index"],
                "item": item,
            }
        )
        if self.conversation != "none":
            await self.send({"type": "conversation.item.done", "item": item})


def _shown_format(audio_format: Any) -> dict[str, Any]:
    if audio_format.name == "audio/pcm":
        return {"type": "audio/pcm", "rate": audio_format.rate}
    return {"type": audio_format.name}
