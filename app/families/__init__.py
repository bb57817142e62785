"""families area."""
