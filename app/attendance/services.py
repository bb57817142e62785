"""Pointage: who is expected on a facility's day, and marking them.

Attendance is kept apart from booking states: a presence stays ACCEPTED (or
CANCEL_REQUESTED / CANCEL_EXPIRED, which still hold the booking) and gets an
Attendance row: present, absent, or absence justifiée. A day can be locked;
changing a locked day needs a reason and writes an audit entry per change.
A child who comes without a booking is added as an accepted presence, marked
present (``add_walk_in``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.attendance.models import Attendance, AttendanceDayLock
from app.bookings.models import Presence, PresenceHistory, Request
from app.catalogue.models import (
    Facility,
    OpeningDay,
    Period,
    Reception,
    Slot,
    Unit,
    UnitSlot,
)
from app.catalogue.services import facility_scope
from app.core import audit
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.i18n import format_day
from app.core.states import AttendanceStatus, HOLDING_STATES, PresenceState, RequestKind
from app.extensions import db
from app.families.models import Child, Guardian, HouseholdChild

# States of a presence that is expected on the day (the booking still holds).
EXPECTED_STATES = (
    PresenceState.ACCEPTED.value,
    PresenceState.CANCEL_REQUESTED.value,
    PresenceState.CANCEL_EXPIRED.value,
)


MAX_ID = 2**31 - 1


def as_id(value) -> int | None:
    """A database id from user input, or None (not a number, or out of range)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= MAX_ID else None


# --- which facilities an agent sees --------------------------------------------

def facilities_for(user) -> list[Facility]:
    query = select(Facility).where(Facility.active.is_(True)).order_by(Facility.name)
    ids = facility_scope(user)
    if ids is not None:
        query = query.where(Facility.id.in_(ids))
    return list(db.session.scalars(query))


def facility_to_open(facilities: list[Facility], day: dt.date) -> Facility:
    """The facility the pointage opens on when none is asked for: the first of
    ``facilities`` (by name) with a child expected on ``day``, else the first."""
    busy = set(db.session.scalars(
        select(Reception.facility_id).join(Period, Period.reception_id == Reception.id)
        .join(Presence, Presence.period_id == Period.id)
        .where(Presence.date == day, Presence.state.in_(EXPECTED_STATES),
               Reception.facility_id.in_([f.id for f in facilities])).distinct()))
    return next((f for f in facilities if f.id in busy), facilities[0])


def check_facility(user, facility_id) -> Facility:
    """The facility if the user may see it; NotFound / Forbidden otherwise."""
    facility_id = as_id(facility_id)
    facility = db.session.get(Facility, facility_id) if facility_id else None
    if facility is None:
        raise NotFound(_l("This facility does not exist."))
    ids = facility_scope(user)
    if ids is not None and facility_id not in ids:
        raise Forbidden(_l("You are not assigned to this facility."))
    return facility


# --- the roster ----------------------------------------------------------------

@dataclass
class RosterRow:
    presence_id: int
    child_id: int
    first_name: str
    last_name: str
    birth_date: dt.date
    allergies: str
    pai: bool
    pai_details: str
    diet: str
    unit_id: int
    unit_name: str
    unit_colour: str
    unit_position: int
    period_id: int
    period_name: str
    state: str
    status: str | None
    household_id: int

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def state_label(self) -> str:
        return PresenceState.label_of(self.state)

    @property
    def flagged(self) -> bool:
        return bool(self.pai or (self.allergies or "").strip())


def roster(facility_id: int, day: dt.date) -> list[RosterRow]:
    """Every child expected at the facility on the day, with its pointage (one query)."""
    rows = db.session.execute(
        select(Presence.id, Presence.child_id, Child.first_name, Child.last_name,
               Child.birth_date, Child.allergies, Child.pai, Child.pai_details, Child.diet,
               Unit.id, Unit.name, Unit.colour, Unit.position, Period.id, Period.name,
               Presence.state, Attendance.status, Presence.household_id)
        .join(Child, Child.id == Presence.child_id)
        .join(Unit, Unit.id == Presence.unit_id)
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .outerjoin(Attendance, Attendance.presence_id == Presence.id)
        .where(Reception.facility_id == facility_id, Presence.date == day,
               Presence.state.in_(EXPECTED_STATES))
        .order_by(Period.name, Unit.position, Unit.name, Child.last_name, Child.first_name,
                  Presence.id))
    return [RosterRow(*row) for row in rows]


