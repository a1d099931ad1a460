"""Multimodal input through the strict SDK: images, audio, PDFs and video raise prompt_tokens as OpenAI
counts them, and models without the capability refuse the part with a 400 naming it."""

from __future__ import annotations

import openai
import pytest
from openai import AsyncOpenAI, OpenAI

from fakeai.api.chat import service
from tests.media import b64, data_url, pdf, png, wav

TEXT = {"type": "text", "text": "What is this?"}


def prompt_tokens(client: OpenAI, model: str, *parts: dict) -> tuple[int, int]:
    """(prompt_tokens, prompt audio_tokens) of one user message with ``parts``."""
    r = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": [TEXT, *parts]}],
        max_tokens=1,  # type: ignore[list-item]
    )
    assert r.usage and r.usage.prompt_tokens_details
    return r.usage.prompt_tokens, r.usage.prompt_tokens_details.audio_tokens or 0


def image(width: int, height: int, detail: str = "auto") -> dict:
    return {
        "type": "image_url",
        "image_url": {"url": data_url("image/png", png(width, height)), "detail": detail},
    }


@pytest.mark.parametrize(
    ("model", "size", "detail", "tokens"),
    [
        ("gpt-4o", (1024, 1024), "high", 765),  # 85 + 170 x 4 tiles
        ("gpt-4o", (1024, 1024), "low", 85),
        ("gpt-4o", (600, 300), "auto", 425),  # 85 + 170 x 2 tiles, auto counts as high
        ("gpt-4o-mini", (1024, 1024), "high", 2833 + 5667 * 4),  # same tiles, its own constants
        ("gpt-4.1-mini", (1024, 1024), "low", 1659),  # 1024 patches x 1.62, detail ignored
        ("o3", (512, 512), "high", 75 + 150),
    ],
)
def test_an_image_adds_openais_formula_to_prompt_tokens(
    client: OpenAI, model: str, size: tuple[int, int], detail: str, tokens: int
) -> None:
    base, _ = prompt_tokens(client, model)
    with_image, _ = prompt_tokens(client, model, image(*size, detail))
    assert with_image - base == tokens


def test_remote_images_are_not_fetched_and_count_as_1024_square(client: OpenAI) -> None:
    base, _ = prompt_tokens(client, "gpt-4o")
    url = {"type": "image_url", "image_url": {"url": "https://example.invalid/x.png", "detail": "high"}}
    assert prompt_tokens(client, "gpt-4o", url)[0] - base == 765


def test_audio_counts_ten_tokens_per_second_in_audio_tokens(client: OpenAI) -> None:
    base, _ = prompt_tokens(client, "gpt-4o-audio-preview")
    audio = {"type": "input_audio", "input_audio": {"data": b64(wav(3.0)), "format": "wav"}}
    total, audio_tokens = prompt_tokens(client, "gpt-4o-audio-preview", audio)
    assert audio_tokens == 30 and total - base == 30


def test_a_pdf_counts_per_page(client: OpenAI) -> None:
    base, _ = prompt_tokens(client, "gpt-4o")
    file = {"type": "file", "file": {"filename": "a.pdf", "file_data": data_url("application/pdf", pdf(2))}}
    assert prompt_tokens(client, "gpt-4o", file)[0] - base == 2 * (500 + 765)


def test_video_on_a_video_model(client: OpenAI) -> None:
    model = "nvidia/cosmos-reason1-7b"
    base, _ = prompt_tokens(client, model)
    video = {"type": "video_url", "video_url": {"url": "https://example.invalid/clip.mp4"}}
    assert prompt_tokens(client, model, video)[0] - base == 2560  # 10 s at 256 tokens per second


async def test_streaming_counts_the_image_too(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": [TEXT, image(1024, 1024, "low")]}],  # type: ignore[list-item]
        max_tokens=2, stream=True, stream_options={"include_usage": True},
    )  # fmt: skip
    usage = [chunk.usage async for chunk in stream if chunk.usage][-1]
    plain = await aclient.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": [TEXT]}],
        max_tokens=1,  # type: ignore[list-item]
    )
    assert plain.usage and usage.prompt_tokens - plain.usage.prompt_tokens == 85


@pytest.mark.parametrize(
    ("model", "part"),
    [
        ("gpt-3.5-turbo", {"type": "image_url", "image_url": {"url": "https://x.invalid/a.png"}}),
        ("gpt-4o", {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}),
        ("gpt-4o", {"type": "video_url", "video_url": {"url": "https://example.invalid/a.mp4"}}),
        ("gpt-3.5-turbo", {"type": "file", "file": {"file_id": "file-1"}}),
    ],
)
def test_models_without_the_capability_refuse_the_part(client: OpenAI, model: str, part: dict) -> None:
    messages = [{"role": "system", "content": "x"}, {"role": "user", "content": [TEXT, part]}]
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model=model, messages=messages, max_tokens=1)  # type: ignore[arg-type]
    assert info.value.param == "messages[1].content[1]"
    assert part["type"] in info.value.message and model in info.value.message


@pytest.mark.parametrize(
    "url",
    ["data:image/png;base64,@@@@", "data:image/png;base64", "data:image/png;base64," + b64(b"not an image")],
)
def test_malformed_data_urls_are_a_400(client: OpenAI, url: str) -> None:
    part = {"type": "image_url", "image_url": {"url": url}}
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [part]}])  # type: ignore[list-item]
    assert info.value.param == "messages[0].content[0]" and info.value.code == "invalid_value"


def test_a_large_inline_image_is_counted_off_the_event_loop(
    client: OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    threaded: list[object] = []

    async def to_thread(func, /, *args):  # type: ignore[no-untyped-def]
        threaded.append(func)
        return func(*args)

    monkeypatch.setattr(service.asyncio, "to_thread", to_thread)
    big = png(2000, 1000)  # zlib squeezes black pixels: pad the PNG with an ancillary chunk
    padded = big[:-12] + (300_000).to_bytes(4, "big") + b"zzTx" + bytes(300_000) + b"\0\0\0\0" + big[-12:]
    part = {"type": "image_url", "image_url": {"url": data_url("image/png", padded), "detail": "high"}}
    base, _ = prompt_tokens(client, "gpt-4o")
    assert service.prompt_tokens not in threaded  # small prompts are counted on the loop
    assert prompt_tokens(client, "gpt-4o", part)[0] - base == 85 + 170 * 6  # 1536x768: 3x2 tiles
    assert service.prompt_tokens in threaded
