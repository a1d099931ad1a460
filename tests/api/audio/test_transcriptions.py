"""Transcriptions and translations through the official SDK: FakeAI's own speech reads back to its text in
every format, other audio gets seeded text sized to its real duration, srt and vtt parse, verbose_json has
segments and words, gpt-4o models stream, and bad uploads get OpenAI's 400."""

from __future__ import annotations

import re

import numpy as np
import openai
import pytest
from openai import OpenAI

from fakeai.content import sound
from tests.media import wav

TEXT = "Please call Stella. Ask her to bring these things with her from the store!"


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_own_speech_round_trips_in_every_format(shared: OpenAI, fmt: str) -> None:
    audio = shared.audio.speech.create(model="tts-1", voice="echo", input=TEXT, response_format=fmt).content
    result = shared.audio.transcriptions.create(
        model="whisper-1", file=(f"speech.{fmt}", audio), response_format="verbose_json"
    )
    assert result.text == TEXT
    expected = len(audio) / 48_000 if fmt == "pcm" else None
    assert result.duration > 3 and (expected is None or abs(result.duration - expected) < 0.01)


def test_gpt4o_transcribe_reads_fast_speech_and_counts_tokens(shared: OpenAI) -> None:
    audio = shared.audio.speech.create(
        model="gpt-4o-mini-tts", voice="sage", input=TEXT, speed=4.0, response_format="opus"
    ).content
    result = shared.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.ogg", audio), prompt="Names"
    )
    assert result.text == TEXT
    usage = result.usage
    assert usage.type == "tokens" and usage.input_token_details.text_tokens == 1
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_foreign_audio_gets_seeded_text_sized_to_its_duration(shared: OpenAI) -> None:
    data = wav(12.0)
    first = shared.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", data), response_format="verbose_json"
    )
    assert first.duration == pytest.approx(12.0)
    assert 20 <= len(first.text.split()) <= 40
    again = shared.audio.transcriptions.create(model="whisper-1", file=("a.wav", data))
    assert again.text == first.text and again.usage.seconds == 12
    # A compressed file that FakeAI did not speak: a tone, as mp3.
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(24_000 * 5) / 24_000).astype(np.float32)
    mp3 = sound.encode(tone, "mp3")
    heard = shared.audio.transcriptions.create(
        model="whisper-1", file=("t.mp3", mp3), response_format="verbose_json"
    )
    assert heard.duration == pytest.approx(5.0, abs=0.1) and heard.text


_SRT = re.compile(r"(\d+)\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)\n")
_VTT = re.compile(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+)\n")


def seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_srt_and_vtt_parse(shared: OpenAI) -> None:
    audio = shared.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="flac"
    ).content
    srt = shared.audio.transcriptions.create(model="whisper-1", file=("a.flac", audio), response_format="srt")
    blocks = srt.strip().split("\n\n")
    cues = [_SRT.fullmatch(block + "\n") for block in blocks]
    assert all(cues) and [int(c[1]) for c in cues] == list(range(1, len(cues) + 1))
    assert " ".join(c[4] for c in cues) == TEXT
    vtt = shared.audio.transcriptions.create(model="whisper-1", file=("a.flac", audio), response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n")
    times = [(seconds(a), seconds(b)) for a, b, _ in _VTT.findall(vtt)]
    assert len(times) == 2 and all(a < b for a, b in times) and times[0][1] <= times[1][0]


def test_verbose_json_segments_and_words(shared: OpenAI) -> None:
    audio = shared.audio.speech.create(
        model="tts-1", voice="fable", input=TEXT, response_format="wav"
    ).content
    result = shared.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", audio), response_format="verbose_json",
        timestamp_granularities=["word", "segment"], language="de",
    )  # fmt: skip
    assert result.language == "german"
    assert [w.word for w in result.words] == re.sub(r"[.!,]", "", TEXT).split()
    ends = [w.end for w in result.words]
    assert ends == sorted(ends) and ends[-1] <= result.duration
    assert "".join(s.text for s in result.segments).strip() == TEXT
    assert all(s.tokens for s in result.segments)


def test_gpt4o_streams_deltas_then_done(shared: OpenAI) -> None:
    audio = shared.audio.speech.create(model="tts-1", voice="ash", input=TEXT, response_format="aac").content
    events = list(
        shared.audio.transcriptions.create(model="gpt-4o-mini-transcribe", file=("a.aac", audio), stream=True)
    )
    assert "".join(e.delta for e in events[:-1]) == TEXT
    assert events[-1].type == "transcript.text.done" and events[-1].text == TEXT


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_translation(shared: OpenAI) -> None:
    audio = shared.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="mp3"
    ).content
    assert shared.audio.translations.create(model="whisper-1", file=("a.mp3", audio)).text == TEXT
    with pytest.raises(openai.BadRequestError) as caught:
        shared.audio.translations.create(model="gpt-4o-transcribe", file=("a.mp3", audio))
    assert caught.value.body["param"] == "model"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"file": ("a.mp3", b"")}, "file"),
        ({"file": ("a.mp3", b"definitely not audio")}, "file"),
        ({"timestamp_granularities": ["word"]}, "timestamp_granularities"),
        ({"model": "gpt-4o-transcribe", "response_format": "srt"}, "response_format"),
        ({"stream": True}, "stream"),
        ({"language": "english"}, "language"),
        ({"model": "tts-1"}, "model"),
    ],
)
def test_bad_requests_get_openai_400s(shared: OpenAI, kwargs: dict, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        shared.audio.transcriptions.create(**{"model": "whisper-1", "file": ("a.wav", wav(0.5)), **kwargs})
    error = caught.value.body
    assert set(error) == {"message", "type", "param", "code"} and error["param"] == param


def test_gpt4o_logprobs_cover_the_text(shared: OpenAI) -> None:
    audio = shared.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format="wav"
    ).content
    result = shared.audio.transcriptions.create(
        model="gpt-4o-mini-transcribe", file=("a.wav", audio), include=["logprobs"]
    )
    assert "".join(item.token for item in result.logprobs) == TEXT
    assert all(item.logprob <= 0 for item in result.logprobs)
    with pytest.raises(openai.BadRequestError) as caught:
        shared.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio), include=["logprobs"])
    assert caught.value.body["param"] == "include"
