"""French form fields, shared by every area.

What people type, and what the fields give the code:

- a date "07/09/2026" (or "7/9/2026", or ISO "2026-09-07" as a browser's
  date picker sends it) -> ``datetime.date``;
- a date and time "07/09/2026 08:30", "07/09/2026 à 8h30", "07/09/2026" (midnight)
  or ISO "2026-09-07T08:30" -> ``datetime.datetime`` (naive, Europe/Paris);
- a time "08:30", "8h30", "8h" or "8" -> ``datetime.time``;
- an amount in euros "3,45", "3.45 €" or "1 234,50" -> integer cents (345), never a float;
- a whole number "1 200" -> ``int``.

Empty text means None (add ``InputRequired``/``DataRequired`` to require a
value). Text that cannot be read keeps what was typed on screen and gets a
French message; each field has a default message that a screen may replace
with ``invalid_value_message=``. FAB's datepicker is English-only and its
BS3 text widget puts the label as placeholder: these fields use a plain
Bootstrap text input with a French placeholder instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField
from wtforms.widgets import DateInput, NumberInput, TextInput

from app.core.i18n import format_money, parse_money

# --------------------------------------------------------------------------
# Reading and writing the French formats (ValueError on anything else)

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
_TIME_RE = re.compile(r"([0-9]{1,2})(?:[hH]([0-9]{2})?|:([0-9]{2})(?::([0-9]{2}))?)?")
_DATETIME_RE = re.compile(r"(\S+?)(?:(?:\s+à\s+|\s+|(?<=[0-9]{4}-[0-9]{2}-[0-9]{2})T)(.+))?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")


def parse_date(text: str) -> dt.date:
    """"07/09/2026", "7/9/2026" or "2026-09-07"."""
    cleaned = (text or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_time(text: str) -> dt.time:
    """"08:30", "8:30:00", "8h30", "8 h 30", "8h" or "8"."""
    match = _TIME_RE.fullmatch(re.sub(r"\s*([hH:])\s*", r"\1", (text or "").strip()))
    if match is None:
        raise ValueError(text)
    hour, minute_h, minute, second = match.groups()
    return dt.time(int(hour), int(minute_h or minute or 0), int(second or 0))


def parse_datetime(text: str) -> dt.datetime:
    """A date, then optionally a time after a space, " à " or ISO's "T":
    "07/09/2026 08:30", "07/09/2026 à 8h30", "2026-09-07T08:30", "07/09/2026"."""
    match = _DATETIME_RE.fullmatch(re.sub(r"\s+", " ", (text or "").strip()))
    if match is None:
        raise ValueError(text)
    day_text, time_text = match.groups()
    time = parse_time(time_text) if time_text else dt.time()
    return dt.datetime.combine(parse_date(day_text), time)


# The largest whole number a database integer column holds (PostgreSQL's
# INTEGER): anything larger is refused as input, never sent to the database.
LARGEST_INTEGER = 2**31 - 1
# The largest price a form accepts: 1 000 000,00 € (prices are in cents).
LARGEST_PRICE_CENTS = 100_000_000


def parse_integer(text: str) -> int:
    """"1200", "1 200" or "-5" (ASCII digits only), within a database integer."""
    cleaned = re.sub(r"\s+", "", text or "")
    if not _INTEGER_RE.fullmatch(cleaned) or abs(int(cleaned)) > LARGEST_INTEGER:
        raise ValueError(text)
    return int(cleaned)


def parse_price(text: str) -> int:
    """An amount from 0 to 1 000 000,00 €, in cents: "3,45" -> 345."""
    cents = parse_money(text)
    if not 0 <= cents <= LARGEST_PRICE_CENTS:
        raise ValueError(text)
    return cents


def show_date(day: dt.date | None) -> str:
    """"07/09/2026" (the year always has four digits, so it reads back)."""
    if day is None:
        return ""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def show_time(moment: dt.time | None) -> str:
    """"08:30"."""
    return "" if moment is None else f"{moment.hour:02d}:{moment.minute:02d}"


def show_datetime(moment: dt.datetime | None) -> str:
    """"07/09/2026 08:30", or "07/09/2026" at midnight."""
    if moment is None:
        return ""
    if moment.hour == 0 and moment.minute == 0:
        return show_date(moment)
    return f"{show_date(moment)} {show_time(moment)}"


def show_price(cents: int | None) -> str:
    """"3,45" (the euro sign is left out of the input)."""
    return format_money(cents).replace("\u00a0€", "")


def show_iso_date(day: dt.date | None) -> str:
    """"2026-09-07", the value a browser's date picker expects."""
    return day.isoformat() if day else ""


