"""The original FakeAI's ``POST /v1/text/generation``, on the legacy completions service."""
