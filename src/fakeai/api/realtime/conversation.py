"""A Realtime conversation: its items in order, and the chat request they amount to.

Items are kept as the JSON objects the API shows. Each user audio item also keeps its audio as a WAV
(never shown), so that chat's prompt accounting counts it as audio tokens by its duration and the same
audio is the same prefix for the engine's KV cache. The prompt of a response is the session's
instructions as a system message, then the items (chat/protocol.py messages), so a conversation's
responses share their prefix turn after turn.
"""

from __future__ import annotations

import base64
import io
import wave
from array import array
from typing import Any

from fakeai.api.chat import protocol as chat
from fakeai.api.realtime.config import new_id
from fakeai.errors import InvalidRequestError

#: Items a conversation keeps at most; older ones are dropped first (the API truncates too).
MAX_ITEMS = 1024


def wav_base64(samples: array, rate: int) -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return base64.b64encode(buffer.getvalue()).decode()


class Conversation:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.audio: dict[str, str] = {}  # item id -> WAV (base64) of its input audio

    @property
    def last_id(self) -> str | None:
        return next(reversed(self.items), None)

    def add(self, item: dict[str, Any], previous: str | None = "") -> str | None:
        """Insert after ``previous`` ("" for the end, None for the start); the id of the item before it."""
        if previous not in ("", None) and previous not in self.items:
            raise InvalidRequestError(
                f"Conversation item '{previous}' does not exist.",
                param="previous_item_id",
                code="item_not_found",
            )
        if item["id"] in self.items:
            raise InvalidRequestError(
                f"Conversation item '{item['id']}' already exists.", param="item.id", code="duplicate_item_id"
            )
        if previous == "":
            before = self.last_id
            self.items[item["id"]] = item
        else:
            entries = list(self.items.items())
            at = 0 if previous is None else [k for k, _ in entries].index(previous) + 1
            entries.insert(at, (item["id"], item))
            self.items = dict(entries)
            before = previous
        while len(self.items) > MAX_ITEMS:
            oldest = next(iter(self.items))
            self.delete(oldest)
        return before

    def get(self, item_id: Any) -> dict[str, Any]:
        item = self.items.get(item_id) if isinstance(item_id, str) else None
        if item is None:
            raise InvalidRequestError(
                f"Conversation item '{item_id}' does not exist.", param="item_id", code="item_not_found"
            )
        return item

    def delete(self, item_id: str) -> None:
        self.get(item_id)
        del self.items[item_id]
        self.audio.pop(item_id, None)


def client_item(given: Any) -> dict[str, Any]:
    """A ``conversation.item.create``'s item, checked and completed (id, object, status)."""
    if not isinstance(given, dict):
        raise InvalidRequestError("Invalid 'item': expected an object.", param="item", code="invalid_value")
    kind = given.get("type")
    item = {
        "id": given.get("id") or new_id("item_"),
        "object": "realtime.item",
        "status": "completed",
        **given,
    }
    item["id"] = item["id"] or new_id("item_")
    if kind == "message":
        role = given.get("role")
        if role not in ("user", "assistant", "system") or not isinstance(given.get("content"), list):
            raise InvalidRequestError(
                "Invalid 'item': a message needs a role (user, assistant or system) and a content array.",
                param="item.role",
                code="invalid_value",
            )
    elif kind == "function_call":
        if not isinstance(given.get("name"), str) or not isinstance(given.get("arguments", ""), str):
            raise InvalidRequestError(
                "Invalid 'item': a function call needs a name.", param="item.name", code="invalid_value"
            )
        item.setdefault("arguments", "")
        item.setdefault("call_id", new_id("call_"))
    elif kind == "function_call_output":
        if not isinstance(given.get("call_id"), str) or not isinstance(given.get("output"), str):
            raise InvalidRequestError(
                "Invalid 'item': a function call output needs a call_id and an output.",
                param="item.call_id",
                code="invalid_value",
            )
    else:
        raise InvalidRequestError(
            f"Invalid 'item.type': '{kind}'. Expected message, function_call or function_call_output.",
            param="item.type",
            code="invalid_value",
        )
    return item


def _text(content: list[dict[str, Any]]) -> str:
    return "\n".join(
        str(part.get("text") or part.get("transcript") or "")
        for part in content
        if isinstance(part, dict)
        and part.get("type") in ("input_text", "text", "output_text", "output_audio")
    )


def chat_messages(
    instructions: str, items: list[dict[str, Any]], audio: dict[str, str]
) -> list[chat.Message]:
    """The chat messages of a response's prompt: the instructions, then each item."""
    messages: list[chat.Message] = [chat.SystemMessage(instructions)] if instructions else []
    for item in items:
        kind = item.get("type")
        if kind == "function_call":
            call = chat.ToolCall(
                item.get("call_id", ""), chat.FunctionCall(item["name"], item.get("arguments", ""))
            )
            messages.append(chat.AssistantMessage(None, tool_calls=[call]))
        elif kind == "function_call_output":
            messages.append(chat.ToolMessage(item["output"], item["call_id"]))
        elif item.get("role") == "assistant":
            messages.append(chat.AssistantMessage(_text(item.get("content", []))))
        elif item.get("role") == "system":
            messages.append(chat.SystemMessage(_text(item.get("content", []))))
        else:
            parts: list[chat.ContentPart] = []
            text = _text(item.get("content", []))
            if text:
                parts.append(chat.TextPart(text))
            if item["id"] in audio:
                parts.append(chat.AudioPart(chat.InputAudio(audio[item["id"]], "wav")))
            messages.append(chat.UserMessage(parts))
    return messages
