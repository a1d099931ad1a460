"""How many tokens a chat prompt costs, counted as OpenAI does.

Per message: 3 tokens of framing plus the tokens of its role, content and (1 + tokens of) name; 3 more prime
the reply (OpenAI's published recipe for GPT-3.5/4-class models). Tool definitions and tool calls count the
tokens of their JSON. Images, audio, PDF files and video count by content/images.py and content/media.py,
and only on models with the matching capability.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import msgspec

from fakeai.api.chat.protocol import (
    AssistantMessage,
    AudioPart,
    ChatCompletionRequest,
    Content,
    ContentPart,
    FilePart,
    ImagePart,
    RefusalPart,
    TextPart,
    VideoPart,
)
from fakeai.catalog import ModelCard, TileCost
from fakeai.content.data_url import MediaError, digest
from fakeai.content.images import image_size, patch_tokens, tile_tokens
from fakeai.content.media import (
    PDF_PAGE_SIZE,
    PDF_TEXT_TOKENS_PER_PAGE,
    audio_seconds,
    audio_tokens,
    pdf_pages,
    video_tokens,
)
from fakeai.engine.tokenizer import Encoding
from fakeai.errors import InvalidRequestError

#: The capability a model needs for each kind of non-text part (PDFs reach the model as page images).
_NEEDS = {ImagePart: "vision", FilePart: "vision", AudioPart: "audio", VideoPart: "video"}
_PART_TYPE = {ImagePart: "image_url", FilePart: "file", AudioPart: "input_audio", VideoPart: "video_url"}


@dataclass(slots=True, frozen=True)
class Media:
    """One non-text part: its cost in tokens and its identity (same input, same ``digest``)."""

    kind: str  # "image", "audio", "file" or "video"
    tokens: int
    digest: str

    def ids(self) -> list[int]:
        """``tokens`` ids derived from the digest, so the same image twice is the same prefix. Negative, as
        the framing ids are: no vocabulary uses them (below the framing's -1 to -5)."""
        seed = int.from_bytes(hashlib.blake2b(self.digest.encode(), digest_size=8).digest(), "big")
        return [-16 - (hash((seed, i)) & 0xFFFF_FFFF_FFFF) for i in range(self.tokens)]


@dataclass(slots=True)
class PromptTokens:
    """A chat prompt as token ids (``len`` is ``prompt_tokens``), and its media parts, in order."""

    ids: list[int] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.ids)

    @property
    def audio(self) -> int:
        return sum(m.tokens for m in self.media if m.kind == "audio")


def content_text(content: Content | None) -> str:
    """The text of a message's content (text and refusal parts, one per line)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(
        part.text if isinstance(part, TextPart) else part.refusal
        for part in content
        if isinstance(part, TextPart | RefusalPart)
    )


def render(request: ChatCompletionRequest) -> list[str]:
    """The strings that make up the prompt, in order (used for counting and as the request's seed key)."""
    strings: list[str] = []
    for message in request.messages:
        strings.append(message.__struct_config__.tag)  # the role
        strings.append(content_text(message.content))
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
#: ``start, role, message`` per encoding name and role: the roles are few, so each is encoded once.
_HEADS: dict[str, dict[str, list[int]]] = {}


def prompt_tokens(encoding: Encoding, card: ModelCard, request: ChatCompletionRequest) -> PromptTokens:
    """The prompt as token ids, counted by OpenAI's recipe; 400 for media the model cannot take or the
    server cannot read.

    Each message is ``start, role, message, content, end`` (the 3 framing tokens); a name adds one token
    plus its own; the reply is primed with 3 more. A non-text part is ``Media.ids()``. Blocking for large
    inline media (a PDF is decoded to count its pages): see ``inline_media_chars``.
    """
    encode = encoding.encode_ordinary
    heads = _HEADS.get(encoding.name) or _HEADS.setdefault(encoding.name, {})
    prompt = PromptTokens()
    ids = prompt.ids
    for i, message in enumerate(request.messages):
        role = message.__struct_config__.tag
        head = heads.get(role)
        if head is None:
            head = heads[role] = [_START, *encode(role), _MESSAGE]
        ids += head
        content = message.content
        ids += encode(content if isinstance(content, str) else content_text(content))
        if isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, TextPart | RefusalPart):
                    media = _media(card, part, f"messages[{i}].content[{j}]")
                    prompt.media.append(media)
                    ids += media.ids()
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
        ids += definition_ids(encoding, definitions)
    ids += (_START, _REPLY_ROLE, _MESSAGE)
    return prompt


#: The tokens that prime the reply after the last message (``prompt_tokens`` ends with them).
REPLY_PRIMING = 3


def definition_ids(encoding: Encoding, definitions: object) -> list[int]:
    """The tokens of tool definitions: those of their JSON (any msgspec-encodable value)."""
    return encoding.encode_ordinary(msgspec.json.encode(definitions).decode())


def inline_media_chars(request: ChatCompletionRequest) -> int:
    """Characters of inline (base64) media in the request: the service counts big ones off the loop."""
    total = 0
    for message in request.messages:
        for part in message.content if isinstance(message.content, list) else ():
            if isinstance(part, ImagePart):
                total += len(part.image_url.url)
            elif isinstance(part, AudioPart):
                total += len(part.input_audio.data)
            elif isinstance(part, FilePart):
                total += len(part.file.file_data or "")
            elif isinstance(part, VideoPart):
                total += len(part.video_url.url)
    return total


def _media(card: ModelCard, part: ContentPart, param: str) -> Media:
    kind = type(part)
    if _NEEDS[kind] not in card.capabilities:
        raise InvalidRequestError(
            f"Invalid content type. {_PART_TYPE[kind]} is not supported by the model {card.id}.",
            param=param,
            code="invalid_value",
        )
    try:
        return _measure(card, part)
    except MediaError as exc:
        raise InvalidRequestError(str(exc), param=param, code="invalid_value") from None


def _measure(card: ModelCard, part: ContentPart) -> Media:
    if isinstance(part, ImagePart):
        url, detail = part.image_url.url, part.image_url.detail
        return Media("image", _image_tokens(card, *image_size(url), detail), digest(detail, url))
    if isinstance(part, AudioPart):
        audio = part.input_audio
        tokens = audio_tokens(audio_seconds(audio.data, audio.format))
        return Media("audio", tokens, digest(audio.format, audio.data))
    if isinstance(part, FilePart):
        ref = part.file
        pages = pdf_pages(ref.file_data, ref.filename)
        page = PDF_TEXT_TOKENS_PER_PAGE + _image_tokens(card, *PDF_PAGE_SIZE, "high")
        return Media("file", pages * page, digest(ref.file_id or "", ref.file_data or ""))
    assert isinstance(part, VideoPart)
    return Media("video", video_tokens(part.video_url.url), digest(part.video_url.url))


def _image_tokens(card: ModelCard, width: int, height: int, detail: str) -> int:
    cost = card.image_cost
    if isinstance(cost, TileCost):
        return tile_tokens(width, height, detail, cost.base, cost.tile)
    return patch_tokens(width, height, cost.multiplier, cost.max_patches)
