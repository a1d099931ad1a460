"""Azure's content-filter annotations: ``prompt_filter_results`` and each choice's ``content_filter_results``.

Azure runs its content filters on every prompt and completion and reports the verdicts in the response.
Nothing here is filtered (the text is seeded prose), so every verdict is "safe", in Azure's exact shape:
clients that read these fields (or require them, as Azure-only SDK code paths do) find them.
"""

from __future__ import annotations

from typing import Any

import msgspec

_SAFE = {"filtered": False, "severity": "safe"}
PROMPT_FILTERS = {
    "hate": _SAFE, "jailbreak": {"filtered": False, "detected": False}, "self_harm": _SAFE,
    "sexual": _SAFE, "violence": _SAFE,
}  # fmt: skip
CONTENT_FILTERS = {
    "hate": _SAFE, "protected_material_code": {"filtered": False, "detected": False},
    "protected_material_text": {"filtered": False, "detected": False}, "self_harm": _SAFE,
    "sexual": _SAFE, "violence": _SAFE,
}  # fmt: skip

_encode = msgspec.json.encode
_CHOICE_KEY = b',"logprobs":'
#: Every choice of a chat or completion chunk has a ``logprobs`` key, once, outside any string (JSON
#: strings escape their quotes): the annotation goes just before it, with no decode per chunk.
_ANNOTATED_KEY = b',"content_filter_results":' + _encode(CONTENT_FILTERS) + _CHOICE_KEY


def prompt_results(prompts: int = 1) -> list[dict[str, Any]]:
    return [{"prompt_index": i, "content_filter_results": PROMPT_FILTERS} for i in range(prompts)]


def annotate_response(body: bytes) -> bytes:
    """A chat or completion response with Azure's filter results; other bodies unchanged."""
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body
    if not isinstance(value, dict) or not isinstance(value.get("choices"), list):
        return body
    value["prompt_filter_results"] = prompt_results()
    for choice in value["choices"]:
        if isinstance(choice, dict):
            choice["content_filter_results"] = CONTENT_FILTERS
    return _encode(value)


def prompt_event(kind: str) -> bytes:
    """The first event of an Azure stream: the prompt's verdicts, before any choice. Azure leaves its
    ``object`` empty; here it is the stream's ``kind``, so that strict clients validate it too."""
    chunk = {"choices": [], "created": 0, "id": "", "model": "", "object": kind}
    return b"data: " + _encode({**chunk, "prompt_filter_results": prompt_results()}) + b"\n\n"


def annotate_chunks(frames: bytes) -> bytes:
    """SSE frames of a chat or completion stream with each choice's filter results."""
    return frames.replace(_CHOICE_KEY, _ANNOTATED_KEY)
