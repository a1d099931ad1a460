"""Image tokens: OpenAI's tile and patch formulas, sizes read from headers, bad data refused."""

from __future__ import annotations

import pytest

from fakeai.content.data_url import MediaError
from fakeai.content.images import REMOTE_SIZE, image_size, patch_tokens, tile_tokens
from fakeai.content.media import audio_seconds, audio_tokens, pdf_pages
from tests.media import b64, data_url, pdf, png, wav


@pytest.mark.parametrize(
    ("size", "detail", "tokens"),
    [
        ((1024, 1024), "high", 765),  # OpenAI's worked examples
        ((2048, 4096), "high", 1105),
        ((4096, 8192), "low", 85),
        ((128, 64), "auto", 255),  # small images are not scaled up: one tile
        ((512, 512), "high", 255),
        ((513, 512), "high", 425),
    ],
)
def test_tile_formula(size: tuple[int, int], detail: str, tokens: int) -> None:
    assert tile_tokens(*size, detail, 85, 170) == tokens


@pytest.mark.parametrize(
    ("size", "patches"),
    [((1024, 1024), 1024), ((1800, 2400), 1452), ((32, 32), 1), ((33, 33), 4), ((10000, 10000), 1521)],
)
def test_patch_formula(size: tuple[int, int], patches: int) -> None:
    # OpenAI's worked examples: 1024x1024 is 1024 patches; 1800x2400 is scaled to 1452.
    assert patch_tokens(*size, 1.0) == patches
    assert patch_tokens(*size, 1.62) == -(-patches * 162 // 100)


def test_sizes_come_from_the_header() -> None:
    assert image_size(data_url("image/png", png(300, 200))) == (300, 200)
    assert image_size("https://example.invalid/cat.jpg") == REMOTE_SIZE


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,!!!notbase64",
        "data:image/png,rawbytes",
        "data:image/png;base64,",
        "data:text/plain;base64," + b64(b"hello"),
        "data:image/png;base64," + b64(b"not an image at all"),
        "ftp://example.invalid/cat.png",
    ],
)
def test_unreadable_images_are_refused(url: str) -> None:
    with pytest.raises(MediaError):
        image_size(url)


def test_audio_duration_from_the_wav_header_or_the_size() -> None:
    assert audio_seconds(b64(wav(2.5)), "wav") == pytest.approx(2.5)
    assert audio_tokens(2.5) == 25  # 10 tokens per second
    assert audio_seconds(b64(bytes(32_000)), "mp3") == pytest.approx(2.0)  # 128 kbit/s


def test_pdf_pages_are_counted() -> None:
    assert pdf_pages(data_url("application/pdf", pdf(3)), "a.pdf") == 3
    assert pdf_pages(b64(pdf(2)), "a.pdf") == 2
    assert pdf_pages(None, None) == 1  # a file_id: no Files API yet
    with pytest.raises(MediaError):
        pdf_pages(data_url("application/pdf", b"plain text"), "a.pdf")
    with pytest.raises(MediaError):
        pdf_pages(data_url("text/plain", b"hello"), "a.txt")
