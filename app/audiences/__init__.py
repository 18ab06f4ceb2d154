"""Audiences: segments built from legacy taxpayer attributes."""
