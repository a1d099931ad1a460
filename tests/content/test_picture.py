"""Pictures: the requested size in every format, the same bytes for the same seed, bounded sizes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fakeai.content import picture


@pytest.mark.parametrize("fmt", picture.FORMATS)
@pytest.mark.parametrize("size", [(64, 48), (300, 700)])
def test_every_format_decodes_at_the_requested_size(fmt: str, size: tuple[int, int]) -> None:
    data = picture.encode(picture.render(picture.Look(1, *size)), fmt, 100 if fmt == "png" else 70)
    image = Image.open(io.BytesIO(data))
    assert image.size == size and image.format == fmt.upper()


def test_same_seed_same_bytes_and_transparency() -> None:
    look = picture.Look(5, 96, 64, transparent=True)
    assert picture.encode(picture.render(look), "png") == picture.encode(picture.render(look), "png")
    assert picture.render(look).getchannel("A").getextrema() == (0, 255)
    assert (
        picture.render(picture.Look(6, 96, 64)).tobytes() != picture.render(picture.Look(5, 96, 64)).tobytes()
    )


def test_sizes_and_uploads_are_bounded() -> None:
    with pytest.raises(picture.PictureError):
        picture.render(picture.Look(1, 4096, 4096))
    with pytest.raises(picture.PictureError):
        picture.open_upload(b"\x89PNG\r\n\x1a\n garbage")
