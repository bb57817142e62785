""""Recopier": the days a selection is copied to, and the cantine's year.

``recopy_dates(period, source_day, mode, **options)``:
- mode "day":   ``target_day`` — that one day;
- mode "week":  ``target_day`` — every opening day of that day's week (Monday
  to Sunday);
- mode "targets" ("Dates cibles"): ``start``/``end`` (a date range, clipped to
  the period), ``weekdays`` (0 = lundi; default: every weekday),
  ``every_other_week`` (1 week in 2, counted from the week of ``start``:
  that week, then every second week), ``months`` (month numbers 1-12;
  default: all).
Only opening days of the period are returned, sorted, without the source
day. Days already booked are skipped later, by ``services.book``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from app.catalogue.services import opening_dates
from app.core.errors import DomainError

try:
    from flask_babel import lazy_gettext as _l
except ImportError:  # pragma: no cover
    _l = str

MODES = ("day", "week", "targets")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _as_date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise DomainError(_l("Please choose a valid date."), field=name)


def recopy_dates(period, source_day: dt.date | None, mode: str, **options) -> list[dt.date]:
    days = opening_dates(period.id)
    if mode == "day":
        target = _as_date(options.get("target_day"), "target_day")
        chosen = [d for d in days if d == target]
    elif mode == "week":
        target = _as_date(options.get("target_day"), "target_day")
        monday = _monday(target)
        chosen = [d for d in days if _monday(d) == monday]
    elif mode == "targets":
        start = _as_date(options.get("start") or period.start_date, "start")
        end = _as_date(options.get("end") or period.end_date, "end")
        if end < start:
            raise DomainError(_l("The end date must not be before the start date."),
                              field="end")
        weekdays = options.get("weekdays")
        weekdays = set(range(7)) if not weekdays else {int(w) for w in weekdays}
        months = options.get("months")
        months = set(range(1, 13)) if not months else {int(m) for m in months}
        every_other = bool(options.get("every_other_week"))
        first_monday = _monday(start)
        chosen = [
            d for d in days
            if start <= d <= end and d.weekday() in weekdays and d.month in months
            and (not every_other or ((_monday(d) - first_monday).days // 7) % 2 == 0)
        ]
    else:
        raise DomainError(_l("Unknown way of copying."), field="mode")
    return [d for d in chosen if d != source_day]


def cantine_dates(period, weekdays: Iterable[int], start: dt.date | None = None) -> list[dt.date]:
    """Every opening day of the period on the chosen weekdays (0 = lundi),
    from ``start`` when given (e.g. today) — the cantine's whole year."""
    wanted = {int(w) for w in weekdays}
    return [d for d in opening_dates(period.id)
            if d.weekday() in wanted and (start is None or d >= start)]
