"""attendance area: pointage, kept apart from booking states."""

from __future__ import annotations


def register(app, appbuilder) -> None:
    from app.attendance import views

    views.register_views(appbuilder)
