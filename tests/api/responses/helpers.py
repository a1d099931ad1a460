"""Shared helpers of the Responses tests: raw streams as (event, payload) pairs, checked against the spec."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def events_of(text: str) -> list[dict[str, Any]]:
    """Every event of an SSE body; each frame's ``event:`` line must name its payload's ``type``."""
    events = []
    for frame in text.split("\n\n"):
        if not frame.strip():
            continue
        lines = dict(line.split(": ", 1) for line in frame.split("\n"))
        payload = json.loads(lines["data"])
        assert lines["event"] == payload["type"], frame
        events.append(payload)
    return events


def stream(http: TestClient, **body: Any) -> list[dict[str, Any]]:
    response = http.post("/v1/responses", json={"model": "gpt-4o", "stream": True, **body})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    events = events_of(response.text)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events
