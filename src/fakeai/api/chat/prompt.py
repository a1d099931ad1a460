"""How many tokens a chat prompt costs, counted as OpenAI does.

Per message: 3 tokens of framing plus the tokens of its role, content and (1 + tokens of) name; 3 more prime
the reply (OpenAI's published recipe for GPT-3.5/4-class models). Tool definitions and tool calls count the
tokens of their JSON.
"""

from __future__ import annotations

import hashlib

import msgspec

from fakeai.api.chat.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    Content,
    RefusalPart,
    TextPart,
)
from fakeai.engine.tokenizer import Encoding

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


#: Framing tokens of the chat template, as ids no vocabulary uses (only equality matters: they make equal
#: conversations give equal ids, which is what the engine's prefix cache hashes).
_START, _MESSAGE, _END, _REPLY_ROLE, _NAME = -1, -2, -3, -4, -5


def prompt_token_ids(encoding: Encoding, request: ChatCompletionRequest) -> list[int]:
    """The prompt as token ids, counted by OpenAI's recipe: ``len`` of it is ``prompt_tokens``.

    Each message is ``start, role, message, content, end`` (the 3 framing tokens); a name adds one token
    plus its own; the reply is primed with 3 more. A non-text part is ``NON_TEXT_PART_TOKENS`` ids derived
    from its content, so the same image twice is the same prefix.
    """
    encode = encoding.encode_ordinary
    ids: list[int] = []
    for message in request.messages:
        ids.append(_START)
        ids += encode(message.__struct_config__.tag)
        ids.append(_MESSAGE)
        content = message.content
        if isinstance(content, str):
            ids += encode(content)
        elif content is not None:
            text, _ = content_text(content)
            ids += encode(text)
            for part in content:
                if not isinstance(part, (TextPart, RefusalPart)):
                    ids += _part_ids(part)
        name = getattr(message, "name", None)
        if name:
            ids.append(_NAME)
            ids += encode(name)
        if isinstance(message, AssistantMessage):
            for call in message.tool_calls or ():
                ids += encode(call.function.name + call.function.arguments)
            if message.function_call is not None:
                ids += encode(message.function_call.name + message.function_call.arguments)
        ids.append(_END)
    definitions = request.tools or request.functions
    if definitions:
        ids += encode(msgspec.json.encode(definitions).decode())
    ids += (_START, _REPLY_ROLE, _MESSAGE)
    return ids


def _part_ids(part: object) -> list[int]:
    seed = int.from_bytes(hashlib.blake2b(msgspec.json.encode(part), digest_size=8).digest(), "big")
    return [hash((seed, i)) for i in range(NON_TEXT_PART_TOKENS)]
