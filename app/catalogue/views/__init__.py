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
from app.core.views_common import add_menu_views

for _view in (CatalogueFacilityView, CatalogueServiceKindView, CatalogueReceptionView,
              CatalogueSlotView, CatalogueUnitView, CatalogueTariffView,
              CatalogueOpeningDayView, CataloguePeriodView):
    complete_fields(_view)


def register_views(appbuilder) -> None:
    category = dict(category="Catalogue", category_label=_l("Catalogue"),
                    category_icon="fa-sitemap")
    add_menu_views(appbuilder, category, (
        (CatalogueFacilityView, _l("Facilities"), "fa-building"),
        (CatalogueServiceKindView, _l("Services"), "fa-th-list"),
        (CatalogueReceptionView, _l("Receptions"), "fa-home"),
        (CataloguePeriodView, _l("Opening periods"), "fa-calendar"),
        (CatalogueSlotView, _l("Slots"), "fa-th"),
        (CatalogueUnitView, _l("Units"), "fa-tags"),
        (CatalogueTariffView, _l("Tariffs"), "fa-eur"),
        (CatalogueOpeningDayView, _l("Opening days"), "fa-calendar-check-o"),
        (CatalogueStaffFacilityView, _l("Facilities of the agents"), "fa-user-plus"),
    ))