def slot_names(unit_ids) -> dict[int, list[str]]:
    """{unit id: [slot names]} for the units shown."""
    names: dict[int, list[str]] = {}
    if not unit_ids:
        return names
    for unit_id, name in db.session.execute(
            select(UnitSlot.unit_id, Slot.name).join(Slot, Slot.id == UnitSlot.slot_id)
            .where(UnitSlot.unit_id.in_(list(unit_ids))).order_by(Slot.position)):
        names.setdefault(unit_id, []).append(name)
    return names


def day_lock(facility_id: int, day: dt.date) -> AttendanceDayLock | None:
    return db.session.scalar(select(AttendanceDayLock).where(
        AttendanceDayLock.facility_id == facility_id, AttendanceDayLock.date == day))


# --- marking -------------------------------------------------------------------

def _check_status(status: str) -> str:
    if status not in AttendanceStatus.values():
        raise DomainError(_l("Choose present, absent or excused absence."))
    return status


def mark(actor, now: dt.datetime, facility_id: int, day: dt.date, marks: dict,
         reason: str = "") -> int:
    """Record the pointage of some presences of the day: {presence id: status}.

    Returns how many rows changed. A locked day needs ``reason``; each change
    is then written to the audit log. Commits.
    """
    cleaned = {}
    for presence_id, status in marks.items():
        number = as_id(presence_id)
        if number is None:
            raise DomainError(_l("This child is not expected on this day."))
        cleaned[number] = _check_status(status)
    if not cleaned:
        return 0
    reason = (reason or "").strip()
    lock = day_lock(facility_id, day)
    if lock is not None and not reason:
        raise DomainError(_l("This day is locked: give the reason for the change."))
    for attempt in range(2):
        try:
            changed = _write_marks(actor, now, facility_id, day, cleaned, lock, reason)
            db.session.commit()
            return changed
        except IntegrityError:
            # another agent marked the same child at the same moment: read again
            db.session.rollback()
            if attempt:
                raise
    return 0  # pragma: no cover


def _write_marks(actor, now, facility_id, day, cleaned, lock, reason) -> int:
    rows = db.session.execute(
        select(Presence, Attendance)
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .outerjoin(Attendance, Attendance.presence_id == Presence.id)
        .where(Presence.id.in_(list(cleaned)), Reception.facility_id == facility_id,
               Presence.date == day, Presence.state.in_(EXPECTED_STATES))).all()
    if len(rows) != len(cleaned):
        raise DomainError(_l("This child is not expected on this day."))
    changed = 0
    actor_id = getattr(actor, "id", None)
    for presence, attendance in rows:
        status = cleaned[presence.id]
        old = attendance.status if attendance else None
        if old == status:
            continue
        if attendance is None:
            db.session.add(Attendance(presence_id=presence.id, status=status, marked_at=now,
                                      marked_by_id=actor_id))
        else:
            attendance.status = status
            attendance.marked_at = now
            attendance.marked_by_id = actor_id
        if lock is not None:
            audit.record(actor, "attendance.change_locked", presence, now,
                         household_id=presence.household_id, date=day, status=[old, status],
                         reason=reason)
        changed += 1
    db.session.flush()
    return changed


def mark_all_present(actor, now: dt.datetime, facility_id: int, day: dt.date,
                     reason: str = "") -> int:
    """"Tous présents": every expected child not marked yet is marked present."""
    unmarked = [row.presence_id for row in roster(facility_id, day) if row.status is None]
    return mark(actor, now, facility_id, day,
                {pid: AttendanceStatus.PRESENT.value for pid in unmarked}, reason)


def lock_day(actor, now: dt.datetime, facility_id: int, day: dt.date,
             note: str = "") -> AttendanceDayLock:
    if day_lock(facility_id, day) is not None:
        raise DomainError(_l("This day is already locked."))
    lock = AttendanceDayLock(facility_id=facility_id, date=day, locked_at=now,
                             locked_by_id=getattr(actor, "id", None), note=(note or "").strip())
    db.session.add(lock)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_l("This day is already locked.")) from None
    audit.record(actor, "attendance.lock_day", lock, now, facility_id=facility_id, date=day)
    db.session.commit()
    return lock


# --- a child who came without a booking ------------------------------------------

def known_children(facility_id: int, search: str = "", limit: int = 20) -> list[Child]:
    """Children who have had a booking at the facility, matching ``search``."""
    known = exists().where(
        Presence.child_id == Child.id, Presence.period_id == Period.id,
        Period.reception_id == Reception.id, Reception.facility_id == facility_id)
    query = select(Child).where(known)
    for word in (search or "").split()[:4]:
        pattern = f"%{word.lower()}%"
        query = query.where(or_(func.lower(Child.first_name).like(pattern),
                                func.lower(Child.last_name).like(pattern)))
    return list(db.session.scalars(query.order_by(Child.last_name, Child.first_name)
                                   .limit(limit)))


