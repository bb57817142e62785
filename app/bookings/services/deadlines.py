"""Booking and cancellation deadlines of a period, for one day.

Each rule is stored on Period as ``<prefix>_mode`` (DeadlineMode), ``_days``,
``_working_days``, ``_weekday`` (0 = lundi), ``_weeks`` (1 or 2) and
``_time`` (HH:MM; None means 00:00, the start of that day):

- none: no deadline (None);
- days_before: "N days before the day, at HH:MM" — with ``working_days``,
  only working days count (no Saturday, Sunday or French public holiday,
  app.catalogue.services.is_working_day): the deadline falls on the Nth
  working day before the day;
- weekday_before: "weekday W of the previous week (weeks=1) or of two weeks
  before (weeks=2), at HH:MM" — weeks start on Monday.

Datetimes are naive Europe/Paris wall-clock (app.core.clock): "2 jours avant
à 12:00" is 12:00 on the wall clock whatever the DST change in between, so
plain date arithmetic is what the rule means.
"""

from __future__ import annotations

import datetime as dt

from app.catalogue.services import is_working_day
from app.core.states import DeadlineMode


def compute_deadline(mode: str, day: dt.date, days: int = 0, working_days: bool = False,
                     weekday: int = 0, weeks: int = 1, at: dt.time | None = None) -> dt.datetime | None:
    """The last moment (inclusive) of a rule for ``day``, or None."""
    at = at or dt.time(0, 0)
    if mode in (None, "", DeadlineMode.NONE.value):
        return None
    if mode == DeadlineMode.DAYS_BEFORE.value:
        days = max(0, int(days or 0))
        if working_days:
            target = day
            counted = 0
            while counted < days:
                target -= dt.timedelta(days=1)
                if is_working_day(target):
                    counted += 1
        else:
            target = day - dt.timedelta(days=days)
        return dt.datetime.combine(target, at)
    if mode == DeadlineMode.WEEKDAY_BEFORE.value:
        weeks = 2 if int(weeks or 1) == 2 else 1
        monday = day - dt.timedelta(days=day.weekday())
        target = monday - dt.timedelta(weeks=weeks) + dt.timedelta(days=int(weekday or 0) % 7)
        return dt.datetime.combine(target, at)
    raise ValueError(f"unknown deadline mode {mode!r}")


def _rule(period, prefix: str, day: dt.date) -> dt.datetime | None:
    return compute_deadline(
        getattr(period, f"{prefix}_mode"), day,
        days=getattr(period, f"{prefix}_days"),
        working_days=getattr(period, f"{prefix}_working_days"),
        weekday=getattr(period, f"{prefix}_weekday"),
        weeks=getattr(period, f"{prefix}_weeks"),
        at=getattr(period, f"{prefix}_time"),
    )


def booking_deadline(period, day: dt.date) -> dt.datetime | None:
    """Until when (inclusive) the day may be booked; None: no deadline."""
    return _rule(period, "booking_deadline", day)


def cancel_deadline(period, day: dt.date) -> dt.datetime | None:
    """Until when (inclusive) the family may ask to cancel the day online;
    None: no deadline (until the day itself)."""
    return _rule(period, "cancel_deadline", day)


def booking_closed(period, day: dt.date, now: dt.datetime) -> bool:
    deadline = booking_deadline(period, day)
    return deadline is not None and now > deadline


def cancellation_late(period, day: dt.date, now: dt.datetime) -> bool:
    """Past the cancellation deadline (or the day has begun)."""
    deadline = cancel_deadline(period, day)
    if deadline is not None:
        return now > deadline
    return now.date() >= day
