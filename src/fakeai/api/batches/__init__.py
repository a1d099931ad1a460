"""``/v1/batches``: a JSONL file of requests run on the engine as background work (see docs/batches.md)."""
