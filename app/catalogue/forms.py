"""Form fields of the catalogue screens, in French formats.

Dates are typed "JJ/MM/AAAA" (ISO "AAAA-MM-JJ" is accepted too), times
"HH:MM", prices "3,45" (stored in cents). Lists of codes (weekdays, school
levels) are multiple selects stored as comma-separated text.
"""

from __future__ import annotations

import datetime as dt
from decimal import InvalidOperation

from flask_appbuilder.fieldwidgets import Select2ManyWidget
from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectMultipleField, ValidationError, widgets

from app.core.i18n import format_money, parse_money


class TextWidget(widgets.TextInput):
    """A Bootstrap text input that keeps its own placeholder (FAB's puts the label)."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "form-control")
        return super().__call__(field, **kwargs)


class NumberWidget(widgets.NumberInput):
    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "form-control")
        kwargs.setdefault("style", "max-width: 10em")
        return super().__call__(field, **kwargs)


class _TextField(Field):
    """A text input whose value is parsed by ``parse`` and shown by ``show``."""

    widget = TextWidget()
    message = _l("Not a valid value.")

    def __init__(self, label=None, validators=None, placeholder: str = "", **kwargs):
        render_kw = dict(kwargs.pop("render_kw", None) or {})
        if placeholder:
            render_kw.setdefault("placeholder", placeholder)
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.raw_text = ""

    def parse(self, text: str):  # pragma: no cover - overridden
        raise NotImplementedError

    def show(self, value) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _value(self):
        if self.raw_errors_text is not None:
            return self.raw_errors_text
        return self.show(self.data) if self.data is not None else ""

    raw_errors_text = None

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        self.raw_text = text
        if text == "":
            self.data = None
            return
        try:
            self.data = self.parse(text)
        except (ValueError, InvalidOperation, ArithmeticError):
            self.data = None
            self.raw_errors_text = text
            raise ValueError(str(self.message)) from None


class FrenchDateField(_TextField):
    message = _l("Not a valid date: type it as DD/MM/YYYY (for example 03/09/2026).")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, placeholder="JJ/MM/AAAA", **kwargs)

    def parse(self, text):
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(text)

    def show(self, value):
        return value.strftime("%d/%m/%Y")


class FrenchDateTimeField(_TextField):
    message = _l("Not a valid date and time: type them as DD/MM/YYYY HH:MM "
                 "(for example 01/06/2026 09:00).")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, placeholder="JJ/MM/AAAA HH:MM", **kwargs)

    def parse(self, text):
        for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y", "%Y-%m-%d",
                    "%Y-%m-%d %H:%M:%S"):
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise ValueError(text)

    def show(self, value):
        return value.strftime("%d/%m/%Y %H:%M")


class TimeTextField(_TextField):
    message = _l("Not a valid time: type it as HH:MM (for example 12:00).")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, placeholder="HH:MM", **kwargs)

    def parse(self, text):
        for fmt in ("%H:%M", "%Hh%M", "%HH%M", "%H:%M:%S"):
            try:
                return dt.datetime.strptime(text, fmt).time()
            except ValueError:
                continue
        if text.rstrip("hH").isdigit():
            return dt.time(int(text.rstrip("hH")), 0)
        raise ValueError(text)

    def show(self, value):
        return value.strftime("%H:%M")


class MoneyField(_TextField):
    """A price typed in euros ("3,45") and stored in integer cents (345)."""

    message = _l("Not a valid amount: type it in euros, for example 3,45.")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, placeholder="3,45", **kwargs)

    def parse(self, text):
        cents = parse_money(text)
        if cents < 0:
            raise ValueError(text)
        return cents

    def show(self, value):
        return format_money(value).replace("\u00a0€", "")


class CodeListField(SelectMultipleField):
    """Several codes chosen in a list, stored as "a,b,c" (None when empty)."""

    widget = Select2ManyWidget()

    def __init__(self, label=None, validators=None, choices=None, **kwargs):
        super().__init__(label, validators, choices=choices, **kwargs)

    def process_data(self, value):
        if isinstance(value, str):
            value = [part for part in value.split(",") if part != ""]
        super().process_data(value or [])

    def pre_validate(self, form):
        known = {str(value) for value, _label in self.iter_choices_values()}
        for value in self.data or []:
            if str(value) not in known:
                raise ValidationError(_l("Not a valid choice."))

    def iter_choices_values(self):
        choices = self.choices() if callable(self.choices) else self.choices
        return [(str(value), label) for value, label in (choices or [])]

    def populate_obj(self, obj, name):
        order = [value for value, _label in self.iter_choices_values()]
        chosen = [value for value in order if value in {str(v) for v in self.data or []}]
        setattr(obj, name, ",".join(chosen) if chosen else None)
