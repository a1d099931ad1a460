"""content/pcm.py: the G.711 codecs against their reference values, the voice's durations, VAD levels."""

from __future__ import annotations

from array import array

import pytest

from fakeai.content.pcm import FORMATS, PAUSE_SECONDS, ToneVoice, is_speech, rms


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


def test_the_voice_follows_the_text() -> None:
    voice = ToneVoice()
    word = voice.speak(" garden", 24_000)
    assert len(word) == 7 * 24_000 // 15  # 15 characters a second
    assert voice.speak(" garden", 24_000) == word and voice.speak(" garden", 8000) != word
    pause = voice.speak(".", 8000)
    assert len(pause) == int(8000 * PAUSE_SECONDS) and rms(pause) == 0
    assert is_speech(rms(word), 0.5) and not is_speech(rms(pause), 0.5)
    assert word[0] == 0  # faded in: no click between words


def test_vad_threshold_maps_to_dbfs() -> None:
    quiet = array("h", [328, -328] * 100)  # -40 dBFS
    assert is_speech(rms(quiet), 0.2) and not is_speech(rms(quiet), 0.5)
    assert not is_speech(0.0, 0.0)
