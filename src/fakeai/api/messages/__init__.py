"""Anthropic's Messages API (``POST /v1/messages``) on the same generation core as chat."""
