"""The control API (routes.py): latency, fault rules and rate limits at run time, resets and the journal."""
