"""Shared infrastructure: configuration, extensions, transactions, audit log, signals."""
