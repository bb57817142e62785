"""attendance area."""
