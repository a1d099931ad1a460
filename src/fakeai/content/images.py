"""How many prompt tokens an image costs, with OpenAI's published formulas.

Only the header of an inline image is decoded (``imagesize`` reads width and height from it); remote images
are never fetched and count as ``REMOTE_SIZE``. Two formulas exist, chosen per model in the catalog:

- tiles (gpt-4o, gpt-4.1, o1/o3, gpt-5, ...): ``detail: low`` costs ``base``; otherwise the image is scaled
  to fit 2048x2048, then so that its shortest side is at most 768 px, and costs ``base + tile`` per 512 px
  tile. ``detail: auto`` counts as high, as OpenAI's calculators do.
- patches (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): 32 px patches, at most 1536 (a larger image is
  scaled down to fit), times a per-model multiplier; ``detail`` does not change the count.
"""

from __future__ import annotations

import io
import math

import imagesize

from fakeai.content.data_url import DataURL, MediaError

#: What a remote image counts as, since it is never fetched: 1024x1024 is 765 tokens on gpt-4o at high
#: detail, a typical photo's cost.
REMOTE_SIZE = (1024, 1024)
#: Bytes decoded to find an image's size: enough for the headers of PNG, GIF and WebP and for a JPEG's
#: frame header after ordinary EXIF data; a JPEG with more metadata before it is decoded whole.
HEADER_BYTES = 64 * 1024


def image_size(url: str) -> tuple[int, int]:
    """(width, height) of an ``image_url``'s image; MediaError for anything that is not a readable image."""
    if url.startswith(("http://", "https://")):
        return REMOTE_SIZE
    if not url.startswith("data:"):
        raise MediaError("Invalid image URL: expected an http(s) URL or a base64 data URL.")
    data = DataURL.parse(url, "image")
    if not data.mime.startswith("image/"):
        raise MediaError(f"Invalid image data URL: '{data.mime}' is not an image type.")
    size = _read_size(data.head(HEADER_BYTES))
    if size is None and data.size > HEADER_BYTES:
        size = _read_size(data.decode())
    if size is None:
        raise MediaError("The image data could not be read as an image.")
    return size


def _read_size(data: bytes) -> tuple[int, int] | None:
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:  # imagesize raises assorted errors on truncated or corrupt headers
        return None
    return (width, height) if width > 0 and height > 0 else None


def tile_tokens(width: int, height: int, detail: str, base: int, tile: int) -> int:
    if detail == "low":
        return base
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    return base + tile * math.ceil(w / 512) * math.ceil(h / 512)


def patch_tokens(width: int, height: int, multiplier: float, max_patches: int = 1536) -> int:
    patches = math.ceil(width / 32) * math.ceil(height / 32)
    if patches > max_patches:
        shrink = math.sqrt(32 * 32 * max_patches / (width * height))
        w, h = width * shrink, height * shrink
        # Then shrink a little more so a whole number of patches covers each side (OpenAI's recipe).
        fit = min(math.floor(w / 32) / (w / 32), math.floor(h / 32) / (h / 32))
        w, h = math.floor(w * fit), math.floor(h * fit)
        patches = min(math.ceil(w / 32) * math.ceil(h / 32), max_patches)
    return math.ceil(patches * multiplier)
