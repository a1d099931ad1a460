"""Image generation through the official SDK: real pictures of the requested size and format, per-model
rules and errors as OpenAI's, stream events, edits, variations and URLs."""

from __future__ import annotations

import base64
import io

import openai
import pytest
from openai import OpenAI
from PIL import Image
from starlette.testclient import TestClient

from tests.media import png


def decode(b64: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


@pytest.mark.parametrize("size", ["256x256", "512x512", "1024x1024"])
def test_dalle2_sizes_decode_to_the_requested_dimensions(shared: OpenAI, size: str) -> None:
    result = shared.images.generate(
        model="dall-e-2", prompt="a lighthouse", size=size, response_format="b64_json"
    )
    image = decode(result.data[0].b64_json)
    assert (image.format, f"{image.width}x{image.height}") == ("PNG", size)
    assert result.usage is None and result.data[0].revised_prompt is None


@pytest.mark.parametrize("size", ["1792x1024", "1024x1792"])
def test_dalle3_urls_serve_the_picture_with_a_revised_prompt(
    shared: OpenAI, shared_http: TestClient, size: str
) -> None:
    result = shared.images.generate(model="dall-e-3", prompt="a red fox in snow", size=size, style="natural")
    item = result.data[0]
    assert item.url.startswith("http://testserver/v1/images/files/img-") and "se=" in item.url
    assert "a red fox in snow" in item.revised_prompt
    fetched = shared_http.get(item.url)
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(fetched.content))
    assert f"{image.width}x{image.height}" == size


@pytest.mark.parametrize(
    ("size", "output_format", "pil_format"),
    [("1024x1536", "png", "PNG"), ("1536x1024", "jpeg", "JPEG"), ("1024x1024", "webp", "WEBP")],
)
def test_gpt_image_formats_and_sizes(shared: OpenAI, size: str, output_format: str, pil_format: str) -> None:
    compression = 100 if output_format == "png" else 60
    result = shared.images.generate(
        model="gpt-image-1",
        prompt="a city skyline at dusk",
        size=size,
        output_format=output_format,
        output_compression=compression,
        quality="low",
    )
    image = decode(result.data[0].b64_json)
    assert (image.format, f"{image.width}x{image.height}") == (pil_format, size)
    assert (result.size, result.output_format, result.quality, result.background) == (
        size, output_format, "low", "opaque",
    )  # fmt: skip
    usage = result.usage
    assert usage.input_tokens_details.text_tokens == usage.input_tokens > 0
    assert usage.output_tokens == {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400}[size]
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_transparent_background_has_see_through_pixels(shared: OpenAI) -> None:
    result = shared.images.generate(
        model="gpt-image-1", prompt="a balloon", background="transparent", quality="low", n=2
    )
    assert len(result.data) == 2 and result.background == "transparent"
    image = decode(result.data[0].b64_json)
    assert image.mode == "RGBA"
    low, high = image.getchannel("A").getextrema()
    assert (low, high) == (0, 255)


def test_same_prompt_same_bytes_other_prompt_other_picture(shared: OpenAI) -> None:
    def one(prompt: str) -> bytes:
        result = shared.images.generate(
            model="dall-e-2", prompt=prompt, size="256x256", response_format="b64_json"
        )
        return base64.b64decode(result.data[0].b64_json)

    first = one("a green valley")
    assert one("a green valley") == first
    other = one("a desert at night")
    assert other != first
    # A picture, not flat noise: many colours, and neighbouring pixels mostly alike.
    image = Image.open(io.BytesIO(first)).convert("RGB")
    assert len(image.getcolors(1 << 16) or []) > 200


def test_streaming_partial_images_then_completed(shared: OpenAI) -> None:
    events = list(
        shared.images.generate(
            model="gpt-image-1",
            prompt="a kite",
            stream=True,
            partial_images=2,
            quality="low",
            output_format="jpeg",
        )
    )
    assert [e.type for e in events] == [
        "image_generation.partial_image", "image_generation.partial_image", "image_generation.completed",
    ]  # fmt: skip
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    assert decode(events[-1].b64_json).size == (1024, 1024)
    assert events[-1].usage.output_tokens == 272


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": "dall-e-3", "n": 2}, "n"),
        ({"model": "dall-e-2", "n": 11}, "n"),
        ({"model": "dall-e-3", "size": "512x512"}, "size"),
        ({"model": "dall-e-2", "size": "1536x1024"}, "size"),
        ({"model": "dall-e-2", "style": "vivid"}, "style"),
        ({"model": "dall-e-2", "quality": "hd"}, "quality"),
        ({"model": "dall-e-3", "output_format": "jpeg"}, "output_format"),
        ({"model": "gpt-image-1", "response_format": "url"}, "response_format"),
        ({"model": "gpt-image-1", "output_format": "png", "output_compression": 50}, "output_compression"),
        ({"model": "gpt-image-1", "output_format": "jpeg", "background": "transparent"}, "background"),
        ({"model": "dall-e-2", "prompt": "x" * 1001}, "prompt"),
        ({"model": "gpt-4o"}, "model"),
        ({"model": "dall-e-2", "stream": True}, "stream"),
    ],
)
def test_invalid_options_get_openai_400s(shared: OpenAI, kwargs: dict, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        shared.images.generate(**{"prompt": "a boat", **kwargs})
    error = caught.value.body
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["param"]) == ("invalid_request_error", param)


