"""billing area: pricing, monthly invoices, billing runs, credit notes; the
export pages (exports/views.py) are registered here too."""

from __future__ import annotations


def register(app, appbuilder) -> None:
    from app.billing import views
    from exports import views as export_views

    views.register_views(appbuilder)
    export_views.register_views(appbuilder)
