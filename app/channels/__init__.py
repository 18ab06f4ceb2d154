"""Channels: SMS, email and the message outbox."""
