"""Wire types of ``POST /v1/chat/completions`` requests (decoding and validation only).

Unknown fields are ignored, as vLLM does, so newer SDKs and other clients keep working. Ranges follow the
OpenAI API reference; violations become 400s with the field named in ``param`` (see server/decode.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from fakeai.api.params import GenerationParams, PositiveInt


class TextPart(Struct, tag_field="type", tag="text"):
    text: str


class ImageURL(Struct):
    url: str
    detail: Literal["auto", "low", "high"] = "auto"


class ImagePart(Struct, tag_field="type", tag="image_url"):
    image_url: ImageURL


class InputAudio(Struct):
    data: str
    format: str


class AudioPart(Struct, tag_field="type", tag="input_audio"):
    input_audio: InputAudio


class FileRef(Struct):
    file_id: str | None = None
    file_data: str | None = None
    filename: str | None = None


class FilePart(Struct, tag_field="type", tag="file"):
    file: FileRef


class VideoURL(Struct):
    url: str


class VideoPart(Struct, tag_field="type", tag="video_url"):
    video_url: VideoURL


class RefusalPart(Struct, tag_field="type", tag="refusal"):
    refusal: str


ContentPart = TextPart | ImagePart | AudioPart | FilePart | VideoPart | RefusalPart
Content = str | list[ContentPart]


class FunctionCall(Struct):
    name: str
    arguments: str


class ToolCall(Struct):
    id: str
    function: FunctionCall
    type: str = "function"


class _Message(Struct, tag_field="role"):
    pass


class SystemMessage(_Message, tag="system"):
    content: Content
    name: str | None = None


class DeveloperMessage(_Message, tag="developer"):
    content: Content
    name: str | None = None


class UserMessage(_Message, tag="user"):
    content: Content
    name: str | None = None


class AssistantMessage(_Message, tag="assistant"):
    content: Content | None = None
    name: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None


class ToolMessage(_Message, tag="tool"):
    content: Content
    tool_call_id: str


class FunctionMessage(_Message, tag="function"):
    content: str | None
    name: str


Message = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage


class FunctionDefinition(Struct):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(Struct):
    function: FunctionDefinition
    type: str = "function"


class ChatCompletionRequest(GenerationParams, kw_only=True):
    model: str
    messages: Annotated[list[Message], Meta(min_length=1)]
    max_tokens: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Meta(ge=0, le=20)] | None = None
    metadata: Annotated[dict[str, Annotated[str, Meta(max_length=512)]], Meta(max_length=16)] | None = None
    tools: list[Tool] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    functions: list[FunctionDefinition] | None = None
    function_call: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    service_tier: str | None = None
    store: bool | None = None
