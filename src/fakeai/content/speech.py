"""Speech-like audio that carries its own transcript, so FakeAI's speech transcribes back to its text.

The sound: a voiced buzz (a harmonic series on the voice's fundamental) shaped into syllables and words, with
short gaps between words and longer ones at punctuation. Which harmonics sound in each 40 ms symbol changes
from symbol to symbol, like formants moving; those on/off patterns are the data channel.

The data channel (why it survives every format): each voiced symbol is the fundamental ``f0`` (the pilot,
always on) plus ``BITS`` harmonics ``2 f0 .. (BITS + 1) f0``, each on or off for one bit. All carriers lie
below 3.2 kHz at full level, where MP3, AAC and Opus spend their bits, and FLAC, WAV and PCM are lossless.
Every carrier makes a whole number of cycles per symbol, so a steady carrier is seamless across symbols and
the decoder's 20 ms window in the symbol's middle sees each carrier in its own FFT bin with no leakage; the
5 ms ramps at symbol starts and codec smearing fall outside that window. Levels are read relative to the
pilot, so volume, the syllable envelope and codec gain do not matter. The frame is ``MAGIC``, a length, the
UTF-8 text and a CRC-32: audio that is not FakeAI's (or damaged) fails the check and is treated as foreign.
Codec delay (AAC's priming, resampling) is found by trying every symbol offset and keeping the one whose
symbols are most clearly on or off.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

import numpy as np

RATE = 24_000  # Hz: OpenAI's speech rate (pcm is 24 kHz, 16-bit, mono)
SYMBOL = 960  # samples per symbol (40 ms)
WINDOW = (240, 720)  # the analysis window inside a symbol: 10-30 ms, 480 samples = 50 Hz bins
RAMP = 120  # samples (5 ms) over which a carrier turns on or off, at the start of a symbol
BITS = 20  # data bits per voiced symbol
MAGIC = b"FAKS"
#: Fundamentals (Hz) of the voices; multiples of 50 Hz so every harmonic sits on an analysis bin.
F0 = (100, 150)
VOICE_F0 = {
    "alloy": 150, "ash": 100, "ballad": 100, "coral": 150, "echo": 100, "fable": 150, "onyx": 100,
    "nova": 150, "sage": 150, "shimmer": 150, "verse": 100, "marin": 150, "cedar": 100,
}  # fmt: skip
#: Timing at speed 1.0, in symbols: a syllable, the gap between words, the pause at , ; : and at . ! ?
SYLLABLE, WORD_GAP, COMMA_PAUSE, STOP_PAUSE, EDGE = 5, 2, 5, 8, 3
_VOWELS = re.compile(r"[aeiouy]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Timeline:
    """Symbols of a speech clip: ``gains[i]`` > 0 for a voiced symbol, 0 for silence; ``words`` holds each
    word and its (start, end) in seconds, for word timestamps."""

    gains: np.ndarray
    words: tuple[tuple[str, float, float], ...]

    @property
    def seconds(self) -> float:
        return len(self.gains) * SYMBOL / RATE


def syllables(word: str) -> int:
    """Vowel groups, at least one: close enough to spoken syllables for timing."""
    return max(1, len(_VOWELS.findall(word)))


def timeline(text: str, speed: float, data_symbols: int) -> Timeline:
    """Lay out ``text`` at ``speed`` (0.25-4), stretched when the data needs more voiced symbols."""
    words = text.split() or [""]
    stretch = 1.0
    for _ in range(8):
        gains, spans = _layout(words, speed / stretch)
        voiced = int(np.count_nonzero(gains))
        if voiced >= data_symbols:
            return Timeline(gains, spans)
        stretch *= max(1.05, data_symbols / max(voiced, 1))
    return Timeline(*_pad(gains, spans, data_symbols - voiced))


def _layout(words: list[str], speed: float) -> tuple[np.ndarray, tuple[tuple[str, float, float], ...]]:
    def n(symbols: float) -> int:
        return max(1, round(symbols / speed))

    gains: list[float] = [0.0] * EDGE
    spans = []
    for word in words:
        start = len(gains)
        for _ in range(syllables(word)):
            length = n(SYLLABLE)
            # A syllable swells and fades (the gains multiply the whole symbol, so bits are unaffected).
            gains.extend(0.55 + 0.45 * np.sin(np.pi * (np.arange(length) + 0.5) / length))
        spans.append((word, start * SYMBOL / RATE, len(gains) * SYMBOL / RATE))
        pause = STOP_PAUSE if word[-1:] in ".!?" else COMMA_PAUSE if word[-1:] in ",;:" else WORD_GAP
        gains.extend([0.0] * n(pause))
    gains.extend([0.0] * EDGE)
    return np.asarray(gains, dtype=np.float32), tuple(spans)


def _pad(gains: np.ndarray, spans: tuple, missing: int) -> tuple[np.ndarray, tuple]:
    tail = np.full(missing, 0.8, dtype=np.float32)
    return np.concatenate([gains[:-EDGE], tail, gains[-EDGE:]]), spans


def frame(text: str) -> bytes:
    """The data frame: MAGIC, a flag (1: zlib), the payload's length, the payload, CRC-32 of all before."""
    raw = text.encode("utf-8")
    packed = zlib.compress(raw, 9)
    flag, payload = (1, packed) if len(packed) < len(raw) else (0, raw)
    head = MAGIC + struct.pack(">BI", flag, len(payload)) + payload
    return head + struct.pack(">I", zlib.crc32(head))


