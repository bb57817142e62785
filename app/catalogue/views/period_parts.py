"""What a period is made of: slots, units (meal plans), tariffs, opening days."""

from __future__ import annotations

from flask_appbuilder.fields import QuerySelectField, QuerySelectMultipleField
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2ManyWidget, Select2Widget
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from app.catalogue import services
from app.catalogue.models import OpeningDay, Period, Reception, Slot, Tariff, Unit
from app.catalogue.views.common import (
    CatalogueModelView,
    FrenchInterface,
    int_field,
    period_field,
    period_label,
    required,
    whole_number,
)
from app.core.errors import DomainError
from app.core.fields import FrenchDateField, MoneyField, TimeTextField
from app.core.i18n import format_day, format_money
from app.extensions import db

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
        "period": period_field(),
        "name": StringField(widget=BS3TextFieldWidget(), label=_l("Slot name"),
                            validators=[required, Length(max=80)]),
        "capacity": int_field(_l("Places per day")),
        "position": int_field(_l("Display order"), optional=True),
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
        "period": period_field(),
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
            get_label=lambda s: f"{period_label(s.period)} › {s.name}",
            widget=Select2ManyWidget()),
        "position": int_field(_l("Display order"), optional=True),
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
                                 get_label=lambda u: f"{period_label(u.period)} › {u.name}",
                                 widget=Select2Widget(), validators=[required]),
        "qf_min": int_field(_l("Family quotient from")),
        "qf_max": whole_number(_l("Family quotient up to"),
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
        "period": period_field(),
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
