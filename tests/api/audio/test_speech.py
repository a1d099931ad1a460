"""Speech through the official SDK: every format decodes with FFmpeg to sound of plausible duration, speed
shortens it, every voice speaks, SSE events carry the same file, and bad options get OpenAI's 400s."""

from __future__ import annotations

import base64
import io
import json
import wave

import av
import numpy as np
import openai
import pytest
from openai import OpenAI

from fakeai.content import sound, speech

TEXT = "The weather today is mild, with a light breeze from the west and clear skies by evening."


def decoded_seconds(data: bytes, fmt: str) -> tuple[float, float]:
    """(duration, RMS level) of a speech file, read by FFmpeg (raw pcm: by its definition)."""
    if fmt == "pcm":
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768
        return len(samples) / 24_000, float(np.sqrt(np.mean(samples**2)))
    with av.open(io.BytesIO(data)) as container:
        blocks = [frame.to_ndarray().astype(np.float32).reshape(-1) for frame in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    samples = np.concatenate(blocks)
    if np.abs(samples).max() > 1.5:  # integer sample formats
        samples = samples / 32768
    return len(samples) / rate, float(np.sqrt(np.mean(samples**2)))


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_every_format_decodes_to_sound_of_plausible_duration(shared: OpenAI, fmt: str) -> None:
    response = shared.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format=fmt)
    seconds, level = decoded_seconds(response.content, fmt)
    # About 14 characters per second at speed 1, as people (and OpenAI's voices) speak.
    assert len(TEXT) / 20 < seconds < len(TEXT) / 9
    assert level > 0.02  # sound, not silence
    if fmt == "wav":
        with wave.open(io.BytesIO(response.content)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (24_000, 1, 2)


def test_speed_shortens_and_longer_text_lengthens(shared: OpenAI) -> None:
    def seconds(text: str, speed: float) -> float:
        data = shared.audio.speech.create(
            model="tts-1-hd", voice="onyx", input=text, response_format="pcm", speed=speed
        ).content
        return len(data) / 48_000

    normal = seconds(TEXT, 1.0)
    assert 0.4 < seconds(TEXT, 2.0) / normal < 0.65
    assert 1.7 < seconds(TEXT + " " + TEXT, 1.0) / normal < 2.3


def test_every_voice_speaks(shared: OpenAI) -> None:
    voices = shared.models.retrieve("gpt-4o-mini-tts")  # the catalog knows the model
    assert voices.id == "gpt-4o-mini-tts"
    for voice in ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer",
                  "verse", "marin", "cedar"):  # fmt: skip
        data = shared.audio.speech.create(
            model="gpt-4o-mini-tts", voice=voice, input="Hi.", response_format="wav", instructions="Calm."
        ).content
        assert decoded_seconds(data, "wav")[1] > 0.02


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "wav", "pcm"])
def test_streamed_formats_come_in_pieces_that_make_the_file(fmt: str) -> None:
    # The HTTP body is these pieces as they are encoded (the test transport buffers them, so check here).
    samples, _ = speech.synthesize(TEXT * 2, "nova", 1.0, seed=1)
    pieces = list(sound.chunks(samples, fmt))
    assert len(pieces) >= 3
    assert decoded_seconds(b"".join(pieces), fmt)[0] == pytest.approx(len(samples) / 24_000, abs=0.1)


def test_sse_events_carry_the_file_and_usage(shared: OpenAI, shared_http) -> None:
    reply = shared_http.post(
        "/v1/audio/speech",
        json={"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Hello there.", "stream_format": "sse"},
    )
    assert reply.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in reply.text.splitlines() if line.startswith("data: ")]
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"} and events[-1][
        "type"
    ] == "speech.audio.done"
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert decoded_seconds(audio, "mp3")[0] > 0.5
    usage = events[-1]["usage"]
    assert (
        usage["input_tokens"] == 3 and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "tts-1", "stream_format": "sse"}, "stream_format"),
        ({"model": "tts-1", "instructions": "Whisper."}, "instructions"),
        ({"model": "tts-1", "voice": "nobody"}, "voice"),
        ({"model": "tts-1", "voice": "marin"}, "voice"),  # a gpt-4o-mini-tts voice
        ({"model": "tts-1", "response_format": "ogg"}, "response_format"),
        ({"model": "tts-1", "speed": 5}, "speed"),
        ({"model": "tts-1", "input": "x" * 4097}, "input"),
        ({"model": "tts-1", "input": "  "}, "input"),
        ({"model": "gpt-4o"}, "model"),
    ],
)
def test_bad_options_get_openai_400s(shared_http, body: dict, param: str) -> None:
    reply = shared_http.post("/v1/audio/speech", json={"voice": "alloy", "input": "Hi.", **body})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


def test_sdk_raises_bad_request(shared: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        shared.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", speed=0.1)
