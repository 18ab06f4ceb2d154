"""Import of a legacy snapshot (placeholder until the importer lands)."""
