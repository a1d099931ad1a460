"""Prompt tokens of audio, PDF files and video: estimated from headers and sizes, never decoded whole
except a PDF (whose pages are counted)."""

from __future__ import annotations

import io
import math
import re
import wave

from fakeai.content.data_url import DataURL, MediaError, decode_base64

#: OpenAI bills audio input at one token per 100 ms.
AUDIO_TOKENS_PER_SECOND = 10
#: Bytes per second assumed for compressed audio, whose duration is not read from headers: 128 kbit/s,
#: a common MP3/AAC rate. ``pcm16`` is OpenAI's raw format: 24 kHz, 16-bit, mono.
COMPRESSED_AUDIO_BYTES_PER_SECOND = 16_000
PCM16_BYTES_PER_SECOND = 48_000

#: A PDF page is given to the model as its text and an image of the page (OpenAI's file inputs): a
#: typical page's text, plus the page image at US-letter size, priced by the model's image formula.
PDF_TEXT_TOKENS_PER_PAGE = 500
PDF_PAGE_SIZE = (612, 792)
#: PDFs whose page objects are compressed (object streams) hide their page count; estimate from the size.
PDF_BYTES_PER_PAGE = 60_000
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")

#: Video as vision-language models sample it (Qwen2-VL-style, as vLLM serves Cosmos-Reason1): 2 frames per
#: second, 128 tokens per frame (448x448 frames, two frames merged per temporal patch).
VIDEO_TOKENS_PER_SECOND = 256
VIDEO_BYTES_PER_SECOND = 250_000  # 2 Mbit/s, to estimate an inline video's duration
REMOTE_VIDEO_SECONDS = 10.0  # remote videos are never fetched


def audio_seconds(data: str, audio_format: str) -> float:
    """Duration of base64 audio: from the WAV header, else estimated from the size."""
    inline = DataURL("audio/" + audio_format, data)
    if audio_format == "wav":
        try:
            with wave.open(io.BytesIO(inline.head(4096))) as wav:
                return wav.getnframes() / wav.getframerate()
        except (wave.Error, EOFError, ZeroDivisionError):
            pass  # WAVE_FORMAT_EXTENSIBLE and odd headers: fall back to the size
        decode_base64(data[:4096])
        return inline.size / PCM16_BYTES_PER_SECOND
    decode_base64(data[:4096])  # malformed base64 is a 400 whatever the format
    if audio_format == "pcm16":
        return inline.size / PCM16_BYTES_PER_SECOND
    return inline.size / COMPRESSED_AUDIO_BYTES_PER_SECOND


def audio_tokens(seconds: float) -> int:
    return max(1, math.ceil(seconds * AUDIO_TOKENS_PER_SECOND))


def pdf_pages(file_data: str | None, filename: str | None) -> int:
    """Pages of an inline PDF (``file_data``, a data URL or bare base64); 1 for a ``file_id``."""
    if file_data is None:
        return 1  # a stored file: no Files API here yet, so one page
    if file_data.startswith("data:"):
        data = DataURL.parse(file_data, "file")
        if data.mime != "application/pdf":
            raise MediaError(f"Invalid file data: only PDF files are supported, not '{data.mime}'.")
        raw = data.decode()
    else:
        if filename and not filename.lower().endswith(".pdf"):
            raise MediaError("Invalid file data: only PDF files are supported.")
        raw = decode_base64(file_data)
    if not raw.startswith(b"%PDF-"):
        raise MediaError("Invalid file data: the file is not a PDF.")
    return len(_PDF_PAGE.findall(raw)) or max(1, math.ceil(len(raw) / PDF_BYTES_PER_PAGE))


def video_tokens(url: str) -> int:
    if url.startswith(("http://", "https://")):
        seconds = REMOTE_VIDEO_SECONDS
    else:
        data = DataURL.parse(url, "video")
        if not data.mime.startswith("video/"):
            raise MediaError(f"Invalid video data URL: '{data.mime}' is not a video type.")
        decode_base64(data.payload[:4096])
        seconds = max(1.0, data.size / VIDEO_BYTES_PER_SECOND)
    return math.ceil(seconds * VIDEO_TOKENS_PER_SECOND)
