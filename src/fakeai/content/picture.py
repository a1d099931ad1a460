"""Pictures that look like something: a landscape composed from a seed, rendered with numpy and encoded
with Pillow.

The same seed gives the same pixels, and the same pixels and encoder options give the same bytes. A
picture is a sky gradient with a sun, three ridges of hills fading into the distance, and water or a
meadow in front; the seed picks the hues, the time of day, the ridge shapes and the sun's place, so two
prompts give visibly different pictures. ``vivid`` saturates the colours, ``natural`` mutes them.

Cost (one core, measured in docs/media.md): rendering is ~25 ms per megapixel; encoding dominates (PNG at
zlib level 1 ~40 ms/MP, JPEG ~5 ms/MP, WebP ~60 ms/MP). Every function here is blocking and meant for a
worker thread (numpy and Pillow release the GIL in their inner loops).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

#: Pixels a single render may produce or decode (2048 x 2048): bounds memory per render to ~64 MB.
MAX_PIXELS = 2048 * 2048
FORMATS = ("png", "jpeg", "webp")
MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class PictureError(ValueError):
    """An uploaded image that cannot be used (not an image, too large)."""


@dataclass(frozen=True, slots=True)
class Look:
    """What to draw: ``seed`` picks the composition; ``transparent`` leaves the sky see-through."""

    seed: int
    width: int
    height: int
    vivid: bool = True
    transparent: bool = False


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """One colour from hue (turns), saturation and value in [0, 1], as float RGB in [0, 1]."""
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i], dtype=np.float32)


def _ridge(rng: np.random.Generator, xs: np.ndarray, base: float, roughness: float) -> np.ndarray:
    """A ridge line (fraction of the height, 0 = top) over ``xs`` in [0, 1]: a few sines of rising
    frequency and falling amplitude, like a cheap fractal."""
    line = np.full_like(xs, base)
    amplitude = roughness
    for octave in range(5):
        frequency = (1.5 + rng.random() * 2) * 2**octave
        line += amplitude * np.sin(2 * np.pi * (frequency * xs + rng.random()))
        amplitude *= 0.5
    return line


#: Pictures are composed at most this wide or high and scaled up to the requested size: the scene is smooth,
#: so a bicubic upscale loses nothing visible, and composing costs a quarter of full size at 1024 px.
COMPOSE_SIDE = 640


def render(look: Look) -> Image.Image:
    """The picture, RGB (or RGBA when ``transparent``), exactly ``width`` x ``height``."""
    if look.width * look.height > MAX_PIXELS or min(look.width, look.height) < 1:
        raise PictureError(f"{look.width}x{look.height} is not between 1 and {MAX_PIXELS} pixels")
    scale = min(1.0, COMPOSE_SIDE / max(look.width, look.height))
    w, h = max(1, round(look.width * scale)), max(1, round(look.height * scale))
    picture = _compose(look, w, h)
    if (w, h) != (look.width, look.height):
        picture = picture.resize((look.width, look.height), Image.Resampling.BICUBIC)
    return picture


def _compose(look: Look, w: int, h: int) -> Image.Image:
    rng = np.random.default_rng(look.seed)
    saturation = 0.75 if look.vivid else 0.4
    hue = rng.random()
    day = rng.random()  # 0: dusk, 1: noon
    ys = (np.arange(h, dtype=np.float32) / max(h - 1, 1))[:, None]
    xs = np.arange(w, dtype=np.float32) / max(w - 1, 1)

    top = _hsv((hue + 0.6) % 1, saturation * 0.9, 0.35 + 0.5 * day)
    horizon_colour = _hsv((hue + 0.05 * rng.standard_normal()) % 1, saturation * (1.1 - day * 0.6), 0.95)
    horizon = 0.45 + 0.2 * rng.random()
    t = np.clip(ys / horizon, 0, 1) ** 1.4
    img = (top * (1 - t)[..., None] + horizon_colour * t[..., None]) * np.ones((1, w, 1), np.float32)

    # The sun: a disc with a glow, somewhere in the upper sky.
    sx, sy = 0.15 + 0.7 * rng.random(), horizon * (0.25 + 0.5 * rng.random())
    radius = 0.04 + 0.05 * rng.random()
    aspect = w / h
    d2 = ((xs[None, :] - sx) * aspect) ** 2 + (ys - sy) ** 2
    sun = _hsv((hue + 0.1) % 1, 0.35 * saturation, 1.0)
    glow = np.exp(-d2 / (radius * 3) ** 2)[..., None] * 0.45
    img = img * (1 - glow) + sun * glow
    img = np.where((d2 < radius**2)[..., None], sun, img)
    land = np.zeros((h, w), dtype=bool)

    # Three ridges, far to near: each darker and more saturated; the far ones take the sky's haze.
    ridge_hue = (hue + 0.3 + 0.2 * rng.random()) % 1
    for layer in range(3):
        base = horizon - 0.12 + layer * 0.09
        line = _ridge(rng, xs, base, 0.05 + 0.03 * layer)
        colour = _hsv((ridge_hue + 0.04 * layer) % 1, saturation * (0.4 + 0.2 * layer), 0.75 - 0.2 * layer)
        haze = 0.55 - 0.25 * layer
        colour = colour * (1 - haze) + horizon_colour * haze
        below = ys >= line[None, :]
        shade = (1 - 0.25 * np.clip((ys - line[None, :]) * 4, 0, 1))[..., None]
        img = np.where(below[..., None], colour * shade, img)
        land |= below

    # The foreground: water that mirrors the sky's colour with ripples, or a meadow.
    shore = horizon + 0.25 + 0.05 * rng.random()
    front = ys >= shore
    if rng.random() < 0.5:
        ripple = 0.08 * np.sin(ys * h * 0.35 + 3 * np.sin(xs[None, :] * 12 + rng.random() * 6))
        water = (horizon_colour * 0.55 + top * 0.35)[None, None, :] * (1 + ripple[..., None])
        img = np.where(front[..., None], water, img)
    else:
        grass = _hsv((0.25 + 0.1 * rng.standard_normal()) % 1, saturation, 0.5)
        depth = np.clip((ys - shore) / (1 - shore + 1e-6), 0, 1)
        img = np.where(front[..., None], grass * (0.7 + 0.5 * depth[..., None]), img)
    land |= np.broadcast_to(front, land.shape)

    rgb = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    if not look.transparent:
        return Image.fromarray(rgb, "RGB")
    alpha = np.where(land, 255, 0).astype(np.uint8)
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def encode(picture: Image.Image, fmt: str, compression: int = 100) -> bytes:
    """``picture`` as ``fmt`` (png, jpeg or webp). ``compression`` 0-100 is OpenAI's ``output_compression``:
    for JPEG and WebP it is the quality; PNG is lossless (a higher value only compresses harder)."""
    out = io.BytesIO()
    if fmt == "png":
        picture.save(out, "PNG", compress_level=1 if compression >= 50 else 6)
    elif fmt == "jpeg":
        picture.convert("RGB").save(out, "JPEG", quality=max(1, min(compression, 95)))
    elif fmt == "webp":
        picture.save(out, "WEBP", quality=max(1, compression), method=0)
    else:
        raise ValueError(f"unknown image format {fmt!r}")
    return out.getvalue()


def partial(picture: Image.Image, step: int, steps: int) -> Image.Image:
    """What a diffusion model shows at ``step`` of ``steps``: the picture, blurred the more the earlier."""
    factor = 2 ** (steps - step + 2)
    small = picture.resize(
        (max(1, picture.width // factor), max(1, picture.height // factor)), Image.Resampling.BILINEAR
    )
    return small.resize(picture.size, Image.Resampling.BILINEAR)


def open_upload(data: bytes) -> Image.Image:
    """A decoded uploaded image, or PictureError; the header is checked before any pixel is decoded."""
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS * 4:
            raise PictureError("The image is too large.")
        image.load()
    except PictureError:
        raise
    except Exception as exc:  # Pillow raises many kinds on corrupt or unsupported data
        raise PictureError("Invalid image file or mode.") from exc
    return image


def edit(base: Image.Image, mask: Image.Image | None, look: Look) -> Image.Image:
    """``base`` edited: where ``mask`` is transparent the new picture shows through; without a mask the
    whole image is blended with the new picture (the edit touches everything)."""
    size = (look.width, look.height)
    fresh = render(Look(look.seed, look.width, look.height, look.vivid, False))
    original = base.convert("RGBA").resize(size, Image.Resampling.BILINEAR)
    if mask is not None:
        keep = mask.convert("RGBA").resize(size, Image.Resampling.NEAREST).getchannel("A")
    else:
        keep = Image.new("L", size, 150)
    result = Image.composite(original.convert("RGB"), fresh, keep)
    if look.transparent:
        result.putalpha(original.getchannel("A"))
    return result


def variation(base: Image.Image, look: Look) -> Image.Image:
    """A variation of ``base``: its composition kept, mirrored or not, hue-shifted by the seed."""
    rng = np.random.default_rng(look.seed)
    image = base.convert("RGB").resize((look.width, look.height), Image.Resampling.BILINEAR)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int16) + int(rng.integers(16, 240))) % 256
    shifted = Image.fromarray(hsv, "HSV").convert("RGB")
    return Image.blend(shifted, render(Look(look.seed, look.width, look.height, look.vivid)), 0.25)
