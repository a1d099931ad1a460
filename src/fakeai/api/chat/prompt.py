"""How many tokens a chat prompt costs, counted as OpenAI does.

Per message: 3 tokens of framing plus the tokens of its role, content and (1 + tokens of) name; 3 more prime
the reply (OpenAI's published recipe for GPT-3.5/4-class models). Tool definitions and tool calls count the
tokens of their JSON.
"""

from __future__ import annotations

import msgspec

from fakeai.api.chat.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    Content,
    RefusalPart,
    TextPart,
)
from fakeai.engine.tokenizer import Encoding

PER_MESSAGE = 3
PER_NAME = 1
REPLY_PRIMER = 3
#: Images, audio, files and video cost a flat amount for now (OpenAI's low-detail image price);
#: exact multimodal accounting is its own piece of work.
NON_TEXT_PART_TOKENS = 85


def content_text(content: Content | None) -> tuple[str, int]:
    """The text of a message's content and the number of non-text parts in it."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    texts: list[str] = []
    other = 0
    for part in content:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, RefusalPart):
            texts.append(part.refusal)
        else:
            other += 1
    return "\n".join(texts), other


def render(request: ChatCompletionRequest) -> list[str]:
    """The strings that make up the prompt, in order (used for counting and as the request's seed key)."""
    strings: list[str] = []
    for message in request.messages:
        strings.append(message.__struct_config__.tag)  # the role
        text, _ = content_text(message.content)
        strings.append(text)
        if isinstance(message, AssistantMessage):
            for call in message.tool_calls or ():
                strings.append(call.function.name)
                strings.append(call.function.arguments)
            if message.function_call is not None:
                strings.append(message.function_call.name)
                strings.append(message.function_call.arguments)
    return strings


def count_prompt_tokens(encoding: Encoding, request: ChatCompletionRequest) -> int:
    total = REPLY_PRIMER
    for message in request.messages:
        total += PER_MESSAGE + len(encoding.encode_ordinary(message.__struct_config__.tag))
        text, other = content_text(message.content)
        total += len(encoding.encode_ordinary(text)) + other * NON_TEXT_PART_TOKENS
        name = getattr(message, "name", None)
        if name:
            total += PER_NAME + len(encoding.encode_ordinary(name))
        if isinstance(message, AssistantMessage):
            for call in message.tool_calls or ():
                total += len(encoding.encode_ordinary(call.function.name + call.function.arguments))
            if message.function_call is not None:
                call = message.function_call
                total += len(encoding.encode_ordinary(call.name + call.arguments))
    definitions = request.tools or request.functions
    if definitions:
        total += len(encoding.encode_ordinary(msgspec.json.encode(definitions).decode()))
    return total
