"""Audio files in OpenAI's speech formats, and decoding of any uploaded audio, with FFmpeg's codecs (PyAV).

Encoding: mp3 (LAME, 64 kbit/s), opus (libopus in Ogg, 64 kbit/s: at 48 its coarse low bands blurred
100 Hz harmonics), aac (ADTS, 64 kbit/s), flac, wav (16-bit) and pcm (raw 24 kHz 16-bit little-endian
mono, as OpenAI's). Everything is mono at 24 kHz. ``chunks`` yields a file piece by piece so a long clip
streams while it is still being encoded; every piece is a few seconds of audio, so one call is short,
bounded work for a media thread.

Decoding: whatever FFmpeg reads (mp3, mp4/m4a, aac, ogg/opus, webm, flac, wav, ...), resampled to mono
24 kHz; raw PCM only when the upload says so (``.pcm`` or ``audio/pcm``), since it has no header.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

import av
import numpy as np

RATE = 24_000
FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MIME = {
    "mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac",
    "wav": "audio/wav", "pcm": "audio/pcm",
}  # fmt: skip
#: container, codec, bit rate (None: lossless)
_CODECS = {
    "mp3": ("mp3", "libmp3lame", 64_000),
    "opus": ("ogg", "libopus", 64_000),
    "aac": ("adts", "aac", 64_000),
    "flac": ("flac", "flac", None),
}
CHUNK_SECONDS = 2.0
#: Seconds of decoded samples kept for reading (the rest is only counted): bounds memory per upload to
#: ~58 MB of float32 while the duration is still exact.
MAX_KEPT_SECONDS = 600.0


class AudioDecodeError(ValueError):
    """The upload is not audio FFmpeg can read, or holds no samples."""


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def chunks(samples: np.ndarray, fmt: str) -> Iterator[bytes]:
    """The file ``samples`` (mono float at 24 kHz) make in ``fmt``, in pieces (concatenated: the file)."""
    step = int(CHUNK_SECONDS * RATE)
    if fmt == "pcm":
        for start in range(0, len(samples), step):
            yield pcm16(samples[start : start + step])
        return
    if fmt == "wav":
        yield _wav_header(len(samples))
        for start in range(0, len(samples), step):
            yield pcm16(samples[start : start + step])
        return
    if fmt == "flac":  # its muxer seeks back to finish the header: encode whole, then hand out
        data = encode(samples, fmt)
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]
        return
    sink = _Sink()
    container, stream = _open(sink, fmt)
    for start in range(0, len(samples), step):
        for packet in stream.encode(_frame(samples[start : start + step])):
            container.mux(packet)
        if sink.parts:
            yield sink.take()
    for packet in stream.encode(None):
        container.mux(packet)
    container.close()
    if sink.parts:
        yield sink.take()


def encode(samples: np.ndarray, fmt: str) -> bytes:
    """The whole file at once (flac's header needs the end first: it is written to a seekable buffer)."""
    if fmt != "flac":
        return b"".join(chunks(samples, fmt))
    out = io.BytesIO()
    container, stream = _open(out, fmt)
    for packet in [*stream.encode(_frame(samples)), *stream.encode(None)]:
        container.mux(packet)
    container.close()
    return out.getvalue()


def _open(target: object, fmt: str) -> tuple[av.container.OutputContainer, av.audio.stream.AudioStream]:
    container_name, codec, bit_rate = _CODECS[fmt]
    container = av.open(target, mode="w", format=container_name)
    stream = container.add_stream(codec, rate=RATE, layout="mono")
    if bit_rate:
        stream.bit_rate = bit_rate
    return container, stream


def _frame(samples: np.ndarray) -> av.AudioFrame:
    frame = av.AudioFrame.from_ndarray(
        (np.clip(samples, -1, 1) * 32767).astype(np.int16)[None, :], format="s16", layout="mono"
    )
    frame.sample_rate = RATE
    return frame


class _Sink:
    """A write-only file for PyAV: muxed bytes are taken as they come (streamed formats never seek)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _wav_header(frames: int) -> bytes:
    size = frames * 2
    return (
        b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
        + b"data" + struct.pack("<I", size)
    )  # fmt: skip


def decode(data: bytes, raw_pcm: bool = False) -> tuple[np.ndarray, float]:
    """(mono float32 samples at 24 kHz, at most ``MAX_KEPT_SECONDS`` of them; the duration in seconds)."""
    if not data:
        raise AudioDecodeError("The audio file is empty.")
    if raw_pcm:
        usable = len(data) // 2 * 2
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768
        if not len(samples):
            raise AudioDecodeError("The audio file holds no samples.")
        return samples[: int(MAX_KEPT_SECONDS * RATE)], len(samples) / RATE
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise AudioDecodeError("The file holds no audio stream.")
            return _read(container)
    except AudioDecodeError:
        raise
    except (av.FFmpegError, ValueError, OSError, IndexError) as exc:
        raise AudioDecodeError("The audio file could not be decoded or its format is not supported.") from exc


def _read(container: av.container.InputContainer) -> tuple[np.ndarray, float]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    kept: list[np.ndarray] = []
    keep = int(MAX_KEPT_SECONDS * RATE)
    total = 0

    def take(frames: list[av.AudioFrame]) -> None:
        nonlocal total
        for out in frames:
            block = out.to_ndarray().reshape(-1)
            if total < keep:
                kept.append(block[: keep - total])
            total += len(block)

    for frame in container.decode(audio=0):
        take(resampler.resample(frame))
    take(resampler.resample(None))
    if total == 0:
        raise AudioDecodeError("The audio file holds no samples.")
    return np.concatenate(kept).astype(np.float32, copy=False), total / RATE
