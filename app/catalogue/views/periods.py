"""Opening periods and their booking and cancellation rules."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget, Select2Widget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from app.catalogue import services
from app.catalogue.forms import CodeListField
from app.catalogue.models import Period, Reception
from app.catalogue.views.common import (
    WEEKDAY_CHOICES,
    WEEKS_CHOICES,
    CatalogueModelView,
    FrenchInterface,
    acting_user,
    int_field,
    required,
    whole_number,
    yes_no,
)
from app.catalogue.views.period_parts import (
    CatalogueOpeningDayView,
    CatalogueSlotView,
    CatalogueUnitView,
)
from app.core import clock
from app.core.errors import DomainError
from app.core.fields import FrenchDateField, FrenchDateTimeField, TimeTextField
from app.core.i18n import format_datetime, format_short_date
from app.core.states import DeadlineMode, SchoolLevel
from app.extensions import db

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
        f"{prefix}_days": whole_number(
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
    "min_age": int_field(_l("Minimum age (years)"), optional=True, maximum=25),
    "max_age": whole_number(_l("Maximum age (years)"),
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
        "term_time": yes_no, "requires_validation": yes_no, "whole_booking": yes_no,
        "waitlist_enabled": yes_no, "requires_documents": yes_no,
        "requires_school_info": yes_no, "published": yes_no,
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
        user = acting_user()
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
