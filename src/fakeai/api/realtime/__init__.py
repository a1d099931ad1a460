"""The Realtime API over a WebSocket (``/v1/realtime``), on the same generation core as chat."""
