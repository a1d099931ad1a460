"""Who is calling: API keys -> identity (project, tier), rate limits, failed-auth tracking."""
