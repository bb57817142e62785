"""Facilities, service kinds and receptions."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Regexp

from app.catalogue.models import Facility, Reception, ServiceKind
from app.catalogue.views.common import (
    ZONE_CHOICES,
    CatalogueModelView,
    FrenchInterface,
    required,
    yes_no,
)
from app.core.states import BillingBasis

# --------------------------------------------------------------------------
# facilities, service kinds, receptions


class CatalogueFacilityView(CatalogueModelView):
    datamodel = FrenchInterface(Facility)
    list_title = _l("Facilities")
    show_title = _l("Facility")
    add_title = _l("Add a facility")
    edit_title = _l("Edit a facility")
    list_columns = ["name", "city", "phone", "email", "school_zone", "active"]
    columns = ["name", "address", "postcode", "city", "phone", "email", "opening_hours",
               "description", "school_zone", "active"]
    add_columns = edit_columns = show_columns = columns
    search_columns = ["name", "city", "active"]
    base_order = ("name", "asc")
    label_columns = {
        "name": _l("Facility name"), "address": _l("Street address"),
        "postcode": _l("Postcode"), "city": _l("Town"), "phone": _l("Phone number"),
        "email": _l("E-mail address"), "opening_hours": _l("Opening hours"),
        "description": _l("Public description"), "school_zone": _l("School holiday zone"),
        "active": _l("Active facility"),
    }
    description_columns = {
        "school_zone": _l("Used to leave out the school holidays when the opening days of "
                          "term-time periods are generated."),
        "active": _l("Inactive facilities are no longer offered to families."),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "name": StringField(widget=BS3TextFieldWidget(), label=_l("Facility name"),
                            validators=[required, Length(max=120)]),
        "school_zone": SelectField(_l("School holiday zone"), choices=ZONE_CHOICES,
                                   default="C", render_kw={"class": "form-control"}),
    }
    formatters_columns = {"active": yes_no}


class CatalogueServiceKindView(CatalogueModelView):
    datamodel = FrenchInterface(ServiceKind)
    list_title = _l("Services")
    show_title = _l("Service")
    add_title = _l("Add a service")
    edit_title = _l("Edit a service")
    list_columns = ["name", "allows_registration", "allows_booking", "allows_payment",
                    "allows_cancellation", "allows_programme", "billing_basis"]
    columns = ["code", "name", "position", "description", "allows_registration",
               "allows_booking", "allows_payment", "allows_cancellation", "allows_programme",
               "billing_basis"]
    add_columns = edit_columns = show_columns = columns
    search_columns = ["name", "code"]
    base_order = ("position", "asc")
    label_columns = {
        "code": _l("Service code"), "name": _l("Service name"),
        "position": _l("Order in menus"), "description": _l("Service description"),
        "allows_registration": _l("Registration online"),
        "allows_booking": _l("Booking of days online"),
        "allows_payment": _l("Payment online"),
        "allows_cancellation": _l("Cancellation of days online"),
        "allows_programme": _l("Programmes online"),
        "billing_basis": _l("Billing basis"),
    }
    description_columns = {
        "code": _l("Short technical code, letters and underscores (e.g. acm_mercredi)."),
        "allows_cancellation": _l("Cantines: no cancellation online; families call the "
                                  "service."),
        "allows_payment": _l("Nothing is paid online yet."),
        "billing_basis": _l("Booked days (minus the days cancelled in time), or attended "
                            "days only (cantines)."),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "code": StringField(widget=BS3TextFieldWidget(), label=_l("Service code"),
                            validators=[required, Regexp(
            r"^[a-z][a-z0-9_]{1,39}$",
            message=_l("Use lower-case letters, digits and underscores only."))]),
        "name": StringField(widget=BS3TextFieldWidget(), label=_l("Service name"),
                            validators=[required, Length(max=120)]),
        "billing_basis": SelectField(_l("Billing basis"), choices=BillingBasis.choices(),
                                     render_kw={"class": "form-control"},
                                     default=BillingBasis.BOOKED.value),
    }
    formatters_columns = {
        "allows_registration": yes_no, "allows_booking": yes_no, "allows_payment": yes_no,
        "allows_cancellation": yes_no, "allows_programme": yes_no,
        "billing_basis": BillingBasis.label_of,
    }


class CatalogueReceptionView(CatalogueModelView):
    datamodel = FrenchInterface(Reception)
    list_title = _l("Receptions")
    show_title = _l("Reception")
    add_title = _l("Add a reception")
    edit_title = _l("Edit a reception")
    list_columns = ["facility", "service_kind", "name"]
    add_columns = edit_columns = show_columns = ["facility", "service_kind", "name"]
    search_columns = ["name", "facility", "service_kind"]
    base_order = ("name", "asc")
    label_columns = {"facility": _l("Facility"), "service_kind": _l("Service"),
                     "name": _l("Reception name")}
    description_columns = {"name": _l("As families read it, e.g. MERCREDIS.")}
    add_form_query_rel_fields = {"facility": [["active", FilterEqual, True]]}
    add_form_extra_fields = edit_form_extra_fields = {
        "name": StringField(widget=BS3TextFieldWidget(), label=_l("Reception name"),
                            validators=[required, Length(max=120)]),
    }