def test_moderation_blocks_listed_words_unless_low(shared: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        shared.images.generate(model="gpt-image-1", prompt="something nsfw here", quality="low")
    assert caught.value.code == "moderation_blocked"
    ok = shared.images.generate(
        model="gpt-image-1", prompt="something nsfw here", moderation="low", quality="low"
    )
    assert len(ok.data) == 1


def test_unknown_model_is_404(shared: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        shared.images.generate(model="no-such-image-model", prompt="x")


def test_edit_keeps_the_unmasked_pixels(shared: OpenAI) -> None:
    base = Image.new("RGB", (64, 64), (255, 0, 0))
    mask = Image.new("RGBA", (64, 64), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 32, 64))  # edit the left half only
    files = []
    for image in (base, mask):
        out = io.BytesIO()
        image.save(out, "PNG")
        files.append(out.getvalue())
    result = shared.images.edit(
        model="gpt-image-1",
        image=[("base.png", files[0], "image/png")],
        mask=("mask.png", files[1], "image/png"),
        prompt="paint a sunrise on the left",
        quality="low",
    )
    edited = decode(result.data[0].b64_json).convert("RGB")
    assert edited.size == (1024, 1024)
    assert edited.getpixel((900, 500)) == (255, 0, 0)  # kept
    assert edited.getpixel((100, 500)) != (255, 0, 0)  # repainted
    assert result.usage.input_tokens_details.image_tokens == 194  # 65 + 129 for one tile


def test_edit_stream_events(shared: OpenAI) -> None:
    events = list(
        shared.images.edit(
            model="gpt-image-1", image=[("a.png", png(32, 32), "image/png")], prompt="blue", stream=True,
            partial_images=1, quality="low",
        )
    )  # fmt: skip
    assert [e.type for e in events] == ["image_edit.partial_image", "image_edit.completed"]


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK deprecates variations
def test_dalle2_edit_and_variations(shared: OpenAI) -> None:
    edit = shared.images.edit(
        model="dall-e-2", image=("a.png", png(64, 64), "image/png"), prompt="a hat", size="256x256",
        response_format="b64_json",
    )  # fmt: skip
    assert decode(edit.data[0].b64_json).size == (256, 256)
    variations = shared.images.create_variation(
        image=("a.png", png(64, 64), "image/png"), size="512x512", n=2, response_format="b64_json"
    )
    pictures = [base64.b64decode(item.b64_json) for item in variations.data]
    assert len(pictures) == 2 and pictures[0] != pictures[1]
    assert decode(variations.data[1].b64_json).size == (512, 512)


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_bad_uploads_are_400(shared: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        shared.images.create_variation(image=("a.png", b"not an image", "image/png"), size="256x256")
    assert caught.value.body["param"] == "image"
    with pytest.raises(openai.BadRequestError) as caught:
        shared.images.edit(
            model="dall-e-3", image=("a.png", png(8, 8), "image/png"), prompt="x"
        )  # dall-e-3 makes no edits
    assert caught.value.body["param"] == "model"


def test_public_base_url_and_expiry(make_app) -> None:
    app = make_app(public_base_url="https://images.example.com/", image_url_ttl_s=60)
    with TestClient(app) as http:
        client = OpenAI(api_key="k", base_url="http://testserver/v1", http_client=http, max_retries=0)
        url = client.images.generate(model="dall-e-2", prompt="x", size="256x256").data[0].url
        assert url.startswith("https://images.example.com/v1/images/files/img-")
        path = url.split("example.com", 1)[1]
        assert http.get(path).status_code == 200
        assert http.get("/v1/images/files/img-unknown.png").json()["error"]["code"] == "image_not_found"
