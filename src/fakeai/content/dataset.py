"""Recorded replies: a JSONL file of conversations (``{"messages": [...]}`` per line).

Every assistant message in a conversation is the reply to the messages before it. A request whose
messages equal such a prefix (same roles and texts, same tool calls) gets that reply. The prefix is
matched by a hash, so lookups cost one pass over the request's messages.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordedReply:
    content: str | None
    refusal: str | None
    tool_calls: tuple[tuple[str, str], ...]  # (name, arguments JSON)


def prompt_key(messages: list[dict[str, Any]]) -> str:
    """A digest of what identifies a conversation: each message's role, text and tool calls."""
    digest = hashlib.blake2b(digest_size=16)
    for message in messages:
        digest.update(str(message.get("role")).encode() + b"\x1f" + _text(message.get("content")).encode())
        for name, arguments in _calls(message):
            digest.update(b"\x1e" + name.encode() + b"\x1f" + arguments.encode())
        digest.update(b"\x1d")
    return digest.hexdigest()


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text") or p.get("refusal") or "" for p in content if isinstance(p, dict))
    return ""


def _calls(message: dict[str, Any]) -> list[tuple[str, str]]:
    calls = [c.get("function") or {} for c in message.get("tool_calls") or ()]
    if message.get("function_call"):
        calls.append(message["function_call"])
    result = []
    for call in calls:
        arguments = call.get("arguments", "{}")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        result.append((str(call.get("name")), arguments))
    return result


def load_dataset(path: Path) -> dict[str, RecordedReply]:
    """Index a JSONL file. Raises ValueError naming the bad line. A repeated prefix keeps its first reply."""
    index: dict[str, RecordedReply] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                messages = json.loads(line)["messages"]
                assert isinstance(messages, list) and all(isinstance(m, dict) for m in messages)
            except (ValueError, KeyError, TypeError, AssertionError):
                raise ValueError(f"{path}:{number}: expected an object with a 'messages' list") from None
            for position, message in enumerate(messages):
                if message.get("role") != "assistant" or position == 0:
                    continue
                reply = RecordedReply(
                    message.get("content") if isinstance(message.get("content"), str) else None,
                    message.get("refusal"),
                    tuple(_calls(message)),
                )
                index.setdefault(prompt_key(messages[:position]), reply)
    return index
