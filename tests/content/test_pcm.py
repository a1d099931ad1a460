"""content/pcm.py: the G.711 codecs against their reference values, the voice's durations, VAD levels."""

from __future__ import annotations

from array import array

import pytest

from fakeai.content.pcm import FORMATS, SpeechVoice, heard, is_speech, rms


def test_g711_reference_points() -> None:
    ulaw, alaw = FORMATS["audio/pcmu"], FORMATS["audio/pcma"]
    # ITU-T G.711: silence is 0xFF in mu-law and 0xD5 in A-law; full scale saturates.
    assert ulaw.encode(array("h", [0, 32767, -32768])) == bytes([0xFF, 0x80, 0x00])
    assert alaw.encode(array("h", [0]))[0] in (0xD5, 0x55)
    assert ulaw.decode(bytes([0xFF, 0x7F])) == array("h", [0, 0])


@pytest.mark.parametrize("kind", ["audio/pcmu", "audio/pcma"])
def test_g711_round_trips_within_its_quantization(kind: str) -> None:
    codec = FORMATS[kind]
    samples = array("h", range(-32000, 32000, 97))
    decoded = codec.decode(codec.encode(samples))
    for original, back in zip(samples, decoded, strict=True):
        assert abs(original - back) <= max(16, abs(original) // 16)  # 8-bit logarithmic steps


def test_pcm_is_raw_little_endian() -> None:
    samples = array("h", [1, -2, 300])
    assert FORMATS["audio/pcm"].decode(FORMATS["audio/pcm"].encode(samples)) == samples


def test_the_voice_speaks_text_that_reads_back() -> None:
    voice = SpeechVoice()
    said = voice.speak("The garden is quiet.", "alloy", 24_000)
    assert heard(said, 24_000) == "The garden is quiet." and is_speech(rms(said), 0.5)
    assert voice.speak("The garden is quiet.", "alloy", 24_000) == said  # deterministic
    narrow = voice.speak("The garden is quiet.", "alloy", 8000)
    assert len(narrow) == -(-len(said) // 3) and heard(narrow, 8000) is None  # 8 kHz: not read back
    assert len(voice.speak("  ", "alloy", 24_000)) == 0
    assert heard(array("h", [300, -300] * 24_000), 24_000) is None  # foreign audio carries no text


def test_vad_threshold_maps_to_dbfs() -> None:
    quiet = array("h", [328, -328] * 100)  # -40 dBFS
    assert is_speech(rms(quiet), 0.2) and not is_speech(rms(quiet), 0.5)
    assert not is_speech(0.0, 0.0)
