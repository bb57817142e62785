"""Tableau de bord: the staff desk's home page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import clock
from app.core.views_common import PageView
from app.dashboard import services

DASHBOARD_TITLE = _l("Dashboard")


class StaffDashboardView(PageView):
    route_base = "/agents"

    def page(self):
        return self.render_template("dashboard/staff.html", title=DASHBOARD_TITLE,
                                    overview=services.overview(current_user, clock.now()))


def register_views(appbuilder) -> None:
    appbuilder.add_view(StaffDashboardView, "StaffDashboardView", label=DASHBOARD_TITLE,
                        icon="fa-gauge", category="Staff", category_label=_l("Staff desk"),
                        category_icon="fa-briefcase")
