"""The Realtime WebSocket: text and audio turns, server VAD, tools, cancel, items, formats and errors."""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from fakeai.content.pcm import FORMATS, heard, is_speech, rms
from tests.api.realtime.helpers import Session, chunks, encoded, speech
from tests.contract.spec import Spec, response_hook

TEXT_ONLY = {"type": "realtime", "output_modalities": ["text"], "audio": {"input": {"turn_detection": None}}}
SAID = "Hello there, how are you?"
HELLO = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello there"}]}


@pytest.fixture
def http(
    make_app: Callable[..., Starlette], optional_spec: Spec | None, validated: list
) -> Iterator[TestClient]:
    """A seeded app; HTTP bodies (client secrets, sessions) are checked against the spec."""
    with TestClient(make_app(seed=5)) as client:
        if optional_spec is not None:
            client.event_hooks["response"] = [response_hook(optional_spec, validated)]
        yield client


@pytest.fixture
def session(http: TestClient, optional_spec: Spec | None) -> Iterator[Session]:
    with http.websocket_connect("/v1/realtime?model=gpt-realtime") as websocket:
        opened = Session(websocket, optional_spec)
        created = opened.receive()
        assert created["type"] == "session.created" and created["session"]["model"] == "gpt-realtime"
        yield opened


def running(app: Starlette) -> int:
    return sum(sum(s.running.values()) + sum(s.waiting.values()) for s in app.state.fakeai.engine.snapshots())


def _text_turn(session: Session) -> list[dict]:
    session.send(type="session.update", session=TEXT_ONLY)
    assert session.receive()["type"] == "session.updated"
    session.send(type="conversation.item.create", item=HELLO)
    assert [e["type"] for e in session.until("conversation.item.done")] == [
        "conversation.item.added",
        "conversation.item.done",
    ]
    session.send(type="response.create")
    return session.until("response.done")


