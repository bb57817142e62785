"""Catalogue set-up screens (Admin edits; Agent and Comptable read, by the role
regexes of app/core/security.py): facilities, service kinds, receptions,
periods with their booking rules, slots, units, tariffs, opening days, and
the Admin-only assignment of agents to facilities.

Rules live in app/catalogue/services.py; these views only collect the input,
call them, and turn their DomainError (and database errors) into French
messages. Nothing is written when the input is refused.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.catalogue.views.common import complete_fields
from app.catalogue.views.period_parts import (
    CatalogueOpeningDayView,
    CatalogueSlotView,
    CatalogueTariffView,
    CatalogueUnitView,
)
from app.catalogue.views.periods import CataloguePeriodView
from app.catalogue.views.places import (
    CatalogueFacilityView,
    CatalogueReceptionView,
    CatalogueServiceKindView,
)
from app.catalogue.views.staff import CatalogueStaffFacilityView

for _view in (CatalogueFacilityView, CatalogueServiceKindView, CatalogueReceptionView,
              CatalogueSlotView, CatalogueUnitView, CatalogueTariffView,
              CatalogueOpeningDayView, CataloguePeriodView):
    complete_fields(_view)


def register_views(appbuilder) -> None:
    category = dict(category="Catalogue", category_label=_l("Catalogue"),
                    category_icon="fa-sitemap")
    appbuilder.add_view(CatalogueFacilityView, "CatalogueFacilityView",
                        label=_l("Facilities"), icon="fa-building", **category)
    appbuilder.add_view(CatalogueServiceKindView, "CatalogueServiceKindView",
                        label=_l("Services"), icon="fa-th-list", **category)
    appbuilder.add_view(CatalogueReceptionView, "CatalogueReceptionView",
                        label=_l("Receptions"), icon="fa-home", **category)
    appbuilder.add_view(CataloguePeriodView, "CataloguePeriodView",
                        label=_l("Opening periods"), icon="fa-calendar", **category)
    appbuilder.add_view(CatalogueSlotView, "CatalogueSlotView", label=_l("Slots"),
                        icon="fa-th", **category)
    appbuilder.add_view(CatalogueUnitView, "CatalogueUnitView", label=_l("Units"),
                        icon="fa-tags", **category)
    appbuilder.add_view(CatalogueTariffView, "CatalogueTariffView", label=_l("Tariffs"),
                        icon="fa-eur", **category)
    appbuilder.add_view(CatalogueOpeningDayView, "CatalogueOpeningDayView",
                        label=_l("Opening days"), icon="fa-calendar-check-o", **category)
    appbuilder.add_view(CatalogueStaffFacilityView, "CatalogueStaffFacilityView",
                        label=_l("Facilities of the agents"), icon="fa-user-plus",
                        **category)
