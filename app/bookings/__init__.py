"""Bookings: requests and presences, the state machine, capacity, deadlines,
"Recopier"; the planning calendar, the history, the wizard; staff queues."""

from __future__ import annotations


def register(app, appbuilder) -> None:
    from app.bookings import commands  # noqa: F401  (flask --app run portail expire)
    from app.bookings import views

    views.register_views(appbuilder)
