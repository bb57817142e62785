"""Bookings screens, by audience:

- common: the legend and its icons, month and day helpers, the family pages'
  helpers (``family_page``, ``account_url``, ``csrf_ok`` …);
- draft: the booking wizard's draft in the session;
- planning: FamilyPlanningView (Mon planning, presence details,
  cancellation, "Recopier", historique);
- wizard: FamilyBookingView (Nouvelle Réservation, the four steps, the day
  page, "Recopier la journée", the school catering year);
- staff: the agents' queues and occupancy.

Permissions are keyed by view class name (app.core.security).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.bookings.views.common import LEGEND, month_weeks, state_icon
from app.bookings.views.planning import FamilyPlanningView
from app.bookings.views.staff import (
    StaffBookingQueueView,
    StaffCancellationQueueView,
    StaffOccupancyView,
)
from app.bookings.views.wizard import FamilyBookingView

__all__ = [
    "LEGEND", "FamilyBookingView", "FamilyPlanningView", "StaffBookingQueueView",
    "StaffCancellationQueueView", "StaffOccupancyView", "month_weeks", "register_views",
    "state_icon",
]


def register_views(appbuilder) -> None:
    """Add the bookings views to the app."""
    appbuilder.add_view_no_menu(FamilyPlanningView())
    appbuilder.add_view_no_menu(FamilyBookingView())
    # One "Staff" category for every agent screen (its label is set by the
    # first area that registers it; the same here).
    staff = {"category": "Staff", "category_label": _l("Staff desk"),
             "category_icon": "fa-briefcase"}
    appbuilder.add_view(StaffBookingQueueView, "StaffBookingQueueView",
                        label=StaffBookingQueueView.title, icon="fa-hourglass-half", **staff)
    appbuilder.add_view(StaffCancellationQueueView, "StaffCancellationQueueView",
                        label=StaffCancellationQueueView.title, icon="fa-calendar-xmark", **staff)
    appbuilder.add_view(StaffOccupancyView, "StaffOccupancyView",
                        label=StaffOccupancyView.title, icon="fa-chart-bar", **staff)
