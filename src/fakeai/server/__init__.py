"""Transport: decoding, framing (JSON, SSE) and middleware. No API semantics here."""