def test_a_text_turn(session: Session) -> None:
    events = _text_turn(session)
    kinds = [e["type"] for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert kinds[-5:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    done = events[-1]["response"]
    text = done["output"][0]["content"][0]["text"]
    assert "".join(deltas) == text and done["status"] == "completed"
    usage = done["usage"]
    assert usage["output_token_details"]["text_tokens"] == len(deltas) == usage["output_tokens"]
    assert (
        usage["input_tokens"] > 0 and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    )
    assert session.receive()["type"] == "rate_limits.updated"
    # The reply joined the conversation: the next turn's prompt holds it, and its prefix is cached.
    session.send(type="conversation.item.create", item=HELLO)
    session.until("conversation.item.done")
    session.send(type="response.create")
    again = session.until("response.done")[-1]["response"]["usage"]
    assert again["input_tokens"] > usage["input_tokens"] + len(deltas)
    assert again["input_token_details"]["cached_tokens"] > 0


def test_an_audio_turn_with_server_vad_and_transcription(session: Session) -> None:
    session.send(
        type="session.update", session={"audio": {"input": {"transcription": {"model": "whisper-1"}}}}
    )
    session.receive()
    for audio in chunks(speech(SAID)):
        session.send(type="input_audio_buffer.append", audio=audio)
    events = session.until("response.done")
    kinds = [e["type"] for e in events]
    started, stopped = (
        events[kinds.index("input_audio_buffer.speech_started")],
        events[kinds.index("input_audio_buffer.speech_stopped")],
    )
    spoken_ms = len(speech(SAID, silence_s=0)) * 1000 // 48_000
    # speech ends before the clip does: its closing pause at "?" and the edge (content/speech.py)
    assert started["audio_start_ms"] == 0 and spoken_ms - 600 < stopped["audio_end_ms"] <= spoken_ms
    committed = events[kinds.index("input_audio_buffer.committed")]
    assert committed["item_id"] == started["item_id"] == stopped["item_id"]
    transcript = events[kinds.index("conversation.item.input_audio_transcription.completed")]
    assert transcript["transcript"] == SAID and transcript["usage"]["type"] == "duration"  # FakeAI's speech
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    words = "".join(e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta")
    done = events[-1]["response"]
    assert done["output"][0]["content"][0] == {"type": "output_audio", "transcript": words}
    samples = array("h")
    samples.frombytes(audio)
    assert len(samples) > 24_000 and is_speech(rms(samples), 0.5)  # real audio, with speech's energy
    assert heard(samples, 24_000) == words  # and it says the transcript
    usage = done["usage"]
    assert (
        usage["input_token_details"]["audio_tokens"] > 0 and usage["output_token_details"]["audio_tokens"] > 0
    )


def test_g711_in_and_out(session: Session) -> None:
    session.send(
        type="session.update",
        session={
            "audio": {
                "input": {"format": {"type": "audio/pcmu"}},
                "output": {"format": {"type": "audio/pcma"}},
            },
        },
    )
    assert session.receive()["session"]["audio"]["output"]["format"] == {"type": "audio/pcma"}
    for audio in chunks(encoded(speech("Good morning.", rate=8000), "audio/pcmu"), 3200):
        session.send(type="input_audio_buffer.append", audio=audio)
    events = session.until("response.done")
    audio = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    pcm = FORMATS["audio/pcma"].decode(audio)
    seconds = len(audio) / 8000  # one byte per sample at 8 kHz
    assert seconds > 1 and is_speech(rms(pcm), 0.5)


def test_function_calls_and_their_output(session: Session) -> None:
    tool = {
        "type": "function",
        "name": "get_weather",
        "description": "Weather forecast for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    session.send(type="session.update", session={**TEXT_ONLY, "tools": [tool]})
    session.receive()
    ask = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "Weather in Lisbon?"}],
    }
    session.send(type="conversation.item.create", item=ask)
    session.until("conversation.item.done")
    session.send(type="response.create")
    events = session.until("response.done")
    done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta")
    assert (
        done["name"] == "get_weather"
        and json.loads(done["arguments"]) == {"city": "Lisbon"}
        and deltas == done["arguments"]
    )
    output = {"type": "function_call_output", "call_id": done["call_id"], "output": '{"temperature": 21}'}
    session.send(type="conversation.item.create", item=output)
    session.until("conversation.item.done")
    session.send(type="response.create")
    reply = session.until("response.done")[-1]["response"]["output"][0]
    assert reply["type"] == "message"  # the loop ends with an answer


def test_cancel_and_a_second_response_while_one_runs(
    make_app: Callable[..., Starlette], optional_spec: Spec | None
) -> None:
    app = make_app(ttft_ms=0, itl_ms=50)
    with TestClient(app) as http, http.websocket_connect("/v1/realtime") as websocket:
        session = Session(websocket, optional_spec)
        session.receive()
        session.send(type="session.update", session=TEXT_ONLY)
        session.receive()
        session.send(type="conversation.item.create", item=HELLO)
        session.until("conversation.item.done")
        session.send(type="response.create")
        session.until("response.output_text.delta")
        session.send(type="response.create", event_id="evt_second")
        error = session.until("error")[-1]["error"]
        assert (
            error["code"] == "conversation_already_has_active_response" and error["event_id"] == "evt_second"
        )
        session.send(type="response.cancel")
        done = session.until("response.done")[-1]["response"]
        assert done["status"] == "cancelled" and done["status_details"]["reason"] == "client_cancelled"
        assert running(app) == 0  # the cancelled response's sequence is gone from the engine
        session.send(type="response.cancel")
        assert session.until("error")[-1]["error"]["code"] == "response_cancel_not_active"


def test_items_retrieve_delete_truncate(session: Session) -> None:
    session.send(type="conversation.item.create", item={**HELLO, "id": "item_mine"})
    added = session.until("conversation.item.done")[0]
    assert added["item"]["id"] == "item_mine" and added["previous_item_id"] is None
    session.send(type="conversation.item.create", item=HELLO, previous_item_id="root")
    assert session.until("conversation.item.done")[0]["previous_item_id"] is None
    session.send(type="conversation.item.retrieve", item_id="item_mine")
    assert session.receive()["item"]["content"][0]["text"] == "Hello there"
    session.send(type="conversation.item.delete", item_id="item_mine")
    assert session.receive() | {"event_id": None} == {
        "type": "conversation.item.deleted",
        "item_id": "item_mine",
        "event_id": None,
    }
    session.send(type="conversation.item.retrieve", item_id="item_mine", event_id="evt_1")
    error = session.receive()["error"]
    assert error["code"] == "item_not_found" and error["event_id"] == "evt_1"
    session.send(type="conversation.item.truncate", item_id="nope", content_index=0, audio_end_ms=10)
    assert session.receive()["error"]["code"] == "item_not_found"


def test_bad_events_are_error_events(session: Session) -> None:
    session.websocket.send_text("{not json")
    assert session.receive()["error"]["code"] == "invalid_json"
    session.send(type="nothing.here")
    assert session.receive()["error"]["param"] == "type"
    session.send(type="input_audio_buffer.commit")
    assert session.receive()["error"]["code"] == "input_audio_buffer_commit_empty"
    session.send(type="input_audio_buffer.append", audio="%%%")
    assert session.receive()["error"]["param"] == "audio"
    session.send(type="session.update", session={"audio": {"output": {"voice": "nobody"}}})
    assert session.receive()["error"]["type"] == "invalid_request_error"
    session.send(type="input_audio_buffer.append", audio=base64.b64encode(bytes(4800)).decode())
    session.send(type="input_audio_buffer.clear")
    assert session.receive()["type"] == "input_audio_buffer.cleared"  # silence: no VAD event before it


def test_beta_clients_get_beta_event_names(http: TestClient) -> None:
    headers = {"openai-beta": "realtime=v1"}
    with http.websocket_connect("/v1/realtime?model=gpt-4o-realtime-preview", headers=headers) as websocket:
        session = Session(websocket, None)  # the beta names are not in the pinned (GA) spec
        session.receive()
        session.send(
            type="session.update",
            session={"modalities": ["text"], "turn_detection": None, "input_audio_format": "g711_ulaw"},
        )
        updated = session.receive()["session"]
        assert updated["output_modalities"] == ["text"] and updated["audio"]["input"]["format"] == {
            "type": "audio/pcmu"
        }
        session.send(type="conversation.item.create", item=HELLO)
        assert session.receive()["type"] == "conversation.item.created"
        session.send(type="response.create")
        kinds = {e["type"] for e in session.until("response.done")}
        assert "response.text.delta" in kinds and "response.text.done" in kinds
        assert not any(k.startswith("response.output_text") for k in kinds)


def test_client_secrets_and_sessions(http: TestClient, optional_spec: Spec | None, validated: list) -> None:
    secret = http.post(
        "/v1/realtime/client_secrets",
        json={"session": {"type": "realtime", "model": "gpt-realtime", "instructions": "Be brief."}},
    )
    assert secret.status_code == 200
    body = secret.json()
    assert body["value"].startswith("ek_") and body["session"]["instructions"] == "Be brief."
    beta = http.post("/v1/realtime/sessions", json={"model": "gpt-4o-realtime-preview", "voice": "verse"})
    assert beta.status_code == 200 and beta.json()["client_secret"]["value"].startswith("ek_")
    transcription = http.post("/v1/realtime/transcription_sessions", json={})
    assert transcription.status_code == 200 and transcription.json()["type"] == "transcription"
    bad = http.post(
        "/v1/realtime/client_secrets", json={"session": {"audio": {"output": {"voice": "nobody"}}}}
    )
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    if optional_spec is not None:
        optional_spec.validate("RealtimeCreateClientSecretResponse", body)
        assert len(validated) >= 3  # the three 200 bodies, by the response hook
