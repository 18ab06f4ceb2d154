"""Campaigns: compose, approve, schedule and broadcast to an audience."""
