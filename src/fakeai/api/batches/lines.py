"""A batch input file, line by line, checked as OpenAI's ``validating`` step does, and the output lines.

Each input line is ``{"custom_id", "method": "POST", "url": <the batch's endpoint>, "body": {...}}``; all
lines name one model. Problems are collected per line (1-based ``line``) as ``BatchError`` objects; any
fails the batch before a line runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import msgspec

#: OpenAI's cap on requests per batch, and on the errors listed in a failed batch.
MAX_LINES = 50_000
MAX_ERRORS = 1_000


@dataclass(slots=True)
class Line:
    number: int  # 1-based line of the input file
    custom_id: str
    body: bytes  # the request body, re-encoded JSON
    model: str | None


def _error(code: str, message: str, line: int | None, param: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "param": param, "line": line}


def parse(data: bytes, endpoint: str) -> tuple[list[Line], list[dict[str, Any]]]:
    """The file's requests and the validation errors (empty when the batch may run)."""
    lines: list[Line] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    model: str | None = None
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        if len(errors) >= MAX_ERRORS:
            break
        try:
            item = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            errors.append(_error("invalid_json_line", f"Line {number} is not valid JSON.", number))
            continue
        if not isinstance(item, dict):
            errors.append(_error("invalid_json_line", f"Line {number} is not a JSON object.", number))
            continue
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            errors.append(
                _error("missing_custom_id", f"Line {number} has no string custom_id.", number, "custom_id")
            )
            continue
        if custom_id in seen:
            errors.append(
                _error(
                    "duplicate_custom_id",
                    f"The custom_id {custom_id!r} of line {number} was used by an earlier line; each "
                    "request needs its own.",
                    number,
                    "custom_id",
                )
            )
            continue
        seen.add(custom_id)
        if item.get("method") != "POST":
            errors.append(
                _error("invalid_method", f"Line {number}: the method must be POST.", number, "method")
            )
            continue
        if item.get("url") != endpoint:
            errors.append(
                _error(
                    "mismatched_url",
                    f"Line {number}: the url {item.get('url')!r} is not the batch's endpoint {endpoint!r}.",
                    number,
                    "url",
                )
            )
            continue
        body = item.get("body")
        if not isinstance(body, dict):
            errors.append(_error("missing_body", f"Line {number} has no JSON object body.", number, "body"))
            continue
        line_model = body.get("model")
        if isinstance(line_model, str):
            if model is None:
                model = line_model
            elif line_model != model:
                errors.append(
                    _error(
                        "mismatched_model",
                        f"Line {number} uses model {line_model!r}, but the batch's earlier lines use "
                        f"{model!r}: a batch runs one model.",
                        number,
                        "body.model",
                    )
                )
                continue
        lines.append(Line(number, custom_id, msgspec.json.encode(body), line_model))
    if not lines and not errors:
        errors.append(_error("empty_file", "The input file has no requests.", None))
    if len(lines) > MAX_LINES:
        errors.append(
            _error(
                "too_many_requests", f"A batch holds at most {MAX_LINES} requests; got {len(lines)}.", None
            )
        )
    return lines, errors


def model_of(lines: list[Line]) -> str | None:
    return next((line.model for line in lines if line.model), None)


def output_line(
    custom_id: str,
    request_id: str,
    status: int,
    body: dict[str, Any] | None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One line of an output or error file, in OpenAI's format."""
    return {
        "id": "batch_req_" + secrets.token_hex(16),
        "custom_id": custom_id,
        "response": None if body is None else {"status_code": status, "request_id": request_id, "body": body},
        "error": error,
    }
