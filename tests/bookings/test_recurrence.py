""""Recopier": day, week, "Dates cibles" (weekdays, 1 week in 2, months), and
the cantine's year; opening days only."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings.recurrence import cantine_dates, recopy_dates
from app.core.errors import DomainError
from tests import factories

D = dt.date


@pytest.fixture
def mercredis(db):
    return factories.make_period(requires_documents=False)  # Wednesdays 2026-09-02..2027-07-03


@pytest.fixture
def semaine(db):
    return factories.make_period(weekdays="0,1,2,3,4", requires_documents=False)


def test_copy_to_one_day(mercredis):
    assert recopy_dates(mercredis, D(2026, 9, 9), "day", target_day=D(2026, 9, 23)) == [D(2026, 9, 23)]
    # Not an opening day (a Thursday), or the source itself: nothing.
    assert recopy_dates(mercredis, D(2026, 9, 9), "day", target_day=D(2026, 9, 24)) == []
    assert recopy_dates(mercredis, D(2026, 9, 9), "day", target_day=D(2026, 9, 9)) == []
    # 11 novembre 2026 is a Wednesday and a public holiday: not open.
    assert recopy_dates(mercredis, D(2026, 9, 9), "day", target_day="2026-11-11") == []


def test_copy_to_a_week_skips_holidays_and_the_source(semaine):
    days = recopy_dates(semaine, D(2026, 11, 10), "week", target_day=D(2026, 11, 12))
    assert days == [D(2026, 11, 9), D(2026, 11, 12), D(2026, 11, 13)]
    # The Easter Monday week of 2027, after the spring DST change.
    assert recopy_dates(semaine, None, "week", target_day=D(2027, 4, 2)) == [
        D(2027, 3, 30), D(2027, 3, 31), D(2027, 4, 1), D(2027, 4, 2)]


def test_target_dates_one_week_in_two(mercredis):
    days = recopy_dates(mercredis, D(2026, 9, 2), "targets", start=D(2026, 9, 1),
                        end=D(2026, 11, 30), weekdays=[2], every_other_week=True)
    # From the week of 1 September: 2 (source), 16, 30 Sept, 14, 28 Oct (DST on
    # the 25th changes nothing), 11 Nov (holiday, closed), 25 Nov.
    assert days == [D(2026, 9, 16), D(2026, 9, 30), D(2026, 10, 14), D(2026, 10, 28),
                    D(2026, 11, 25)]


def test_target_dates_weekdays_and_months(semaine):
    days = recopy_dates(semaine, None, "targets", start=D(2026, 9, 1), end=D(2027, 6, 30),
                        weekdays=[0, 4], months=[3])
    assert days[0] == D(2027, 3, 1)
    assert D(2027, 3, 29) not in days  # lundi de Pâques
    assert all(d.month == 3 and d.weekday() in (0, 4) for d in days)
    assert len(days) == 8  # Mondays 1, 8, 15, 22 and Fridays 5, 12, 19, 26 March 2027


def test_target_dates_clipped_to_the_opening_days(mercredis):
    days = recopy_dates(mercredis, None, "targets", start=D(2027, 6, 20), end=D(2027, 8, 31))
    assert days == [D(2027, 6, 23), D(2027, 6, 30)]


def test_target_dates_errors(mercredis):
    with pytest.raises(DomainError, match="date de fin"):
        recopy_dates(mercredis, None, "targets", start=D(2026, 10, 1), end=D(2026, 9, 1))
    with pytest.raises(DomainError, match="date valide"):
        recopy_dates(mercredis, None, "day", target_day="31/02/2027")
    with pytest.raises(DomainError):
        recopy_dates(mercredis, None, "month")


def test_cantine_year(db):
    kind = factories.make_service_kind("cantine", "Cantines", allows_cancellation=False)
    cantine = factories.make_period(service_kind=kind, weekdays="0,1,3,4",
                                    requires_documents=False,
                                    units=(("REPAS", "#c0392b", ("repas",)),))
    days = cantine_dates(cantine, [0, 3])
    assert days[0] == D(2026, 9, 3)
    assert all(d.weekday() in (0, 3) for d in days)
    assert D(2027, 5, 6) not in days  # Ascension
    assert D(2027, 3, 29) not in days  # lundi de Pâques
    assert D(2026, 11, 12) in days
    assert cantine_dates(cantine, [0, 3], start=D(2027, 7, 1)) == [D(2027, 7, 1)]
