"""A Realtime session's configuration: its GA shape, ``session.update`` (GA fields and the beta ones older
clients send), and what the rest of the session reads from it.

Kept as the JSON object the API shows (``session.created`` / ``session.updated`` send it as is); updates
are merged into it after validation, so a bad update changes nothing and is answered with an ``error``.
"""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from fakeai.content.pcm import BETA_FORMATS, FORMATS, AudioFormat
from fakeai.errors import InvalidRequestError

DEFAULT_INSTRUCTIONS = "You are a helpful, witty, and friendly AI. Keep your answers short."
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
SESSION_SECONDS = 3600  # how long a session (and an ephemeral key) lives, as OpenAI's do
SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
    "create_response": True,
    "interrupt_response": True,
}


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(15).replace("-", "x").replace("_", "y")[:20]


def default_session(model: str) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": new_id("sess_"),
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "expires_at": int(time.time()) + SESSION_SECONDS,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": dict(SERVER_VAD),
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
        },
    }


def shown(session: dict[str, Any]) -> dict[str, Any]:
    """The session as events show it: unset (None) settings left out, as OpenAI leaves them."""

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items() if v is not None or k == "tracing"}
        return value

    return prune(session)


def _invalid(message: str, param: str, code: str = "invalid_value") -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code=code)


def audio_format(value: Any, param: str) -> dict[str, Any]:
    """A format object (GA) or name (beta) as the GA object; 400 for anything else."""
    if isinstance(value, str) and value in BETA_FORMATS:
        value = {"type": BETA_FORMATS[value]}
    if not isinstance(value, dict) or value.get("type") not in FORMATS:
        raise _invalid(
            f"Invalid '{param}': supported formats are audio/pcm, audio/pcmu and audio/pcma.", param
        )
    kind = value["type"]
    rate = value.get("rate", FORMATS[kind].rate)
    if rate != FORMATS[kind].rate:
        raise _invalid(f"Invalid '{param}.rate': {kind} is only supported at {FORMATS[kind].rate} Hz.", param)
    return {"type": kind, "rate": rate} if kind == "audio/pcm" else {"type": kind}


def format_of(value: dict[str, Any]) -> AudioFormat:
    return FORMATS[value["type"]]


def _turn_detection(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in ("server_vad", "semantic_vad"):
        raise _invalid(
            "Invalid 'turn_detection.type': expected server_vad or semantic_vad.", "turn_detection"
        )
    threshold = value.get("threshold", 0.5)
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise _invalid("Invalid 'turn_detection.threshold': expected a number from 0 to 1.", "turn_detection")
    return {**SERVER_VAD, **value}


def _modalities(value: Any, param: str) -> list[str]:
    if not isinstance(value, list) or not value or any(m not in ("text", "audio") for m in value):
        raise _invalid(f"Invalid '{param}': expected ['text'] or ['audio'].", param)
    return ["audio"] if "audio" in value else ["text"]


def updated(session: dict[str, Any], update: Any) -> dict[str, Any]:
    """``session`` with ``update`` (a ``session.update``'s ``session``) applied; 400 naming the field."""
    if not isinstance(update, dict):
        raise _invalid("Invalid 'session': expected an object.", "session")
    result = copy.deepcopy(session)
    audio_in, audio_out = result["audio"]["input"], result["audio"]["output"]
    beta = {  # the beta API's flat fields, as their GA places
        "modalities": "output_modalities",
        "max_response_output_tokens": "max_output_tokens",
    }
    for key, value in update.items():
        key = beta.get(key, key)
        if key == "output_modalities":
            result[key] = _modalities(value, f"session.{key}")
        elif key in ("instructions",) and isinstance(value, str):
            result[key] = value
        elif key == "max_output_tokens":
            if value != "inf" and not (isinstance(value, int) and 1 <= value <= 4096):
                raise _invalid(
                    "Invalid 'max_output_tokens': expected 1 to 4096 or 'inf'.", "session.max_output_tokens"
                )
            result[key] = value
        elif key == "tools":
            result[key] = _tools(value)
        elif key in ("tool_choice", "tracing", "truncation", "prompt", "include", "temperature"):
            result[key] = value
        elif key == "voice" or key == "output_audio_format":
            if key == "voice":
                audio_out["voice"] = _voice(value)
            else:
                audio_out["format"] = audio_format(value, "session.output_audio_format")
        elif key == "input_audio_format":
            audio_in["format"] = audio_format(value, "session.input_audio_format")
        elif key == "input_audio_transcription":
            audio_in["transcription"] = value
        elif key == "turn_detection":
            audio_in["turn_detection"] = _turn_detection(value)
        elif key == "audio" and isinstance(value, dict):
            _audio(value, audio_in, audio_out)
    return result


def _audio(value: dict[str, Any], audio_in: dict[str, Any], audio_out: dict[str, Any]) -> None:
    given_in, given_out = value.get("input") or {}, value.get("output") or {}
    if "format" in given_in:
        audio_in["format"] = audio_format(given_in["format"], "session.audio.input.format")
    if "transcription" in given_in:
        audio_in["transcription"] = given_in["transcription"]
    if "noise_reduction" in given_in:
        audio_in["noise_reduction"] = given_in["noise_reduction"]
    if "turn_detection" in given_in:
        audio_in["turn_detection"] = _turn_detection(given_in["turn_detection"])
    if "format" in given_out:
        audio_out["format"] = audio_format(given_out["format"], "session.audio.output.format")
    if "voice" in given_out:
        audio_out["voice"] = _voice(given_out["voice"])
    if "speed" in given_out:
        audio_out["speed"] = given_out["speed"]


def _voice(value: Any) -> str:
    if value not in VOICES:
        raise _invalid(
            f"Invalid 'voice': supported voices are {', '.join(VOICES)}.", "session.audio.output.voice"
        )
    return value


def _tools(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _invalid("Invalid 'tools': expected an array.", "session.tools")
    for index, tool in enumerate(value):
        if not isinstance(tool, dict) or tool.get("type", "function") != "function" or not tool.get("name"):
            raise _invalid(
                f"Invalid 'tools[{index}]': expected a function tool with a name.", f"session.tools[{index}]"
            )
    return [{"type": "function", **tool} for tool in value]
