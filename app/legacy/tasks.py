"""Actors of the legacy import."""

from app import broker  # noqa: F401  (first: sets the dramatiq broker)
