"""Raw audio for the Realtime API: PCM16 and G.711 (mu-law, A-law) codecs, speech for a reply's text, and
speech detection from the signal's energy.

``Voice`` is the seam for speech synthesis: anything that turns text into PCM16 samples at a given rate.
``SpeechVoice``, the default, is FakeAI's speech (content/speech.py): speech-like audio that carries its
own text, so a reply's audio transcribes back to its transcript. G.711 goes through lookup tables built
once.
"""

from __future__ import annotations

import functools
import math
from array import array
from dataclasses import dataclass
from typing import Protocol

from fakeai.content.text import derive_seed


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """One of the Realtime API's audio formats: PCM16 little-endian, or G.711 at 8 kHz."""

    name: str  # "audio/pcm", "audio/pcmu" or "audio/pcma"
    rate: int

    @property
    def bytes_per_second(self) -> int:
        return self.rate * (2 if self.name == "audio/pcm" else 1)

    def decode(self, data: bytes) -> array:
        """PCM16 samples (odd trailing bytes of PCM are dropped)."""
        if self.name == "audio/pcm":
            samples = array("h")
            samples.frombytes(data[: len(data) // 2 * 2])
            return samples
        table = _ulaw_decode() if self.name == "audio/pcmu" else _alaw_decode()
        return array("h", [table[byte] for byte in data])

    def encode(self, samples: array) -> bytes:
        if self.name == "audio/pcm":
            return samples.tobytes()
        table = _ulaw_encode() if self.name == "audio/pcmu" else _alaw_encode()
        return bytes([table[sample & 0xFFFF] for sample in samples])


PCM = AudioFormat("audio/pcm", 24_000)
FORMATS = {"audio/pcm": PCM, "audio/pcmu": AudioFormat("audio/pcmu", 8000),
           "audio/pcma": AudioFormat("audio/pcma", 8000)}  # fmt: skip
#: The beta API's names of the same formats.
BETA_FORMATS = {"pcm16": "audio/pcm", "g711_ulaw": "audio/pcmu", "g711_alaw": "audio/pcma"}


class Voice(Protocol):
    def speak(self, text: str, voice: str, rate: int) -> array:
        """PCM16 samples at ``rate`` Hz of ``voice`` saying ``text``."""
        ...


class SpeechVoice:
    """FakeAI's speech (content/speech.py) as PCM16: 24 kHz as rendered, 8 kHz for G.711 (every third
    sample: the speech's carriers all lie below 3.2 kHz, under the 4 kHz limit). CPU-bound: call it off the
    event loop."""

    def speak(self, text: str, voice: str, rate: int) -> array:
        if not text.strip():
            return array("h")
        import numpy as np  # at first use: numpy costs half a second of start-up

        from fakeai.content import speech

        samples, _ = speech.synthesize(text, voice, 1.0, derive_seed(voice, text))
        pcm = np.clip(samples * 32767, -32768, 32767).astype("<i2")
        if rate != speech.RATE:
            pcm = pcm[:: speech.RATE // rate]
        return array("h", pcm.tobytes())


def heard(samples: array, rate: int) -> str | None:
    """The text FakeAI speech in ``samples`` carries (None for other audio, or audio not at 24 kHz)."""
    import numpy as np

    from fakeai.content import speech

    if rate != speech.RATE:
        return None
    return speech.read(np.frombuffer(samples.tobytes(), dtype="<i2").astype(np.float32) / 32768)


def rms(samples: array) -> float:
    """Root mean square of PCM16 samples, as a share of full scale (0..1)."""
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768


def is_speech(level: float, threshold: float) -> bool:
    """Server VAD's decision for a frame of ``level`` (rms): ``threshold`` 0..1 as the API takes it, 0.5
    by default, maps to -50..-20 dBFS (0.5: -35 dBFS, quiet speech; room noise is below -50)."""
    return level > 0 and 20 * math.log10(level) > -50 + 30 * threshold


# G.711 (ITU-T), as in the classic reference implementation (Sun's g711.c).
_BIAS, _CLIP = 0x84, 32635


def _ulaw(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, _CLIP) + _BIAS
    exponent = max((magnitude >> 7).bit_length() - 1, 0)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _alaw(sample: int) -> int:
    pcm = sample >> 3
    if pcm >= 0:
        mask = 0xD5
    else:
        mask, pcm = 0x55, -pcm - 1
    segment = next(
        (i for i, end in enumerate((0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)) if pcm <= end), 8
    )
    if segment >= 8:
        return 0x7F ^ mask
    value = (segment << 4) | ((pcm >> 1) & 0x0F if segment < 2 else (pcm >> segment) & 0x0F)
    return value ^ mask


def _ulaw_to_linear(byte: int) -> int:
    byte = ~byte & 0xFF
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    sample = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return -sample if byte & 0x80 else sample


def _alaw_to_linear(byte: int) -> int:
    byte ^= 0x55
    value, segment = (byte & 0x0F) << 4, (byte & 0x70) >> 4
    if segment == 0:
        value += 8
    elif segment == 1:
        value += 0x108
    else:
        value = (value + 0x108) << (segment - 1)
    return value if byte & 0x80 else -value


def _signed(index: int) -> int:
    return index - 0x10000 if index >= 0x8000 else index


@functools.cache
def _ulaw_encode() -> bytes:
    return bytes(_ulaw(_signed(i)) for i in range(0x10000))


@functools.cache
def _alaw_encode() -> bytes:
    return bytes(_alaw(_signed(i)) for i in range(0x10000))


@functools.cache
def _ulaw_decode() -> list[int]:
    return [_ulaw_to_linear(b) for b in range(256)]


@functools.cache
def _alaw_decode() -> list[int]:
    return [_alaw_to_linear(b) for b in range(256)]
