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


# ---------------------------------------------------------------------------
# Set-up rules used by the catalogue screens (no commit here: the caller's
# transaction writes everything or nothing).

WEEKDAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _errors():
    from flask_babel import lazy_gettext as _l

    from app.core.errors import DomainError

    return DomainError, _l


def describe_deadline(period: Period, prefix: str) -> str:
    """A deadline rule in words: "2 jour(s) avant à 12:00", "jeudi de la semaine
    précédente à 12:00", "Aucun délai". ``prefix``: "booking_deadline" or
    "cancel_deadline"."""
    from flask_babel import gettext as _

    from app.core.states import DeadlineMode

    mode = getattr(period, f"{prefix}_mode")
    at = getattr(period, f"{prefix}_time")
    at_text = at.strftime("%H:%M") if at else "00:00"
    if mode == DeadlineMode.DAYS_BEFORE.value:
        days = getattr(period, f"{prefix}_days")
        if getattr(period, f"{prefix}_working_days"):
            return _("%(days)s working day(s) before at %(time)s", days=days, time=at_text)
        return _("%(days)s day(s) before at %(time)s", days=days, time=at_text)
    if mode == DeadlineMode.WEEKDAY_BEFORE.value:
        weekday = WEEKDAY_NAMES[getattr(period, f"{prefix}_weekday")]
        if getattr(period, f"{prefix}_weeks") == 2:
            return _("%(weekday)s two weeks before at %(time)s", weekday=weekday,
                     time=at_text)
        return _("%(weekday)s of the week before at %(time)s", weekday=weekday,
                 time=at_text)
    return _("No deadline")


def check_period_dates(start: dt.date | None, end: dt.date | None) -> None:
    DomainError, _l = _errors()
    if start and end and end < start:
        raise DomainError(_l("The end date must be on or after the start date."))


def generate_days(actor, period: Period, now: dt.datetime) -> int:
    """"Générer les jours d'ouverture": add the missing days; audit; returns how many."""
    from app.core import audit

    added = generate_opening_days(period)
    audit.record(actor, "catalogue.generate_days", period, now, added=added)
    return added


def prepare_new_opening_day(period: Period, day: dt.date) -> None:
    """Check that ``day`` may be added to ``period`` (inside its dates, not there yet)."""
    DomainError, _l = _errors()
    if day < period.start_date or day > period.end_date:
        raise DomainError(_l("This day is outside the dates of the period."))
    with db.session.no_autoflush:
        exists = db.session.scalar(select(OpeningDay.id).where(
            OpeningDay.period_id == period.id, OpeningDay.date == day))
    if exists:
        raise DomainError(_l("This day is already an opening day of the period."))


def add_slot_days(period: Period, day: dt.date) -> None:
    """The lockable SlotDay rows of one new opening day."""
    slot_ids = list(db.session.scalars(select(Slot.id).where(Slot.period_id == period.id)))
    have = set(db.session.scalars(select(SlotDay.slot_id).where(
        SlotDay.slot_id.in_(slot_ids), SlotDay.date == day))) if slot_ids else set()
    db.session.add_all(SlotDay(slot_id=s, date=day) for s in slot_ids if s not in have)
    db.session.flush()


def release_opening_day(opening_day: OpeningDay) -> None:
    """Before removing an opening day: refused while presences hold places on it;
    otherwise its SlotDay rows go too."""
    from sqlalchemy import delete, func

    from app.bookings.models import Presence
    from app.core.states import HOLDING_STATES

    DomainError, _l = _errors()
    holding = db.session.scalar(select(func.count(Presence.id)).where(
        Presence.period_id == opening_day.period_id, Presence.date == opening_day.date,
        Presence.state.in_(HOLDING_STATES)))
    if holding:
        raise DomainError(_l(
            "This day cannot be removed: %(count)s booking(s) still hold places on it. "
            "Refuse or cancel them first.", count=holding))
    slot_ids = select(Slot.id).where(Slot.period_id == opening_day.period_id)
    db.session.execute(delete(SlotDay).where(SlotDay.slot_id.in_(slot_ids),
                                             SlotDay.date == opening_day.date))


