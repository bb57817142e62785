"""Families screens. Views stay thin: forms check the input, services apply
the rules, and every family lookup goes through app.families.access.

- ``public``: RegistrationView (no permission) — create an account, confirm
  the address, ask for a new link, forgotten password, accept an invitation;
- ``account``: FamilyAccountView — "Mon compte" hub, profile, household,
  other responsable, submission, password, my data, closure;
- ``children``: FamilyChildView — children, authorised persons, school
  information;
- ``documents``: FamilyDocumentView — "Mes documents";
- ``staff``: StaffHouseholdQueueView (validation queue, household file,
  document checks) and StaffDocumentTypeView (document types);
- ``common``: TEMPLATE_GLOBALS, field_label and the helpers they share.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.core.views_common import add_menu_views
from app.families.views.account import FamilyAccountView
from app.families.views.children import FamilyChildView
from app.families.views.common import TEMPLATE_GLOBALS, field_label
from app.families.views.documents import FamilyDocumentView
from app.families.views.public import RegistrationView
from app.families.views.staff import StaffDocumentTypeView, StaffHouseholdQueueView

__all__ = ["FamilyAccountView", "FamilyChildView", "FamilyDocumentView", "RegistrationView",
           "StaffDocumentTypeView", "StaffHouseholdQueueView", "TEMPLATE_GLOBALS",
           "field_label", "register_views"]


STAFF_MENU = dict(category="Staff", category_label=_l("Staff desk"),
                  category_icon="fa-briefcase")


def register_views(appbuilder) -> None:
    for view in (RegistrationView, FamilyAccountView, FamilyChildView, FamilyDocumentView):
        appbuilder.add_view_no_menu(view())
    add_menu_views(appbuilder, STAFF_MENU, (
        (StaffHouseholdQueueView, _l("Families to validate"), "fa-users"),
        (StaffDocumentTypeView, _l("Documents to provide"), "fa-file-text-o")))
