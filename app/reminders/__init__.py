"""Reminders: payment deadlines and notices of account changes."""
