"""Hand-written minimal bodies for the validator's tests (the spec's own examples are unreliable: 177 of
664 fail its schemas)."""

from __future__ import annotations

import json
from typing import Any

CHAT = "CreateChatCompletionResponse"
CHUNK = "CreateChatCompletionStreamResponse"


def chat_body() -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello", "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


def chunk_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None, "logprobs": None}],
    }
    body.update(overrides)
    return body


ERROR = {"error": {"message": "boom", "type": "invalid_request_error", "param": None, "code": None}}


def sse(*payloads: object, done: bool = True) -> bytes:
    frames = [f"data: {json.dumps(p)}\n\n" for p in payloads] + (["data: [DONE]\n\n"] if done else [])
    return "".join(frames).encode()


def response_body() -> dict[str, Any]:
    text = {"type": "output_text", "text": "Hello", "annotations": [], "logprobs": []}
    message = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [text],
    }
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": "m",
        "output": [message],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
        "usage": {
            "input_tokens": 1,
            "output_tokens": 1,
            "total_tokens": 2,
            # cache_write_tokens is required by this spec version, next to cached_tokens.
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


TEXT_DELTA = {
    "type": "response.output_text.delta",
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hel",
    "sequence_number": 3,
    "logprobs": [],
}
