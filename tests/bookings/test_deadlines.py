"""Booking and cancellation deadlines: N days before (calendar or working
days), weekday of the previous week(s); wall-clock across DST changes, month
and year ends, French public holidays."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from app.bookings.services import deadlines


def rule(prefix="booking_deadline", mode="days_before", days=0, working_days=False, weekday=0,
         weeks=1, time=dt.time(12, 0)):
    values = {}
    for p in ("booking_deadline", "cancel_deadline"):
        values.update({f"{p}_mode": "none", f"{p}_days": 0, f"{p}_working_days": False,
                       f"{p}_weekday": 0, f"{p}_weeks": 1, f"{p}_time": None})
    values.update({f"{prefix}_mode": mode, f"{prefix}_days": days,
                   f"{prefix}_working_days": working_days, f"{prefix}_weekday": weekday,
                   f"{prefix}_weeks": weeks, f"{prefix}_time": time})
    return SimpleNamespace(**values)


D = dt.date
T = dt.datetime


@pytest.mark.parametrize("day,days,time,expected", [
    # "2 jours avant à 12:00" for Wednesday 16 September 2026: Monday 12:00.
    (D(2026, 9, 16), 2, dt.time(12, 0), T(2026, 9, 14, 12, 0)),
    # Month end: Thursday 1 October -> Tuesday 29 September.
    (D(2026, 10, 1), 2, dt.time(12, 0), T(2026, 9, 29, 12, 0)),
    # February: 1 March 2027 -> 27 February; leap year 2028 -> 28 February.
    (D(2027, 3, 1), 2, dt.time(18, 0), T(2027, 2, 27, 18, 0)),
    (D(2028, 3, 1), 1, dt.time(18, 0), T(2028, 2, 29, 18, 0)),
    # Year end.
    (D(2027, 1, 4), 7, dt.time(9, 30), T(2026, 12, 28, 9, 30)),
    # Spring DST (last Sunday of March 2027 is the 28th): the wall-clock time stays.
    (D(2027, 3, 30), 3, dt.time(18, 0), T(2027, 3, 27, 18, 0)),
    (D(2027, 3, 29), 1, dt.time(2, 30), T(2027, 3, 28, 2, 30)),  # an hour that does not exist
    # Autumn DST (last Sunday of October 2026 is the 25th).
    (D(2026, 10, 26), 1, dt.time(2, 30), T(2026, 10, 25, 2, 30)),
    (D(2026, 10, 28), 4, dt.time(8, 0), T(2026, 10, 24, 8, 0)),
    # No time: the start of that day. Zero days: the day itself.
    (D(2026, 9, 16), 1, None, T(2026, 9, 15, 0, 0)),
    (D(2026, 9, 16), 0, dt.time(7, 0), T(2026, 9, 16, 7, 0)),
])
def test_days_before(day, days, time, expected):
    period = rule(days=days, time=time)
    assert deadlines.booking_deadline(period, day) == expected
    assert deadlines.cancel_deadline(period, day) is None


@pytest.mark.parametrize("day,days,expected", [
    # 11 novembre 2026 is a Wednesday: Thursday 12, 2 working days -> Monday 9.
    (D(2026, 11, 12), 2, D(2026, 11, 9)),
    # Lundi de Pâques 2027 (29 March): Wednesday 31 March -> Tue 30 (1), Fri 26 (2).
    (D(2027, 3, 31), 2, D(2027, 3, 26)),
    # Ascension 2027 (Thursday 6 May): Monday 10 May -> Fri 7 (1), Wed 5 (2).
    (D(2027, 5, 10), 2, D(2027, 5, 5)),
    # A Monday: the week-end does not count. 1 working day -> Friday.
    (D(2026, 9, 14), 1, D(2026, 9, 11)),
    # Christmas and New Year: Monday 4 January 2027, 3 working days ->
    # Thu 31 Dec (1), Wed 30 (2), Tue 29 (3) (1 January is a holiday).
    (D(2027, 1, 4), 3, D(2026, 12, 29)),
    (D(2026, 9, 16), 0, D(2026, 9, 16)),
])
def test_working_days_before(day, days, expected):
    period = rule(prefix="cancel_deadline", days=days, working_days=True, time=dt.time(10, 0))
    assert deadlines.cancel_deadline(period, day) == dt.datetime.combine(expected, dt.time(10, 0))


def test_working_days_differ_from_calendar_days_over_a_holiday():
    calendar_rule = rule(days=2)
    working_rule = rule(days=2, working_days=True)
    day = D(2026, 11, 12)
    assert deadlines.booking_deadline(calendar_rule, day).date() == D(2026, 11, 10)
    assert deadlines.booking_deadline(working_rule, day).date() == D(2026, 11, 9)


@pytest.mark.parametrize("day,weekday,weeks,expected", [
    # "le jeudi de la semaine précédente à 12:00" for Wednesday 16 September 2026.
    (D(2026, 9, 16), 3, 1, D(2026, 9, 10)),
    (D(2026, 9, 16), 3, 2, D(2026, 9, 3)),
    # The same rule for every day of a week gives the same deadline.
    (D(2026, 9, 14), 3, 1, D(2026, 9, 10)),
    (D(2026, 9, 20), 3, 1, D(2026, 9, 10)),
    # Month end and year end.
    (D(2026, 10, 7), 2, 1, D(2026, 9, 30)),
    (D(2027, 1, 6), 4, 1, D(2027, 1, 1)),
    (D(2027, 1, 6), 0, 2, D(2026, 12, 21)),
    # Across the DST changes.
    (D(2027, 3, 31), 4, 1, D(2027, 3, 26)),
    (D(2026, 10, 28), 6, 1, D(2026, 10, 25)),
])
def test_weekday_of_previous_week(day, weekday, weeks, expected):
    period = rule(mode="weekday_before", weekday=weekday, weeks=weeks, time=dt.time(12, 0))
    assert deadlines.booking_deadline(period, day) == dt.datetime.combine(expected, dt.time(12, 0))


def test_no_deadline():
    period = rule(mode="none")
    assert deadlines.booking_deadline(period, D(2026, 9, 16)) is None
    assert not deadlines.booking_closed(period, D(2026, 9, 16), T(2026, 9, 16, 8, 0))


def test_closed_is_strictly_after_the_deadline_even_in_the_repeated_autumn_hour():
    period = rule(days=1, time=dt.time(2, 30))
    day = D(2026, 10, 26)
    assert not deadlines.booking_closed(period, day, T(2026, 10, 25, 2, 30))
    assert deadlines.booking_closed(period, day, T(2026, 10, 25, 2, 31))


def test_cancellation_without_deadline_is_late_from_the_day_itself():
    period = rule(prefix="cancel_deadline", mode="none")
    assert not deadlines.cancellation_late(period, D(2026, 9, 16), T(2026, 9, 15, 23, 59))
    assert deadlines.cancellation_late(period, D(2026, 9, 16), T(2026, 9, 16, 0, 0))
