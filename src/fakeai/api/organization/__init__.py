"""OpenAI's organization usage and costs API, from the usage ledger (metrics/usage.py)."""
