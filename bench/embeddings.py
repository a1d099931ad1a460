"""In-process throughput of ``POST /v1/embeddings`` on one core: short inputs per second through the ASGI
app (routing, body decoding, tokenization, engine prefill, vectors, JSON/base64 encoding), no HTTP.

    python -m bench.embeddings [--requests 200] [--batch 64]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
from typing import Any

from bench.asgi import post
from fakeai.app import create_app
from fakeai.settings import Settings

MODEL = "text-embedding-3-small"
#: What a RAG ingest sends: a chunk of about a dozen words per input.
INPUT = "Chunk {i}: the quick brown fox jumps over the lazy dog near the river bank"


async def _post(app: Any, raw: bytes) -> int:
    return (await post(app, "/v1/embeddings", raw))[0]


async def _measure(encoding: str, requests: int, batch: int) -> dict[str, float]:
    app = create_app(Settings(ttft_ms=0, itl_ms=0))
    app.state.fakeai.tokenizers.get("cl100k_base")  # loaded before measuring, as the lifespan would
    bodies = [
        json.dumps(
            {
                "model": MODEL,
                "encoding_format": encoding,
                "input": [INPUT.format(i=r * batch + i) for i in range(batch)],
            }
        ).encode()
        for r in range(requests)
    ]
    for raw in bodies[:5]:  # warm-up: series creation, the model's embedder
        assert await _post(app, raw) == 200
    gc.collect()
    started = time.process_time()
    statuses = [await _post(app, raw) for raw in bodies]
    cpu = time.process_time() - started
    assert all(s == 200 for s in statuses), statuses[:5]
    inputs = requests * batch
    return {"inputs_per_s": inputs / cpu, "us_per_input": cpu / inputs * 1e6}


def measure(requests: int = 150, batch: int = 64, cpu: str | None = None) -> dict[str, Any]:
    """Inputs per CPU-second for float and base64 responses, pinned to ``cpu`` when given."""
    before = os.sched_getaffinity(0) if cpu is not None else None
    if cpu is not None:
        os.sched_setaffinity(0, {int(cpu)})
    try:
        return {
            "batch": batch,
            "model": MODEL,
            **{
                encoding: asyncio.run(_measure(encoding, requests, batch)) for encoding in ("float", "base64")
            },
        }
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=150)
    parser.add_argument("--batch", type=int, default=64, help="inputs per request")
    args = parser.parse_args()
    print(json.dumps(measure(args.requests, args.batch), indent=1))


if __name__ == "__main__":
    main()
