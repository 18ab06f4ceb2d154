"""Import and sync of the legacy domain system's nightly snapshots, with change detection."""
