"""Catalogue services: opening days and the lockable slot-day rows.

Opening days are generated from a period's weekdays over its date range,
without French public holidays (package ``holidays``) and, for term-time
periods, without the school holidays of the facility's zone (package
``vacances-scolaires-france``). Each opening day gets one SlotDay row per
slot: the rows capacity checks lock.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays as holidays_lib
from sqlalchemy import select

from app.catalogue.models import OpeningDay, Period, Slot, SlotDay
from app.extensions import db


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays_lib.France(years=year).keys())


def is_public_holiday(day: dt.date) -> bool:
    return day in public_holidays(day.year)


@lru_cache(maxsize=8)
def _school_holiday_dates():
    from vacances_scolaires_france import SchoolHolidayDates

    return SchoolHolidayDates()


def is_school_holiday(day: dt.date, zone: str) -> bool:
    try:
        return bool(_school_holiday_dates().is_holiday_for_zone(day, zone))
    except Exception:  # dates outside the package's data: not a holiday
        return False


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def parse_weekdays(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip() != ""})


def candidate_days(period: Period) -> list[dt.date]:
    """The days a period would open on by its rules."""
    weekdays = set(parse_weekdays(period.weekdays))
    zone = period.reception.facility.school_zone
    days = []
    day = period.start_date
    while day <= period.end_date:
        if (day.weekday() in weekdays and not is_public_holiday(day)
                and not (period.term_time and is_school_holiday(day, zone))):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def generate_opening_days(period: Period) -> int:
    """Add the missing opening days (and slot days) of a period; returns how many."""
    existing = set(db.session.scalars(
        select(OpeningDay.date).where(OpeningDay.period_id == period.id)))
    new_days = [d for d in candidate_days(period) if d not in existing]
    db.session.add_all(OpeningDay(period_id=period.id, date=d) for d in new_days)
    db.session.flush()
    ensure_slot_days(period)
    return len(new_days)


def ensure_slot_days(period: Period) -> None:
    """One SlotDay per slot and opening day of the period."""
    days = list(db.session.scalars(
        select(OpeningDay.date).where(OpeningDay.period_id == period.id)))
    slot_ids = list(db.session.scalars(select(Slot.id).where(Slot.period_id == period.id)))
    if not slot_ids or not days:
        return
    have = set(db.session.execute(
        select(SlotDay.slot_id, SlotDay.date).where(SlotDay.slot_id.in_(slot_ids))).all())
    db.session.add_all(
        SlotDay(slot_id=s, date=d) for s in slot_ids for d in days if (s, d) not in have)
    db.session.flush()


def opening_dates(period_id: int) -> list[dt.date]:
    return list(db.session.scalars(
        select(OpeningDay.date).where(OpeningDay.period_id == period_id)
        .order_by(OpeningDay.date)))
