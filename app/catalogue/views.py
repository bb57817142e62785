"""Catalogue set-up screens (Admin edits; Agent and Comptable read, by the role
regexes of app/core/security.py): facilities, service kinds, receptions,
periods with their booking rules, slots, units, tariffs, opening days, and
the Admin-only assignment of agents to facilities.

Rules live in app/catalogue/services.py; these views only collect the input,
call them, and turn their DomainError (and database errors) into French
messages. Nothing is written when the input is refused.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import (
    BS3TextAreaFieldWidget,
    BS3TextFieldWidget,
    Select2ManyWidget,
    Select2Widget,
)
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterNotEqual,
    SQLAFilterConverter,
)
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from app.catalogue import services
from app.catalogue.forms import CodeListField
from app.catalogue.models import (
    Facility,
    OpeningDay,
    Period,
    Reception,
    ServiceKind,
    Slot,
    Tariff,
    Unit,
)
from app.core import clock
from app.core.errors import DomainError
from app.core.fields import (
    FrenchDateField,
    FrenchDateTimeField,
    FrenchIntegerField,
    MoneyField,
    NumberWidget,
    TimeTextField,
)
from app.core.i18n import format_day, format_datetime, format_money, format_short_date
from app.core.states import BillingBasis, DeadlineMode, SchoolLevel
from app.extensions import db
from exports.lists import ExcelExportMixin

# --------------------------------------------------------------------------
# shared pieces

REQUIRED = _l("This field is required.")
WEEKDAY_CHOICES = [(str(i), _l(name)) for i, name in enumerate(
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))]
WEEKS_CHOICES = [(1, _l("the week before")), (2, _l("two weeks before"))]
ZONE_CHOICES = [("A", _l("Zone A")), ("B", _l("Zone B")), ("C", _l("Zone C"))]


def required(form, field):
    if field.errors:  # the value could not be read: keep that message
        raise StopValidation()
    if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
        raise StopValidation(str(REQUIRED))


def _int_field(label, description="", minimum=0, optional=False, maximum=None):
    validators = [Optional()] if optional else [InputRequired(message=REQUIRED)]
    validators.append(NumberRange(min=minimum, max=maximum, message=_l(
        "Type a whole number between %(min)s and %(max)s.") if maximum is not None
        else _l("Type a whole number of at least %(min)s.")))
    return _whole_number(label, validators=validators, description=description)


def _whole_number(label, **kwargs) -> FrenchIntegerField:
    """A whole number typed in a number input, refused in the catalogue's words."""
    return FrenchIntegerField(label, invalid_value_message=_l("Not a whole number."),
                              widget=NumberWidget(), **kwargs)


def _yes_no(value) -> str:
    return _("Yes") if value else _("No")


class _FilterConverter(SQLAFilterConverter):
    """FAB's converter, knowing time columns too (it logs a warning for each
    time column of every view otherwise)."""

    conversion_table = SQLAFilterConverter.conversion_table + (
        ("is_time", [FilterEqual, FilterNotEqual]),)


class FrenchInterface(SQLAInterface):
    """SQLAInterface whose database errors come out as French messages."""

    filter_converter_class = _FilterConverter

    def is_time(self, col_name: str) -> bool:
        from sqlalchemy import Time

        column = self.list_columns.get(col_name)
        return column is not None and isinstance(getattr(column, "type", None), Time)

    def add(self, item, commit=True):
        try:
            super().add(item, commit)
        except SQLAlchemyError:
            raise DomainError(_l(
                "This could not be saved: another record already has this name or these "
                "values, or a linked record is missing.")) from None

    def edit(self, item, commit=True):
        try:
            super().edit(item, commit)
        except Exception:
            db.session.rollback()
            raise DomainError(_l(
                "This could not be saved: another record already has this name or these "
                "values, or a linked record is missing.")) from None

    def delete(self, item, commit=True):
        try:
            super().delete(item, commit)
        except Exception:
            db.session.rollback()
            raise DomainError(_l(
                "This cannot be deleted: other records depend on it (bookings, units, "
                "tariffs…). Remove them first, or unpublish it instead.")) from None


