"""Online payments: one row per attempt through a gateway."""
