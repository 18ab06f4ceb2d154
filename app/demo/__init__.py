"""Demo data: a realistic, deterministic snapshot of an Ełk-like city, imported for real."""