class CatalogueModelView(ExcelExportMixin, ModelView):
    """What every catalogue screen shares (with "Exporter (Excel)" on its list)."""

    page_size = 25
    # no can_download: FAB's /download/<filename> would serve any uploaded file
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    add_row_message = _l("The record was added.")
    edit_row_message = _l("The changes were saved.")
    delete_row_message = _l("The record was deleted.")
    database_error_message = _l(
        "This could not be saved: another record already has this name or these values, "
        "or a linked record is missing.")

    def post_add(self, item):
        from flask import g

        g.catalogue_added_pk = item.id

    def post_add_redirect(self):
        """After an add, show the new record (its related lists and actions)."""
        from flask import g

        pk = getattr(g, "catalogue_added_pk", None)
        if pk is not None:
            return redirect(url_for(f"{type(self).__name__}.show", pk=pk))
        return super().post_add_redirect()

    def _refuse(self, error: DomainError):
        """Undo what the hook started and let FAB flash the French message."""
        db.session.rollback()
        raise error

    def _flush(self, item):
        try:
            db.session.add(item)
            db.session.flush()
        except SQLAlchemyError:
            db.session.rollback()
            raise DomainError(self.database_error_message) from None


def _period_label(period: Period) -> str:
    return f"{period.reception.facility.name} › {period.name}"


def _periods():
    return db.session.scalars(select(Period).options(
        joinedload(Period.reception).joinedload(Reception.facility))
        .order_by(Period.start_date.desc(), Period.name)).unique().all()


def _period_field(description=""):
    return QuerySelectField(_l("Opening period"), query_func=_periods,
                            get_pk_func=lambda p: p.id, get_label=_period_label,
                            widget=Select2Widget(), validators=[required],
                            description=description)


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
    formatters_columns = {"active": _yes_no}


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
        "allows_registration": _yes_no, "allows_booking": _yes_no, "allows_payment": _yes_no,
        "allows_cancellation": _yes_no, "allows_programme": _yes_no,
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


# --------------------------------------------------------------------------
# slots, units, tariffs, opening days (shown under their period too)


class CatalogueSlotView(CatalogueModelView):
    datamodel = FrenchInterface(Slot)
    list_title = _l("Slots")
    show_title = _l("Slot")
    add_title = _l("Add a slot")
    edit_title = _l("Edit a slot")
    list_columns = ["period", "name", "capacity"]
    add_columns = ["period", "name", "capacity", "position"]
    edit_columns = ["name", "capacity", "position"]
    show_columns = ["period", "name", "capacity", "position"]
    search_columns = ["name", "period"]
    base_order = ("period_id", "asc")
    label_columns = {"period": _l("Opening period"), "name": _l("Slot name"),
                     "capacity": _l("Places per day"), "position": _l("Display order")}
    description_columns = {
        "name": _l("A pool of places per day, e.g. matin, repas, après-midi."),
        "capacity": _l("How many children this slot takes each opening day."),
    }
    add_form_extra_fields = {
        "period": _period_field(),
        "name": StringField(widget=BS3TextFieldWidget(), label=_l("Slot name"),
                            validators=[required, Length(max=80)]),
        "capacity": _int_field(_l("Places per day")),
        "position": _int_field(_l("Display order"), optional=True),
    }
    edit_form_extra_fields = {k: v for k, v in add_form_extra_fields.items() if k != "period"}

    def pre_add(self, item):
        if item.position is None:
            item.position = 0
        self._flush(item)
        services.ensure_slot_days(item.period)

    def pre_update(self, item):
        if item.position is None:
            item.position = 0


def _slots():
    return db.session.scalars(select(Slot).options(
        joinedload(Slot.period).joinedload(Period.reception).joinedload(Reception.facility))
        .order_by(Slot.period_id, Slot.position)).unique().all()