# --------------------------------------------------------------------------
# Fields


@dataclasses.dataclass(frozen=True)
class FrenchFormat:
    """How a field reads typed text, shows a value, says what is wrong, and
    what its empty input suggests."""

    parse: Callable[[str], Any]
    show: Callable[[Any], str]
    message: Any
    placeholder: Any = ""


DATE = FrenchFormat(
    parse_date, show_date,
    _l("Not a valid date: type it as DD/MM/YYYY (for example 03/09/2026)."),
    _l("DD/MM/YYYY"))
DATETIME = FrenchFormat(
    parse_datetime, show_datetime,
    _l("Not a valid date and time: type them as DD/MM/YYYY HH:MM "
       "(for example 01/06/2026 09:00)."),
    _l("DD/MM/YYYY HH:MM"))
TIME = FrenchFormat(
    parse_time, show_time,
    _l("Not a valid time: type it as HH:MM (for example 12:00)."),
    _l("HH:MM"))
MONEY = FrenchFormat(
    parse_price, show_price,
    _l("Not a valid amount: type it in euros, for example 3,45."),
    "3,45")


class FrenchTextInput(TextInput):
    """A Bootstrap text input with the field's French placeholder, without
    the browser's list of earlier entries."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "form-control")
        kwargs.setdefault("autocomplete", "off")
        placeholder = field.french_format.placeholder
        if placeholder:
            kwargs.setdefault("placeholder", str(placeholder))
        return super().__call__(field, **kwargs)


class NumberWidget(NumberInput):
    """A narrow Bootstrap number input."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("class", "form-control")
        kwargs.setdefault("style", "max-width: 10em")
        return super().__call__(field, **kwargs)


class FrenchTextField(Field):
    """A text input read and shown through a ``FrenchFormat`` (given to the
    constructor as ``french_format=``, or set on a subclass)."""

    widget = FrenchTextInput()
    french_format: FrenchFormat

    def __init__(self, label=None, validators=None, french_format: FrenchFormat | None = None,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        if french_format is not None:
            self.french_format = french_format
        self.typed_text = None

    def _value(self):
        if self.typed_text is not None:
            return self.typed_text
        return self.french_format.show(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        if text == "":
            self.data = None
            return
        try:
            self.data = self.french_format.parse(text)
        except ValueError:
            self.data = None
            self.typed_text = text
            message = self.invalid_value_message or self.french_format.message
            raise ValueError(str(message)) from None


class FrenchDateField(FrenchTextField):
    """A date typed "JJ/MM/AAAA"."""

    french_format = DATE


class FrenchDatePickerField(FrenchDateField):
    """A date chosen in the browser's date picker (it sends "2026-09-07"),
    or typed "JJ/MM/AAAA" where the browser has no picker."""

    widget = DateInput()
    french_format = dataclasses.replace(DATE, show=show_iso_date, placeholder="")


class FrenchDateTimeField(FrenchTextField):
    """A date and time typed "JJ/MM/AAAA HH:MM" (the time may be left out)."""

    french_format = DATETIME


class TimeTextField(FrenchTextField):
    """A time typed "HH:MM" (or "8h30")."""

    french_format = TIME


class MoneyField(FrenchTextField):
    """A price typed in euros ("3,45") and stored in integer cents (345)."""

    french_format = MONEY


class FrenchIntegerField(IntegerField):
    """A whole number, spaces between digits allowed ("1 200")."""

    def __init__(self, label=None, validators=None,
                 invalid_value_message=_l("Enter a whole number."), **kwargs):
        super().__init__(label, validators, invalid_value_message=invalid_value_message,
                         **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not (valuelist[0] or "").strip():
            return
        try:
            self.data = parse_integer(valuelist[0])
        except ValueError:
            raise ValueError(str(self.invalid_value_message)) from None
