"""Fixtures for third-party clients: an offline tiktoken cache built from the bundled vocabulary."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
import quicktok

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"  # tiktoken's expected hash
MERGEABLE = 100256  # ranks below the special tokens


@pytest.fixture(scope="session")
def tiktoken_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``TIKTOKEN_CACHE_DIR`` holding cl100k_base, written from quicktok's ranks. tiktoken downloads its
    vocabularies at run time; this file is byte-identical to the one it would download (tiktoken checks
    its sha256), so clients that tokenize with tiktoken (LangChain) run offline."""
    encoding = quicktok.get_encoding("cl100k_base")
    tokens = (encoding.decode_single_token_bytes(rank) for rank in range(MERGEABLE))
    data = b"".join(
        base64.b64encode(token) + b" " + str(rank).encode() + b"\n" for rank, token in enumerate(tokens)
    )
    assert hashlib.sha256(data).hexdigest() == CL100K_SHA256
    directory = tmp_path_factory.mktemp("tiktoken")
    (directory / hashlib.sha1(CL100K_URL.encode()).hexdigest()).write_bytes(data)
    return directory
