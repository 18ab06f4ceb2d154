"""API keys and idempotency records."""
