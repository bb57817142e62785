"""CLI commands of the bookings area."""
