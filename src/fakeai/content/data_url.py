"""``data:`` URLs as OpenAI takes media inline: ``data:<mime>;base64,<payload>``, read without copying."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass


class MediaError(ValueError):
    """Media the server cannot read; the API turns it into a 400 naming the content part."""


@dataclass(slots=True, frozen=True)
class DataURL:
    mime: str
    payload: str  # base64 text, not decoded: decoding happens only as far as a reader needs

    @classmethod
    def parse(cls, url: str, what: str) -> DataURL:
        """``what`` names the content in error messages ("image", "audio", ...)."""
        header, comma, payload = url.partition(",")
        if not comma or not header.startswith("data:") or not header.endswith(";base64"):
            raise MediaError(f"Invalid {what} data URL: expected 'data:<type>;base64,<data>'.")
        if not payload:
            raise MediaError(f"Invalid {what} data URL: the data is empty.")
        return cls(header[5:-7].lower(), payload)

    @property
    def size(self) -> int:
        """Decoded size in bytes, from the base64 length alone."""
        return len(self.payload) * 3 // 4 - self.payload[-2:].count("=")

    def head(self, size: int) -> bytes:
        """The first ``size`` decoded bytes (about), for readers that need only a header."""
        return decode_base64(self.payload[: (size + 2) // 3 * 4])

    def decode(self) -> bytes:
        return decode_base64(self.payload)


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MediaError("Invalid base64 data.") from None


def digest(*parts: str) -> str:
    """A short stable identity of media (the same input always gives the same digest)."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
