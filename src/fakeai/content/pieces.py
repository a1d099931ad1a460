"""Fixed text (JSON, tool arguments, echoed or scripted replies) as one piece per token of a real encoding.

Prose is written so that its pieces are single tokens (content/text.py); any other text is tokenized with
the model's encoding instead, and each token becomes one piece. The pieces concatenate to the text, so the
streamed text re-tokenizes to exactly ``len(pieces)`` tokens. A token that ends inside a multi-byte
character yields an empty piece, and its bytes go out with the next piece: every piece is valid text.
"""

from __future__ import annotations

from typing import Protocol

from fakeai.content.text import Completion, stopped


class TokenBytes(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...

    def decode_single_token_bytes(self, token: int) -> bytes: ...


def token_pieces(encoding: TokenBytes, text: str) -> list[str]:
    """One string per token of ``text``; ``"".join(result) == text``."""
    pieces: list[str] = []
    pending = b""
    for token in encoding.encode_ordinary(text):
        pending += encoding.decode_single_token_bytes(token)
        try:
            pieces.append(pending.decode("utf-8"))
            pending = b""
        except UnicodeDecodeError:  # the character continues in the next token
            pieces.append("")
    return pieces


def fixed_completion(
    encoding: TokenBytes, text: str, *, limit: int, stop: list[str] | None = None
) -> Completion:
    """``text`` as a completion of at most ``limit`` tokens: cut with "length", or at a stop sequence."""
    pieces = token_pieces(encoding, text)
    return stopped(pieces[:limit], "length" if len(pieces) > limit else "stop", stop)
