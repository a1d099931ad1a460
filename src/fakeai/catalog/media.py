"""What an image, speech or transcription model accepts: the limits its family checks requests against."""

from __future__ import annotations

import msgspec


class MediaLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One media model's options, as OpenAI documents them. Empty tuples mean "not accepted".

    Images: ``sizes`` ("WxH" or "auto"), ``qualities``, ``styles``, ``max_n`` images per request,
    ``formats`` (output formats), ``response_formats`` (url, b64_json), ``edits``/``variations``/``stream``.
    Speech: ``voices``, ``formats`` (audio formats), ``stream_formats``, ``instructions``.
    Transcription: ``formats`` (response formats), ``stream``, ``translations``.
    ``max_input`` is the prompt or input limit in characters.
    """

    max_input: int
    sizes: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    max_n: int = 1
    formats: tuple[str, ...] = ()
    response_formats: tuple[str, ...] = ()
    voices: tuple[str, ...] = ()
    stream_formats: tuple[str, ...] = ()
    instructions: bool = False
    edits: bool = False
    variations: bool = False
    stream: bool = False
    translations: bool = False
