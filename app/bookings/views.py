"""Bookings screens (family planning, wizard, history; staff queues)."""


def register_views(appbuilder) -> None:
    """Add the bookings views to the app."""
