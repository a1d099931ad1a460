"""``/v1/vector_stores``: files chunked by tokens and searched with BM25 (see docs/vector_stores.md)."""