def units_open_on(facility_id: int, day: dt.date) -> list[Unit]:
    """Units of the facility's periods open on the day (what a walk-in may take)."""
    return list(db.session.scalars(
        select(Unit).join(Period, Period.id == Unit.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .join(OpeningDay, and_(OpeningDay.period_id == Period.id, OpeningDay.date == day))
        .where(Reception.facility_id == facility_id)
        .order_by(Period.name, Unit.position)))


def add_walk_in(actor, now: dt.datetime, facility_id: int, day: dt.date, child_id,
                unit_id, reason: str = "") -> Presence:
    """A child came without a booking: an accepted presence, marked present.

    On a locked day this is a change like any other: it needs ``reason``.
    Commits."""
    reason = (reason or "").strip()
    if day_lock(facility_id, day) is not None and not reason:
        raise DomainError(_l("This day is locked: give the reason for the change."))
    child_id, unit_id = as_id(child_id), as_id(unit_id)
    if child_id is None or unit_id is None:
        raise DomainError(_l("Choose the child and the meal plan."))
    unit = next((u for u in units_open_on(facility_id, day) if u.id == unit_id), None)
    if unit is None:
        raise DomainError(_l("This meal plan is not open at this facility on %(day)s.",
                             day=format_day(day)))
    if not any(c.id == child_id for c in known_children_by_id(facility_id, child_id)):
        raise DomainError(_l("Choose a child already known at this facility."))
    taken = db.session.scalar(select(Presence.state).where(
        Presence.child_id == child_id, Presence.unit_id == unit_id, Presence.date == day,
        Presence.state.in_(HOLDING_STATES)))
    if taken is not None:
        raise DomainError(_l("This child already has a booking for this meal plan on this "
                             "day: mark it in the list."))
    household_id = db.session.scalar(
        select(Presence.household_id).join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .where(Presence.child_id == child_id, Reception.facility_id == facility_id)
        .order_by(Presence.date.desc(), Presence.id.desc()).limit(1))
    if household_id is None:  # pragma: no cover - known_children guarantees one
        household_id = db.session.scalar(select(HouseholdChild.household_id).where(
            HouseholdChild.child_id == child_id).order_by(HouseholdChild.household_id))
    actor_id = getattr(actor, "id", None)
    comment = str(_l("Came without a booking (added at the pointage)."))
    request = Request(kind=RequestKind.BOOKING.value, household_id=household_id,
                      child_id=child_id, period_id=unit.period_id, created_at=now,
                      created_by_id=actor_id, comment=comment)
    db.session.add(request)
    db.session.flush()
    presence = Presence(request_id=request.id, household_id=household_id, child_id=child_id,
                        period_id=unit.period_id, unit_id=unit.id, date=day,
                        state=PresenceState.ACCEPTED.value, created_at=now, updated_at=now,
                        decided_at=now, decided_by_id=actor_id)
    db.session.add(presence)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(_l("This child already has a booking for this meal plan on this "
                             "day: mark it in the list.")) from None
    db.session.add(PresenceHistory(presence_id=presence.id, at=now, actor_id=actor_id,
                                   from_state=None, to_state=PresenceState.ACCEPTED.value,
                                   reason=comment))
    db.session.add(Attendance(presence_id=presence.id, status=AttendanceStatus.PRESENT.value,
                              marked_at=now, marked_by_id=actor_id))
    lock = day_lock(facility_id, day)
    audit.record(actor, "attendance.walk_in", presence, now, household_id=household_id,
                 child_id=child_id, unit=unit.name, date=day, locked=lock is not None,
                 reason=reason)
    _tell_family(presence, unit, now)
    db.session.commit()
    return presence


def known_children_by_id(facility_id: int, child_id: int) -> list[Child]:
    known = exists().where(
        Presence.child_id == Child.id, Presence.period_id == Period.id,
        Period.reception_id == Reception.id, Reception.facility_id == facility_id)
    return list(db.session.scalars(select(Child).where(Child.id == child_id, known)))


def _tell_family(presence: Presence, unit: Unit, now: dt.datetime) -> None:
    from app.notifications.services import queue_email

    address = db.session.scalar(
        select(Guardian.email).where(Guardian.household_id == presence.household_id,
                                     Guardian.email != "")
        .order_by(Guardian.position).limit(1))
    if not address:
        return
    child = db.session.get(Child, presence.child_id)
    queue_email(address, "billing_walk_in", now, household_id=presence.household_id,
                child_name=child.full_name, day=format_day(presence.date), unit_name=unit.name,
                facility_name=unit.period.reception.facility.name)