class CatalogueUnitView(CatalogueModelView):
    datamodel = FrenchInterface(Unit)
    list_title = _l("Units")
    show_title = _l("Unit")
    add_title = _l("Add a unit")
    edit_title = _l("Edit a unit")
    list_columns = ["period", "name", "colour", "start_time", "end_time", "slots"]
    add_columns = ["period", "name", "colour", "start_time", "end_time", "slot_list",
                   "position"]
    edit_columns = ["name", "colour", "start_time", "end_time", "slot_list", "position"]
    show_columns = ["period", "name", "colour", "start_time", "end_time", "slots", "position"]
    search_columns = ["name", "period"]
    base_order = ("period_id", "asc")
    label_columns = {
        "period": _l("Opening period"), "name": _l("Unit name"), "colour": _l("Colour"),
        "start_time": _l("Start time"), "end_time": _l("End time"),
        "slots": _l("Slots taken"), "slot_list": _l("Slots taken"),
        "position": _l("Display order"),
    }
    description_columns = {
        "name": _l("As families choose it, e.g. MERCREDI JOURNEE AVEC REPAS."),
        "colour": _l("Colour of the unit in the planning, e.g. #dd4b39."),
        "start_time": _l("The hours count for the CAF statistics."),
        "slot_list": _l("The slots of the same period this unit takes a place in "
                        "(JOURNEE AVEC REPAS: matin, repas, après-midi)."),
    }
    add_form_extra_fields = {
        "period": _period_field(),
        "name": StringField(widget=BS3TextFieldWidget(), label=_l("Unit name"),
                            validators=[required, Length(max=120)]),
        "colour": StringField(widget=BS3TextFieldWidget(), label=_l("Colour"),
                              default="#3c8dbc", validators=[required, Regexp(
            r"^#[0-9A-Fa-f]{6}$", message=_l("Type a colour as # and six hexadecimal "
                                              "digits, e.g. #dd4b39."))]),
        "start_time": TimeTextField(_l("Start time")),
        "end_time": TimeTextField(_l("End time")),
        "slot_list": QuerySelectMultipleField(
            _l("Slots taken"), query_func=_slots, get_pk_func=lambda s: s.id,
            get_label=lambda s: f"{_period_label(s.period)} › {s.name}",
            widget=Select2ManyWidget()),
        "position": _int_field(_l("Display order"), optional=True),
    }
    edit_form_extra_fields = {k: v for k, v in add_form_extra_fields.items() if k != "period"}
    formatters_columns = {
        "start_time": lambda t: t.strftime("%H:%M") if t else "",
        "end_time": lambda t: t.strftime("%H:%M") if t else "",
        "slots": lambda slots: ", ".join(s.name for s in slots),
    }

    def prefill_form(self, form, pk):
        unit = db.session.get(Unit, pk)
        if unit is not None:
            form.slot_list.data = list(unit.slots)

    def _times(self, item):
        if item.start_time and item.end_time and item.end_time <= item.start_time:
            raise DomainError(_l("The end time must be after the start time."))

    def pre_add(self, item):
        slots = list(getattr(item, "slot_list", None) or [])
        try:
            self._times(item)
            if item.position is None:
                item.position = 0
            self._flush(item)
            services.set_unit_slots(item, slots)
        except DomainError as error:
            self._refuse(error)

    def pre_update(self, item):
        slots = list(getattr(item, "slot_list", None) or [])
        try:
            self._times(item)
            if item.position is None:
                item.position = 0
            services.set_unit_slots(item, slots)
        except DomainError as error:
            self._refuse(error)


def _units():
    return db.session.scalars(select(Unit).options(
        joinedload(Unit.period).joinedload(Period.reception).joinedload(Reception.facility))
        .order_by(Unit.period_id, Unit.position)).unique().all()


def _qf_max_check(form, field):
    if field.data is not None and form.qf_min.data is not None and field.data < form.qf_min.data:
        raise ValidationError(_l("The upper bound of the bracket must be at least its lower "
                                 "bound."))


class CatalogueTariffView(CatalogueModelView):
    datamodel = FrenchInterface(Tariff)
    list_title = _l("Tariffs")
    show_title = _l("Tariff")
    add_title = _l("Add a tariff")
    edit_title = _l("Edit a tariff")
    list_columns = ["unit", "qf_min", "qf_max", "price_cents"]
    add_columns = edit_columns = ["unit", "qf_min", "qf_max", "price_cents"]
    show_columns = ["unit", "qf_min", "qf_max", "price_cents"]
    search_columns = ["unit", "qf_min", "price_cents"]
    base_order = ("unit_id", "asc")
    label_columns = {"unit": _l("Unit"), "qf_min": _l("Family quotient from"),
                     "qf_max": _l("Family quotient up to"), "price_cents": _l("Price")}
    description_columns = {
        "qf_min": _l("Lower bound of the bracket, in euros, included."),
        "qf_max": _l("Upper bound, included; leave empty for the highest bracket."),
        "price_cents": _l("Price of one day of this unit, in euros, e.g. 3,45."),
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "unit": QuerySelectField(_l("Unit"), query_func=_units, get_pk_func=lambda u: u.id,
                                 get_label=lambda u: f"{_period_label(u.period)} › {u.name}",
                                 widget=Select2Widget(), validators=[required]),
        "qf_min": _int_field(_l("Family quotient from")),
        "qf_max": _whole_number(_l("Family quotient up to"),
                                      validators=[Optional(), _qf_max_check]),
        "price_cents": MoneyField(_l("Price"), validators=[required]),
    }
    formatters_columns = {
        "price_cents": format_money,
        "qf_max": lambda v: "" if v is None else v,
        "unit": lambda u: f"{u.period.name} › {u.name}",
    }

    def _check(self, item, exclude_id=None):
        try:
            services.check_tariff_bracket(item.unit.id if item.unit else item.unit_id,
                                          item.qf_min, item.qf_max, exclude_id=exclude_id)
        except DomainError as error:
            self._refuse(error)

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item, exclude_id=item.id)


