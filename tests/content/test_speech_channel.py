"""The data channel in FakeAI's speech: it reads back through every codec, and never invents a text for
audio that is not FakeAI's or that was cut or damaged."""

from __future__ import annotations

import numpy as np
import pytest

from fakeai.content import sound, speech

TEXT = "Grüße aus 東京, and a plain ASCII tail."


@pytest.mark.parametrize("speed", [0.25, 1.0, 4.0])
def test_reads_back_after_the_lossiest_codec_at_any_speed(speed: float) -> None:
    samples, plan = speech.synthesize(TEXT, "onyx", speed, seed=3)
    assert len(samples) == len(plan.gains) * speech.SYMBOL
    decoded, seconds = sound.decode(sound.encode(samples, "aac"))
    assert seconds == pytest.approx(len(samples) / sound.RATE, abs=0.1)
    assert speech.read(decoded) == TEXT


def test_duration_follows_speed() -> None:
    slow = speech.synthesize(TEXT * 3, "alloy", 0.5, seed=1)[1].seconds
    normal = speech.synthesize(TEXT * 3, "alloy", 1.0, seed=1)[1].seconds
    assert 1.8 < slow / normal < 2.2


def test_foreign_audio_carries_no_text() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(sound.RATE * 3) / sound.RATE
    for samples in (
        np.zeros(sound.RATE * 2, np.float32),
        (0.2 * rng.standard_normal(sound.RATE * 2)).astype(np.float32),
        (0.3 * np.sin(2 * np.pi * 150 * t) + 0.2 * np.sin(2 * np.pi * 450 * t)).astype(np.float32),
    ):
        assert speech.read(samples) is None


def test_cut_or_damaged_speech_is_not_misread() -> None:
    samples, _ = speech.synthesize(TEXT, "alloy", 1.0, seed=2)
    assert speech.read(samples[: len(samples) // 10]) is None  # cut before the frame (and its CRC) ends
    damaged = samples.copy()
    middle = len(samples) // 2
    damaged[middle : middle + speech.SYMBOL * 4] = 0.5 * np.sin(np.arange(speech.SYMBOL * 4))
    assert speech.read(damaged) in (None, TEXT)  # never a wrong text


def test_same_seed_same_samples() -> None:
    first, _ = speech.synthesize("Hello.", "nova", 1.0, seed=9)
    again, _ = speech.synthesize("Hello.", "nova", 1.0, seed=9)
    assert np.array_equal(first, again)