def synthesize(text: str, voice: str, speed: float, seed: int) -> tuple[np.ndarray, Timeline]:
    """Mono float32 samples at ``RATE`` (peak 0.5) speaking ``text``, and their timeline."""
    bits = np.unpackbits(np.frombuffer(frame(text), dtype=np.uint8))
    data_symbols = -(-len(bits) // BITS)
    plan = timeline(text, speed, data_symbols)
    voiced = np.flatnonzero(plan.gains)
    rng = np.random.default_rng(seed)
    # Voiced symbols after the data carry seeded filler, so the whole clip keeps "talking".
    filler = rng.integers(0, 2, size=len(voiced) * BITS - len(bits), dtype=np.uint8)
    symbol_bits = np.concatenate([bits, filler]).reshape(len(voiced), BITS)
    on = np.zeros((len(plan.gains), BITS + 1), dtype=np.float32)
    on[voiced, 0] = 1.0
    on[voiced, 1:] = symbol_bits
    levels = on * plan.gains[:, None]
    f0 = VOICE_F0.get(voice, F0[0])
    basis, ramped = _basis(f0, rng)
    previous = np.vstack([np.zeros((1, BITS + 1), np.float32), levels[:-1]])
    samples = (levels @ basis + (previous - levels) @ ramped).reshape(-1)
    peak = float(np.max(np.abs(samples))) or 1.0
    return (samples * (0.5 / peak)).astype(np.float32), plan


def _basis(f0: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One symbol of each carrier (rows), with a falling spectral tilt like a voice, and the same rows
    weighted by the part of a switched-off carrier still sounding during the ramp."""
    t = np.arange(SYMBOL, dtype=np.float64) / RATE
    k = np.arange(1, BITS + 2, dtype=np.float64)[:, None]
    phase = rng.random((BITS + 1, 1)) * 2 * np.pi
    basis = (np.sin(2 * np.pi * f0 * k * t + phase) / np.sqrt(k)).astype(np.float32)
    fade = np.zeros(SYMBOL, dtype=np.float32)
    fade[:RAMP] = 0.5 + 0.5 * np.cos(np.pi * np.arange(RAMP) / RAMP)
    return basis, basis * fade


def read(samples: np.ndarray) -> str | None:
    """The text carried by ``samples`` (mono float at ``RATE``), or ``None`` if they carry none."""
    if len(samples) < SYMBOL * 4:
        return None
    for f0 in F0:
        bins = f0 * np.arange(1, BITS + 2) // 50
        levels = _best_alignment(samples, bins)
        if levels is None:
            continue
        text = _parse(levels)
        if text is not None:
            return text
    return None


def _levels(samples: np.ndarray, offset: int, bins: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Carrier magnitudes (symbols x carriers) for symbols starting at ``offset``."""
    count = (len(samples) - offset) // SYMBOL
    if limit is not None:
        count = min(count, limit)
    symbols = samples[offset : offset + count * SYMBOL].reshape(count, SYMBOL)[:, WINDOW[0] : WINDOW[1]]
    return np.abs(np.fft.rfft(symbols, axis=1))[:, bins]


def _normalised(levels: np.ndarray) -> np.ndarray | None:
    """Each voiced symbol's carriers relative to its pilot and the tilt (1: on, 0: off); silent rows gone."""
    pilot = levels[:, 0]
    if pilot.size == 0 or pilot.max() <= 0:
        return None
    voiced = pilot > 0.2 * pilot.max()
    tilt = 1 / np.sqrt(np.arange(1, levels.shape[1] + 1))
    return levels[voiced] / pilot[voiced, None] / tilt[None, :]


def _best_alignment(samples: np.ndarray, bins: np.ndarray) -> np.ndarray | None:
    best, best_offset = -1.0, 0
    for offset in range(0, SYMBOL, 40):
        ratios = _normalised(_levels(samples, offset, bins, limit=400))
        if ratios is None or len(ratios) < 2:
            continue
        margin = float(np.mean(np.abs(ratios[:, 1:] - 0.5)))
        if margin > best:
            best, best_offset = margin, offset
    for offset in range(max(0, best_offset - 35), min(SYMBOL, best_offset + 36), 5):
        ratios = _normalised(_levels(samples, offset, bins, limit=400))
        if ratios is not None and len(ratios) >= 2:
            margin = float(np.mean(np.abs(ratios[:, 1:] - 0.5)))
            if margin > best:
                best, best_offset = margin, offset
    if best < 0.25:  # no clean on/off pattern: not FakeAI's speech
        return None
    return _normalised(_levels(samples, best_offset, bins))


def _parse(ratios: np.ndarray) -> str | None:
    bits = (ratios[:, 1:] > 0.5).astype(np.uint8).reshape(-1)
    data = np.packbits(bits[: len(bits) // 8 * 8]).tobytes()
    start = data.find(MAGIC)
    if start != 0 or len(data) < 13:
        return None
    flag, length = struct.unpack(">BI", data[4:9])
    end = 9 + length
    if len(data) < end + 4:
        return None
    (crc,) = struct.unpack(">I", data[end : end + 4])
    if zlib.crc32(data[:end]) != crc:
        return None
    payload = data[9:end]
    try:
        return (zlib.decompress(payload) if flag == 1 else payload).decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return None
