"""A Realtime session over Starlette's test WebSocket, every server event checked against the spec."""

from __future__ import annotations

import base64
import json
from typing import Any

from fakeai.content.pcm import FORMATS, SpeechVoice
from tests.contract.spec import Spec

#: Server events the pinned spec has no schema for (left unchecked): none so far.
UNDOCUMENTED: frozenset[str] = frozenset()


class Session:
    def __init__(self, websocket: Any, spec: Spec | None) -> None:
        self.websocket = websocket
        self.spec = spec
        self.seen: list[dict[str, Any]] = []

    def send(self, **event: Any) -> None:
        self.websocket.send_text(json.dumps(event))

    def receive(self) -> dict[str, Any]:
        event = json.loads(self.websocket.receive_text())
        assert event["event_id"].startswith("event_")
        if self.spec is not None and event["type"] not in UNDOCUMENTED:
            self.spec.validate("RealtimeServerEvent", event, event["type"])
        self.seen.append(event)
        return event

    def until(self, kind: str) -> list[dict[str, Any]]:
        """Events up to and including the next of type ``kind`` (an error event fails the test)."""
        events = []
        while True:
            event = self.receive()
            events.append(event)
            if event["type"] == kind:
                return events
            assert event["type"] != "error", event


def speech(text: str, rate: int = 24_000, silence_s: float = 0.8) -> bytes:
    """PCM16 of FakeAI's speech saying ``text``, then ``silence_s`` of silence."""
    return SpeechVoice().speak(text, "alloy", rate).tobytes() + bytes(int(rate * silence_s) * 2)


def encoded(pcm: bytes, kind: str) -> bytes:
    from array import array

    samples = array("h")
    samples.frombytes(pcm)
    return FORMATS[kind].encode(samples)


def chunks(data: bytes, size: int = 9600) -> list[str]:
    return [base64.b64encode(data[i : i + size]).decode() for i in range(0, len(data), size)]
