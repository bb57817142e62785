"""bookings area."""
