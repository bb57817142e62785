"""content area."""