class CatalogueOpeningDayView(CatalogueModelView):
    datamodel = FrenchInterface(OpeningDay)
    base_permissions = ["can_list", "can_show", "can_add", "can_delete"]
    list_title = _l("Opening days")
    show_title = _l("Opening day")
    add_title = _l("Add an opening day")
    list_columns = ["period", "date"]
    add_columns = ["period", "date"]
    show_columns = ["period", "date"]
    search_columns = ["period", "date"]
    base_order = ("date", "asc")
    label_columns = {"period": _l("Opening period"), "date": _l("Opening day")}
    add_form_extra_fields = {
        "period": _period_field(),
        "date": FrenchDateField(_l("Opening day"), validators=[required]),
    }
    formatters_columns = {"date": format_day}

    def pre_add(self, item):
        try:
            services.prepare_new_opening_day(item.period, item.date)
            self._flush(item)
            services.add_slot_days(item.period, item.date)
        except DomainError as error:
            self._refuse(error)

    def pre_delete(self, item):
        try:
            services.release_opening_day(item)
        except DomainError as error:
            self._refuse(error)


# --------------------------------------------------------------------------
# periods and their booking rules


def _end_after_start(form, field):
    if field.data and form.start_date.data and field.data < form.start_date.data:
        raise ValidationError(_l("The end date must be on or after the start date."))


def _max_age_check(form, field):
    if field.data is not None and form.min_age.data is not None and field.data < form.min_age.data:
        raise ValidationError(_l("The maximum age must be at least the minimum age."))


def _deadline_time_check(prefix):
    def check(form, field):
        mode = getattr(form, f"{prefix}_mode").data
        if mode and mode != DeadlineMode.NONE.value and field.data is None:
            raise ValidationError(_l("Give the time of the deadline (HH:MM)."))
    return check


def _deadline_fields(prefix: str, what) -> dict:
    return {
        f"{prefix}_mode": SelectField(
            _l("%(what)s: rule", what=what), choices=DeadlineMode.choices(),
            render_kw={"class": "form-control"},
            default=DeadlineMode.NONE.value),
        f"{prefix}_days": _whole_number(
            _l("%(what)s: number of days before", what=what), default=0,
            validators=[Optional(), NumberRange(min=0, max=365, message=_l(
                "Type a whole number between %(min)s and %(max)s."))]),
        f"{prefix}_working_days": BooleanField(
            _l("%(what)s: count working days only", what=what)),
        f"{prefix}_weekday": SelectField(
            _l("%(what)s: weekday", what=what), choices=[(int(v), l) for v, l in
                                                         WEEKDAY_CHOICES],
            coerce=int, default=0, render_kw={"class": "form-control"}),
        f"{prefix}_weeks": SelectField(_l("%(what)s: which week", what=what),
                                       choices=WEEKS_CHOICES, coerce=int, default=1,
                                       render_kw={"class": "form-control"}),
        f"{prefix}_time": TimeTextField(_l("%(what)s: at (time)", what=what),
                                        validators=[_deadline_time_check(prefix)]),
    }


BOOKING = _l("Booking deadline")
CANCELLATION = _l("Cancellation deadline")

