"""The one clock of the portal.

Every datetime the portal stores or compares is a naive wall-clock time in
Europe/Paris: deadlines are said that way ("2 jours avant à 12:00"), so
wall-clock arithmetic is what the rules mean, across DST changes too.
Services take ``now`` as a parameter; views and commands call ``now()``.
Tests freeze it with ``frozen(...)``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(PARIS).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    return now().date()


def freeze(moment: dt.datetime | None) -> None:
    global _frozen
    _frozen = moment


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    previous = _frozen
    freeze(moment)
    try:
        yield moment
    finally:
        freeze(previous)


def school_year_of(day: dt.date) -> tuple[int, int]:
    """The school year a day belongs to: September to August."""
    start = day.year if day.month >= 9 else day.year - 1
    return start, start + 1


def school_year_label(day: dt.date) -> str:
    start, end = school_year_of(day)
    return f"{start}-{end}"