def trim_opening_days(period: Period) -> int:
    """After a period's dates changed: remove its opening days (and slot days) that now
    fall outside them; refused while presences hold places on such a day."""
    from sqlalchemy import delete, func, or_

    from app.bookings.models import Presence
    from app.core.states import HOLDING_STATES

    DomainError, _l = _errors()
    with db.session.no_autoflush:
        outside = list(db.session.scalars(select(OpeningDay.date).where(
            OpeningDay.period_id == period.id,
            or_(OpeningDay.date < period.start_date, OpeningDay.date > period.end_date))))
        if not outside:
            return 0
        holding = db.session.scalar(select(func.count(Presence.id)).where(
            Presence.period_id == period.id, Presence.date.in_(outside),
            Presence.state.in_(HOLDING_STATES)))
    if holding:
        raise DomainError(_l(
            "These dates would leave out %(count)s booking(s) that still hold places. "
            "Refuse or cancel them first.", count=holding))
    slot_ids = select(Slot.id).where(Slot.period_id == period.id)
    db.session.execute(delete(SlotDay).where(SlotDay.slot_id.in_(slot_ids),
                                             SlotDay.date.in_(outside)))
    db.session.execute(delete(OpeningDay).where(OpeningDay.period_id == period.id,
                                                OpeningDay.date.in_(outside)))
    return len(outside)


def set_unit_slots(unit, slots) -> None:
    """Replace the slots a unit takes; every slot must belong to the unit's period."""
    from sqlalchemy import delete
    from sqlalchemy.exc import IntegrityError

    from app.catalogue.models import UnitSlot

    DomainError, _l = _errors()
    if not slots:
        raise DomainError(_l("Choose at least one slot for this unit."))
    for slot in slots:
        if slot.period_id != unit.period_id:
            raise DomainError(_l(
                "The slot %(slot)s belongs to another period: a unit can only take the "
                "slots of its own period.", slot=slot.name))
    try:
        with db.session.begin_nested():
            db.session.flush()
            db.session.execute(delete(UnitSlot).where(UnitSlot.unit_id == unit.id))
            db.session.add_all(UnitSlot(unit_id=unit.id, slot_id=slot.id,
                                        period_id=unit.period_id) for slot in slots)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_l(
            "These slots could not be given to the unit: a unit can only take the slots "
            "of its own period.")) from None
    db.session.expire(unit, ["slots"])


def check_tariff_bracket(unit_id: int, qf_min: int, qf_max: int | None,
                         exclude_id: int | None = None) -> None:
    """QF brackets of one unit must not overlap."""
    from app.catalogue.models import Tariff

    DomainError, _l = _errors()
    if qf_min is None or qf_min < 0:
        raise DomainError(_l("The lower bound of the bracket must be zero or more."))
    if qf_max is not None and qf_max < qf_min:
        raise DomainError(_l("The upper bound of the bracket must be at least its lower "
                             "bound."))
    upper = qf_max if qf_max is not None else float("inf")
    with db.session.no_autoflush:
        others = db.session.scalars(select(Tariff).where(Tariff.unit_id == unit_id)).all()
    for other in others:
        if exclude_id is not None and other.id == exclude_id:
            continue
        other_upper = other.qf_max if other.qf_max is not None else float("inf")
        if qf_min <= other_upper and other.qf_min <= upper:
            shown = (f"{other.qf_min}–{other.qf_max}" if other.qf_max is not None
                     else f"{other.qf_min}+")
            raise DomainError(_l(
                "This bracket overlaps the bracket %(bracket)s of the same unit.",
                bracket=shown))


def staff_facility_ids(user_id: int) -> set[int]:
    from app.catalogue.models import StaffFacility

    return set(db.session.scalars(select(StaffFacility.facility_id).where(
        StaffFacility.user_id == user_id)))


def facility_scope(user) -> set[int] | None:
    """The facilities a staff user's screens and actions are limited to: those
    assigned to an agent (StaffFacility). None means every facility: nobody
    assigned, an Admin, or no user (the system itself)."""
    if user is None or any(role.name == "Admin" for role in getattr(user, "roles", None) or []):
        return None
    return staff_facility_ids(user.id) or None


def assign_facilities(actor, user, facility_ids, now: dt.datetime) -> None:
    """Set the facilities an agent is limited to (none: every facility)."""
    from sqlalchemy import delete

    from app.catalogue.models import Facility, StaffFacility
    from app.core import audit

    DomainError, _l = _errors()
    wanted = set(int(i) for i in facility_ids)
    known = set(db.session.scalars(select(Facility.id).where(Facility.id.in_(wanted)))) \
        if wanted else set()
    if wanted - known:
        raise DomainError(_l("Unknown facility."))
    before = staff_facility_ids(user.id)
    if before == wanted:
        return
    db.session.execute(delete(StaffFacility).where(StaffFacility.user_id == user.id))
    db.session.add_all(StaffFacility(user_id=user.id, facility_id=f) for f in sorted(wanted))
    audit.record(actor, "catalogue.assign_facilities", user, now,
                 before=sorted(before), after=sorted(wanted))
    db.session.flush()