PERIOD_FIELDS = {
    "reception": QuerySelectField(
        _l("Reception"), query_func=lambda: db.session.scalars(select(Reception).options(
            joinedload(Reception.facility), joinedload(Reception.service_kind))
            .order_by(Reception.facility_id, Reception.name)).unique().all(),
        get_pk_func=lambda r: r.id, get_label=str, widget=Select2Widget(),
        validators=[required]),
    "name": StringField(widget=BS3TextFieldWidget(), label=_l("Period name"),
                        validators=[required, Length(max=160)]),
    "description": TextAreaField(_l("Period description"), widget=BS3TextAreaFieldWidget()),
    "start_date": FrenchDateField(_l("First day"), validators=[required]),
    "end_date": FrenchDateField(_l("Last day"), validators=[required, _end_after_start]),
    "weekdays": CodeListField(_l("Days of the week"), choices=WEEKDAY_CHOICES,
                              validators=[InputRequired(
                                  message=_l("Choose at least one day of the week."))]),
    "min_age": _int_field(_l("Minimum age (years)"), optional=True, maximum=25),
    "max_age": _whole_number(_l("Maximum age (years)"),
                                   validators=[Optional(), NumberRange(
                                       min=0, max=25, message=_l(
                                           "Type a whole number between %(min)s and "
                                           "%(max)s.")), _max_age_check]),
    "school_levels": CodeListField(_l("School levels"), choices=SchoolLevel.choices()),
    "booking_opens_at": FrenchDateTimeField(_l("Booking opens on")),
    **_deadline_fields("booking_deadline", BOOKING),
    **_deadline_fields("cancel_deadline", CANCELLATION),
}

PERIOD_LABELS = {
    "reception": _l("Reception"), "name": _l("Period name"),
    "description": _l("Period description"), "start_date": _l("First day"),
    "end_date": _l("Last day"), "weekdays": _l("Days of the week"),
    "term_time": _l("Closed during school holidays"), "min_age": _l("Minimum age (years)"),
    "max_age": _l("Maximum age (years)"), "school_levels": _l("School levels"),
    "booking_opens_at": _l("Booking opens on"),
    "requires_validation": _l("Requests validated by an agent"),
    "whole_booking": _l("Booked as a whole (séjour)"),
    "waitlist_enabled": _l("Waiting list when full"),
    "requires_documents": _l("Valid documents required"),
    "requires_school_info": _l("School information required"),
    "published": _l("Shown to families"),
}
for _prefix, _what in (("booking_deadline", BOOKING), ("cancel_deadline", CANCELLATION)):
    for _name, _field in _deadline_fields(_prefix, _what).items():
        PERIOD_LABELS[_name] = _field.args[0] if _field.args else _field.kwargs.get("label")

PERIOD_DESCRIPTIONS = {
    "name": _l("E.g. ACM MERCREDI MATERNELLE 2026-2027."),
    "weekdays": _l("The weekdays the period opens on; public holidays are always left out."),
    "term_time": _l("Leave out the school holidays of the facility's zone (mercredis, "
                    "soirs, cantines)."),
    "min_age": _l("Age on the day booked, included. Leave empty for no limit."),
    "school_levels": _l("Leave empty to accept every level."),
    "booking_opens_at": _l("Families may book from this date and time. Leave empty: "
                           "open now."),
    "booking_deadline_mode": _l("No deadline; or N days before the day at a given time "
                                "(e.g. 2 days before at 12:00); or a weekday of the "
                                "previous week at a given time (e.g. Thursday of the week "
                                "before at 12:00)."),
    "booking_deadline_working_days": _l("Count only working days (Monday to Friday, "
                                        "public holidays excluded)."),
    "booking_deadline_weeks": _l("For the weekday rule: the week before the day booked, "
                                 "or two weeks before."),
    "cancel_deadline_mode": _l("Past this deadline the portal refuses the cancellation "
                               "and tells the family whom to call."),
    "requires_validation": _l("Unticked: requests are accepted at once, without an agent."),
    "whole_booking": _l("Every day of the period is booked together (séjours)."),
    "waitlist_enabled": _l("When a day is full, requests go on the waiting list."),
    "requires_documents": _l("The household's required documents must be accepted and "
                             "valid to book."),
    "requires_school_info": _l("The child's school information of the year is needed "
                               "(cantines)."),
}


