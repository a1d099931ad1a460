"""The live dashboard (``/dashboard``) and its push feed (``/metrics/stream``)."""
