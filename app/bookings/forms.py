"""Forms of the bookings screens (server-side validation, French messages).

Choices that depend on the household or the period are set by the views
before validation; WTForms then refuses any value that is not offered.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ChildStepForm(FlaskForm):
    child = RadioField(_l("Child for this booking"), coerce=int,
                       validators=[InputRequired(message=_l("Please choose a child."))])


class PeriodStepForm(FlaskForm):
    period = RadioField(_l("Opening period for this booking"), coerce=int,
                        validators=[InputRequired(message=_l("Please choose an opening period."))])


class DayUnitForm(FlaskForm):
    unit = RadioField(_l("Meal plan for this day"), coerce=int,
                      validators=[InputRequired(message=_l("Please choose a meal plan."))])


class RemoveDayForm(FlaskForm):
    day = HiddenField(validators=[DataRequired()])
    unit = HiddenField(validators=[DataRequired()])


class CantineForm(FlaskForm):
    weekdays = MultiCheckboxField(_l("Days of the week at the canteen"), coerce=int,
                                  validators=[DataRequired(message=_l("Please choose at least one day of the week."))])
    unit = RadioField(_l("Meal plan for this day"), coerce=int,
                      validators=[InputRequired(message=_l("Please choose a meal plan."))])


RECOPY_MODES = (
    ("day", _l("Copy to another day")),
    ("week", _l("Copy to a whole week")),
    ("targets", _l("Target dates")),
)


class RecopyForm(FlaskForm):
    mode = RadioField(_l("Copy the day"), choices=RECOPY_MODES, default="day",
                      validators=[InputRequired(message=_l("Please choose how to copy the day."))])
    target_day = DateField(_l("Target day"), validators=[Optional()])
    week_day = DateField(_l("A day of the target week"), validators=[Optional()])
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date)"), validators=[Optional()])
    weekdays = MultiCheckboxField(_l("Days of the week to copy to"), coerce=int,
                                  validators=[Optional()])
    every = RadioField(_l("Frequency of the copy"), coerce=int,
                       choices=((1, _l("Every week")), (2, _l("1 week in 2"))), default=1,
                       validators=[Optional()])
    months = MultiCheckboxField(_l("Months to copy to"), validators=[Optional()])
    confirm = HiddenField(default="")


class CancelForm(FlaskForm):
    scope = RadioField(_l("What to cancel"), choices=(
        ("one", _l("This request")), ("many", _l("Several days"))), default="one",
        validators=[InputRequired()])
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date)"), validators=[Optional()])
    comment = TextAreaField(_l("Comment for the service"), validators=[Optional(), Length(max=1000)])
    confirm = HiddenField(default="")


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    facility = SelectField(_l("Facility filter"), coerce=int, validators=[Optional()])
    period = SelectField(_l("Period filter"), coerce=int, validators=[Optional()])
    day = DateField(_l("Day filter"), validators=[Optional()])
    child = StringField(_l("Child name filter"), validators=[Optional(), Length(max=100)])


class QueueActionForm(FlaskForm):
    action = HiddenField()
    reason = TextAreaField(_l("Reason given to the family"),
                           validators=[Optional(), Length(max=1000)])
