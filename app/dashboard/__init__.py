"""The staff desk's home page ("Tableau de bord"): what is waiting for the
agents today, with a link to the screen that handles each item."""

from __future__ import annotations


def register(app, appbuilder) -> None:
    from app.dashboard.views import register_views

    register_views(appbuilder)