class CataloguePeriodView(CatalogueModelView):
    datamodel = FrenchInterface(Period)
    list_title = _l("Opening periods")
    show_title = _l("Opening period")
    add_title = _l("Add an opening period")
    edit_title = _l("Edit an opening period")
    list_columns = ["name", "reception", "start_date", "end_date", "requires_validation",
                    "published"]
    search_columns = ["name", "reception", "start_date", "end_date", "published"]
    base_order = ("start_date", "desc")
    label_columns = dict(PERIOD_LABELS, booking_rule=_l("Booking deadline"),
                         cancel_rule=_l("Cancellation deadline"))
    description_columns = PERIOD_DESCRIPTIONS
    add_form_extra_fields = edit_form_extra_fields = PERIOD_FIELDS
    _general = ["reception", "name", "description", "start_date", "end_date", "weekdays",
                "term_time", "published"]
    _who = ["min_age", "max_age", "school_levels", "requires_documents",
            "requires_school_info"]
    _booking = ["booking_opens_at", "booking_deadline_mode", "booking_deadline_days",
                "booking_deadline_working_days", "booking_deadline_weekday",
                "booking_deadline_weeks", "booking_deadline_time", "requires_validation",
                "whole_booking", "waitlist_enabled"]
    _cancel = ["cancel_deadline_mode", "cancel_deadline_days", "cancel_deadline_working_days",
               "cancel_deadline_weekday", "cancel_deadline_weeks", "cancel_deadline_time"]
    add_fieldsets = edit_fieldsets = [
        (_l("Period"), {"fields": _general}),
        (_l("Who may book"), {"fields": _who}),
        (_l("Booking rules"), {"fields": _booking}),
        (_l("Cancellation rules"), {"fields": _cancel}),
    ]
    show_fieldsets = [
        (_l("Period"), {"fields": _general}),
        (_l("Who may book"), {"fields": _who}),
        (_l("Booking rules"), {"fields": ["booking_opens_at", "booking_rule",
                                          "requires_validation", "whole_booking",
                                          "waitlist_enabled"]}),
        (_l("Cancellation rules"), {"fields": ["cancel_rule"]}),
    ]
    related_views = [CatalogueSlotView, CatalogueUnitView, CatalogueOpeningDayView]
    formatters_columns = {
        "start_date": format_short_date, "end_date": format_short_date,
        "booking_opens_at": format_datetime,
        "weekdays": lambda v: ", ".join(str(WEEKDAY_CHOICES[int(d)][1]).lower()
                                        for d in (v or "").split(",") if d.strip()),
        "school_levels": lambda v: ", ".join((v or "").split(",")) if v else _("Every level"),
        "term_time": _yes_no, "requires_validation": _yes_no, "whole_booking": _yes_no,
        "waitlist_enabled": _yes_no, "requires_documents": _yes_no,
        "requires_school_info": _yes_no, "published": _yes_no,
        "booking_deadline_mode": DeadlineMode.label_of,
        "cancel_deadline_mode": DeadlineMode.label_of,
        "booking_deadline_time": lambda t: t.strftime("%H:%M") if t else "",
        "cancel_deadline_time": lambda t: t.strftime("%H:%M") if t else "",
    }

    def _check(self, item):
        for prefix in ("booking_deadline", "cancel_deadline"):
            if getattr(item, f"{prefix}_days") is None:
                setattr(item, f"{prefix}_days", 0)
        try:
            services.check_period_dates(item.start_date, item.end_date)
            if item.weekdays is None:
                raise DomainError(_l("Choose at least one day of the week."))
            with db.session.no_autoflush:
                duplicate = db.session.scalar(select(Period.id).where(
                    Period.reception_id == item.reception.id, Period.name == item.name,
                    Period.id != (item.id or 0)))
            if duplicate:
                raise DomainError(_l("This reception already has a period with this name."))
        except DomainError as error:
            self._refuse(error)

    def pre_add(self, item):
        self._check(item)

    def pre_update(self, item):
        self._check(item)
        try:
            removed = services.trim_opening_days(item)
        except DomainError as error:
            self._refuse(error)
        if removed:
            flash(_("%(count)s opening day(s) outside the new dates were removed.",
                    count=removed), "info")

    def post_add(self, item):
        super().post_add(item)
        flash(_("Now add its slots and units, then generate its opening days."), "info")

    @action("generate_days", _l("Generate the opening days"),
            _l("Add the opening days of the selected periods from their weekdays and dates "
               "(public holidays, and school holidays for term-time periods, left out)?"),
            "fa-calendar", multiple=True, single=True)
    def generate_days(self, items):
        if items is None:
            abort(404)
        periods = items if isinstance(items, list) else [items]
        periods = [p for p in periods if p is not None]
        if not periods:
            abort(404)
        now = clock.now()
        user = _current_user()
        if not self.appbuilder.sm.has_access("generate_days", self.class_permission_name):
            abort(403)
        for period in periods:
            added = services.generate_days(user, period, now)
            flash(_("%(period)s: %(count)s opening day(s) added.", period=period.name,
                    count=added), "success")
        db.session.commit()
        if len(periods) == 1:
            return redirect(url_for("CataloguePeriodView.show", pk=periods[0].id))
        return redirect(url_for("CataloguePeriodView.list"))


