"""A Messages prompt as token ids, and Anthropic's prompt-cache usage from the engine's KV cache.

Counting is chat's (chat/prompt.py), with one change of order: the tool definitions come first, then the
conversation, as Anthropic lays out (and caches) a prompt: tools, system, messages. A conversation that
grows turn by turn then shares its prefix with the turn before, which the engine's prefix cache finds.

Usage follows Anthropic's rules. Only prefixes ending at a ``cache_control`` marker (a breakpoint) count
as cached, and only from ``MIN_CACHEABLE_TOKENS`` on. A breakpoint is a hit when the engine served its
whole prefix from the KV cache (to the last full block): ``cache_read_input_tokens`` is the longest hit,
``cache_creation_input_tokens`` what the last breakpoint adds beyond it (now written to the cache), and
``input_tokens`` the rest. The three add up to the prompt's tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from fakeai.api.chat.prompt import REPLY_PRIMING, PromptTokens, definition_ids, prompt_tokens
from fakeai.api.messages.translate import Breakpoint, Translation
from fakeai.catalog import ModelCard
from fakeai.engine.tokenizer import Encoding

#: Anthropic caches no prefix shorter than this (its minimum for Sonnet and Opus models).
MIN_CACHEABLE_TOKENS = 1024


@dataclass(slots=True)
class MessagesPrompt:
    ids: list[int]
    media: PromptTokens
    #: Token positions where a cached prefix ends, ascending, with the TTL of each.
    breakpoints: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.ids)


def count(encoding: Encoding, card: ModelCard, translation: Translation) -> MessagesPrompt:
    """Blocking for large inline media, as chat's ``prompt_tokens`` is (the service offloads those)."""
    request = translation.request
    tools = request.tools or []
    tool_ids = definition_ids(encoding, tools) if tools else []
    conversation = prompt_tokens(encoding, card, msgspec.structs.replace(request, tools=None))
    prompt = MessagesPrompt(tool_ids + conversation.ids, conversation)
    marks = []
    for mark in translation.breakpoints:
        marks.append((_position(encoding, card, translation, mark, len(tool_ids)), mark.ttl))
    prompt.breakpoints = sorted(set(marks))
    return prompt


def _position(
    encoding: Encoding, card: ModelCard, translation: Translation, mark: Breakpoint, tools: int
) -> int:
    request = translation.request
    if mark.tools:
        return len(definition_ids(encoding, (request.tools or [])[: mark.tools]))
    messages = list(request.messages[: mark.messages])
    if mark.parts and mark.messages < len(request.messages):
        message = request.messages[mark.messages]
        content = message.content
        partial = content[: mark.parts] if isinstance(content, list) else content
        messages.append(msgspec.structs.replace(message, content=partial))
    prefix = msgspec.structs.replace(request, tools=None, messages=messages)
    return tools + prompt_tokens(encoding, card, prefix).total - REPLY_PRIMING


@dataclass(frozen=True, slots=True)
class CacheUsage:
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    #: The creation tokens by TTL: (5-minute, 1-hour).
    creation_by_ttl: tuple[int, int] = (0, 0)

    def fields(self) -> dict[str, object]:
        five, hour = self.creation_by_ttl
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation": {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour},
        }


def cache_usage(prompt: MessagesPrompt, cached: int, block_size: int) -> CacheUsage:
    """``cached``: prompt tokens the engine served from its prefix cache (whole blocks of ``block_size``)."""
    marks = [(position, ttl) for position, ttl in prompt.breakpoints if position >= MIN_CACHEABLE_TOKENS]
    if not marks:
        return CacheUsage(prompt.total, 0, 0)
    read = max((p for p, _ in marks if cached >= p - p % block_size), default=0)
    last, ttl = marks[-1]
    created = max(last - read, 0)
    by_ttl = (created, 0) if ttl == "5m" else (0, created)
    return CacheUsage(prompt.total - read - created, created, read, by_ttl)