def _current_user():
    from flask import g

    return getattr(g, "user", None)


# --------------------------------------------------------------------------
# Admin only: which facilities each agent sees


class CatalogueStaffFacilityView(BaseView):
    """Assign agents to facilities. Only Admin has ``can_assign``; agents may read
    the list (``can_list``, the role matrix's read access to Catalogue screens)."""

    route_base = "/catalogue/agents"
    default_view = "list"

    @expose("/", methods=["GET"])
    @has_access
    def list(self):
        from app.core.security import AGENT

        sm = self.appbuilder.sm
        role = sm.find_role(AGENT)
        agents = sorted((u for u in (role.user if role else [])),
                        key=lambda u: (u.last_name.upper(), u.first_name))
        facilities = db.session.scalars(select(Facility).order_by(Facility.name)).all()
        assigned = {user.id: services.staff_facility_ids(user.id) for user in agents}
        can_assign = sm.has_access("can_assign", self.class_permission_name)
        return self.render_template("catalogue/staff_facilities.html",
                                    title=_("Facilities of the agents"), agents=agents,
                                    facilities=facilities, assigned=assigned,
                                    can_assign=can_assign)

    @expose("/<int:user_id>", methods=["POST"])
    @has_access
    def assign(self, user_id):
        from app.core.security import AGENT

        sm = self.appbuilder.sm
        user = db.session.get(sm.user_model, user_id)
        if user is None or not any(role.name == AGENT for role in user.roles):
            abort(404)
        try:
            services.assign_facilities(_current_user(), user,
                                       request.form.getlist("facility_id"), clock.now())
            db.session.commit()
        except (DomainError, ValueError):
            db.session.rollback()
            flash(_("Unknown facility."), "danger")
            return redirect(url_for("CatalogueStaffFacilityView.list"))
        flash(_("The facilities of %(name)s were saved.",
                name=f"{user.first_name} {user.last_name}"), "success")
        return redirect(url_for("CatalogueStaffFacilityView.list"))


def _complete_fields(view) -> None:
    """Finish the forms of a view:
    - booleans become plain check boxes (FAB makes a non-nullable boolean "required",
      so an unticked box would be refused), and text columns that default to ""
      become optional fields;
    - the fields defined here get the descriptions of ``description_columns``
      (FAB only applies them to the fields it builds itself).
    """
    from sqlalchemy import Boolean, String, Text

    table = view.datamodel.obj.__table__
    labels = view.label_columns or {}
    descriptions = view.description_columns or {}
    def listed(columns, fieldsets):
        if fieldsets:
            return [name for _title, group in fieldsets for name in group["fields"]]
        return columns or []

    for attr, columns in (
            ("add_form_extra_fields", listed(view.add_columns, view.add_fieldsets)),
            ("edit_form_extra_fields", listed(view.edit_columns, view.edit_fieldsets))):
        fields = dict(getattr(view, attr) or {})
        for name in columns:
            if name in fields or name not in table.c:
                continue
            column = table.c[name]
            label = labels.get(name, name)
            if isinstance(column.type, Boolean):
                default = bool(column.default.arg) if column.default is not None else False
                fields[name] = BooleanField(label, default=default)
            elif isinstance(column.type, Text):
                fields[name] = TextAreaField(label, validators=[Optional()],
                                             widget=BS3TextAreaFieldWidget())
            elif isinstance(column.type, String) and column.default is not None \
                    and column.default.arg == "":
                fields[name] = StringField(label, widget=BS3TextFieldWidget(), validators=[
                    Optional(), Length(max=column.type.length or 10000)])
        for name, field in fields.items():
            text = descriptions.get(name)
            if text is not None and hasattr(field, "kwargs"):
                field.kwargs.setdefault("description", text)
        setattr(view, attr, fields)


for _view in (CatalogueFacilityView, CatalogueServiceKindView, CatalogueReceptionView,
              CatalogueSlotView, CatalogueUnitView, CatalogueTariffView,
              CatalogueOpeningDayView, CataloguePeriodView):
    _complete_fields(_view)


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
