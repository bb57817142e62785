"""Bookings engine: the presence state machine (one function per transition),
the rules behind "sous conditions", and the reading helpers of the screens.

Every transition takes the acting user (a FAB user, or None for the system)
and ``now`` (naive Europe/Paris wall-clock), checks the current state, writes
a PresenceHistory row and the audit entry, queues the family's e-mail, and
commits. A forbidden move raises DomainError with a French message and
changes nothing (the session is rolled back).

Every write that takes or frees places runs: lock the slot-day rows
(capacity.lock_slot_days), count (capacity.SlotCounter / places_left), write,
commit — in one transaction (DESIGN.md §3). A freed place promotes the first
waitlisted child (by created_at, id) at once, in the same transaction.

Who may do what:
- a family user (role Famille) acts only on its own household's presences
  (else NotFound); it books, withdraws and asks for cancellations, within
  the period's rules and deadlines;
- staff (Agent, Admin; or None for the system) accept, refuse, handle
  cancellations, and may book past the opening date and booking deadline;
  an agent assigned to facilities acts only on those (else Forbidden).

Cancellation without the agent step: for a period that accepts bookings at
once (``requires_validation`` False) a family's cancellation in time is
accepted at once (ACCEPTED -> CANCELLED); PENDING and WAITLISTED days in a
cancellation are simply withdrawn.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from app.bookings import capacity, deadlines
from app.bookings.models import Presence, PresenceHistory, Request
from app.catalogue.models import (
    OpeningDay,
    Period,
    Reception,
    ServiceKind,
    Slot,
    StaffFacility,
    Unit,
)
from app.core import audit
from app.core.clock import school_year_label
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.models import AuditLog
from app.core.i18n import format_datetime, format_day
from app.core.states import HOLDING_STATES, PresenceState, RequestKind
from app.extensions import db
from app.families.models import Child, Guardian, HouseholdChild, SchoolInfo
from app.notifications.services import queue_email

S = PresenceState
STAFF_ROLES = {"Agent", "Admin"}
FAMILY_ROLE = "Famille"
# States a child's day counts as "already booked" in (skipped by book()).
BOOKED_STATES = HOLDING_STATES + (S.WAITLISTED.value,)
# States hidden from the planning unless "Afficher les annulations et refus".
CANCELLED_OR_REFUSED = (S.CANCELLED.value, S.REFUSED.value, S.WITHDRAWN.value)


# --- results ---------------------------------------------------------------

@dataclass
class BookingResult:
    """What ``book`` did with each selected (date, unit_id)."""

    request: object | None  # the Request (kind booking) written
    accepted: list = field(default_factory=list)  # Presences ACCEPTED at once
    pending: list = field(default_factory=list)  # Presences PENDING (agent validates)
    waitlisted: list = field(default_factory=list)  # Presences WAITLISTED (day full)
    skipped: list = field(default_factory=list)  # (date, unit_id, reason) already booked

    @property
    def presences(self) -> list:
        return sorted(self.accepted + self.pending + self.waitlisted,
                      key=lambda p: (p.date, p.unit_id))


@dataclass
class BulkResult:
    """What a bulk agent action did: how many changed, and why the others did not."""

    done: int = 0
    errors: dict = field(default_factory=dict)  # presence id -> French message


@dataclass
class CalendarPresence:
    """One presence as the family planning shows it (same attribute names as
    Presence). For a presence booked by ANOTHER household of a shared child
    (``other_account`` True), only the child, unit, day and state are given:
    ``id``, ``request_id`` and ``presence`` are None."""

    id: int | None
    child_id: int
    child: object
    period_id: int
    unit_id: int
    unit: object
    date: dt.date
    state: str
    other_account: bool = False
    request_id: int | None = None
    late_cancellation: bool = False
    presence: object | None = None  # the Presence row (own presences only)

    @property
    def state_label(self) -> str:
        if self.other_account:
            return _("Booking linked to another account")
        return PresenceState.label_of(self.state)


@dataclass
class HistoryRow:
    """One line of "Historique des réservations"."""

    request: object
    number: int  # N° dossier
    kind: str  # RequestKind value
    created_at: dt.datetime
    referent: str  # the guardian (or agent) who created it
    period_path: str  # "> Établissement > Accueil > Période"
    child: object
    dates: list  # sorted dates covered
    states: dict  # PresenceState value -> count, in legend order
    state_summary: str  # French, e.g. "2 × Présence acceptée, 1 × Liste d'attente"


@dataclass
class RequestDetails:
    request: object
    number: int
    kind: str
    created_at: dt.datetime
    referent: str
    period_path: str
    child: object
    comment: str
    presences: list  # Presence rows of the request (booking) or cancelled by it
    history: dict  # presence id -> list of PresenceHistory, oldest first


@dataclass
class SlotOccupancy:
    slot: object
    date: dt.date
    capacity: int
    taken: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.taken)


@dataclass
class Occupancy:
    """Places taken and left per slot per day, and the waiting list per day."""

    period: object
    dates: list
    slots: list  # SlotOccupancy, by (date, slot position)
    waiting: dict  # date -> [Presence WAITLISTED, by created_at, id]

    def for_day(self, day: dt.date) -> list:
        return [s for s in self.slots if s.date == day]


# --- actors ----------------------------------------------------------------

def _role_names(actor) -> set[str]:
    return {getattr(role, "name", "") for role in (getattr(actor, "roles", None) or [])}


def is_staff(actor) -> bool:
    """The system (None), agents and administrators."""
    return actor is None or bool(_role_names(actor) & STAFF_ROLES)


def _is_family(actor) -> bool:
    return actor is not None and not is_staff(actor)


def _actor_household_id(actor):
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == actor.id))
    return guardian.household_id if guardian else None


def _staff_facility_ids(actor) -> set[int] | None:
    """The facilities an agent is limited to; None: all of them."""
    if actor is None or "Admin" in _role_names(actor):
        return None
    ids = set(db.session.scalars(
        select(StaffFacility.facility_id).where(StaffFacility.user_id == actor.id)))
    return ids or None


def _require_staff(actor) -> set[int] | None:
    if not is_staff(actor):
        raise Forbidden(_("Only the service's agents may do this."))
    return _staff_facility_ids(actor)


def _check_facility(facilities, period) -> None:
    if facilities is not None and period.reception.facility_id not in facilities:
        raise Forbidden(_("This facility is not one of yours."))


def _check_owner(actor, presences) -> None:
    """A family acts only on its own household's presences."""
    if not _is_family(actor):
        return
    household_id = _actor_household_id(actor)
    for presence in presences:
        if household_id is None or presence.household_id != household_id:
            raise NotFound(_("This booking does not exist."))


# --- helpers ---------------------------------------------------------------

def _unit_label(presence) -> str:
    return presence.unit.name if presence.unit is not None else ""


_day_label = lru_cache(maxsize=2048)(format_day)


def _lines(presences) -> list[dict]:
    """What an e-mail lists for each day."""
    return [{"day": _day_label(p.date), "unit": _unit_label(p),
             "state": PresenceState.label_of(p.state)}
            for p in sorted(presences, key=lambda p: (p.date, p.unit_id))]


def _addresses(household_ids) -> dict[int, list[str]]:
    rows = db.session.execute(
        select(Guardian.household_id, Guardian.email)
        .where(Guardian.household_id.in_(list(set(household_ids))), Guardian.email != "")
        .order_by(Guardian.household_id, Guardian.position))
    addresses = defaultdict(list)
    for household_id, email in rows:
        if email not in addresses[household_id]:
            addresses[household_id].append(email)
    return addresses


def _email(household_id, template, now, addresses=None, **context) -> None:
    addresses = addresses if addresses is not None else _addresses([household_id])
    for address in addresses.get(household_id, []):
        queue_email(address, f"bookings_{template}", now, household_id=household_id, **context)


def _facility_context(period) -> dict:
    facility = period.reception.facility
    return {"facility_name": facility.name, "facility_phone": facility.phone,
            "period_path": period.path}


def _history(presence, to_state, actor, now, reason=None) -> PresenceHistory:
    entry = PresenceHistory(presence_id=presence.id, at=now, actor_id=getattr(actor, "id", None),
                            from_state=presence.state, to_state=to_state, reason=reason)
    presence.state = to_state
    presence.updated_at = now
    db.session.add(entry)
    return entry


def _decide(presence, to_state, actor, now, reason=None) -> None:
    _history(presence, to_state, actor, now, reason)
    presence.decided_at = now
    presence.decided_by_id = getattr(actor, "id", None)
    if reason is not None:
        presence.reason = reason


def _period_slot_ids(period_ids) -> list[int]:
    return list(db.session.scalars(
        select(Slot.id).where(Slot.period_id.in_(list(set(period_ids)))).order_by(Slot.id)))


def _lock_days(period_dates: dict) -> None:
    """Lock every slot-day row of these periods on these dates (for a séjour:
    of every opening day, since promotion moves whole stays)."""
    if not period_dates:
        return
    periods = {p.id: p for p in db.session.scalars(
        select(Period).where(Period.id.in_(list(period_dates))))}
    dates = set()
    for period_id, days in period_dates.items():
        period = periods.get(period_id)
        if period is not None and period.whole_booking:
            dates.update(_opening_dates(period_id))
        dates.update(days)
    capacity.lock_slot_days(_period_slot_ids(period_dates), dates)


def _opening_dates(period_id) -> list[dt.date]:
    return list(db.session.scalars(
        select(OpeningDay.date).where(OpeningDay.period_id == period_id)
        .order_by(OpeningDay.date)))


def _reload(presence) -> Presence:
    """The presence's current row, read after taking the slot-day lock: every
    transition of a presence takes the lock of its day first, so what we
    read now cannot change before we commit."""
    db.session.refresh(presence)
    return presence


def _clean_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please give a reason: the family will read it."))
    return reason


def _state_error(presence, rule: str) -> DomainError:
    """"<day> (<unit>): this booking is "<state>"; <rule>"."""
    return DomainError(_("%(day)s (%(unit)s): this booking is \"%(state)s\"; %(rule)s",
                         day=format_day(presence.date), unit=_unit_label(presence),
                         state=PresenceState.label_of(presence.state), rule=rule))


def _run(fn):
    """Commit what fn wrote, or roll everything back on any error."""
    try:
        result = fn()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


# --- rules -----------------------------------------------------------------

def booking_blockers(household, child, period, now) -> list[str]:
    """French reasons why this household cannot book this period for this
    child at all (household not validated, e-mail not confirmed, required
    documents missing/expired/refused, school info missing): the families
    area's rules, app.families.services.booking_blockers."""
    from app.families.services import booking_blockers as family_blockers

    return [str(reason) for reason in family_blockers(household, child, period, now)]


def _is_child_of(household, child) -> bool:
    return db.session.scalar(select(HouseholdChild.child_id).where(
        HouseholdChild.household_id == household.id,
        HouseholdChild.child_id == child.id)) is not None


def _period_problem(actor, now, household, child, period, blockers=True) -> str | None:
    """Why this child may not book this period at all (any day), or None."""
    kind = period.reception.service_kind
    if not period.published:
        return _("This period is not open for booking.")
    if not kind.allows_booking:
        return _("%(service)s cannot be booked online: please contact %(facility)s on %(phone)s.",
                 service=kind.name, facility=period.reception.facility.name,
                 phone=period.reception.facility.phone)
    if not is_staff(actor) and period.booking_opens_at and now < period.booking_opens_at:
        return _("Bookings for this period open on %(moment)s.",
                 moment=format_datetime(period.booking_opens_at))
    if blockers:
        problems = booking_blockers(household, child, period, now)
        if problems:
            return " ".join(str(p) for p in problems)
    return None


def _school_levels(period) -> list[str]:
    return [c.strip() for c in (period.school_levels or "").split(",") if c.strip()]


def _day_problem(actor, now, child, period, day, opening: set, levels_by_year: dict) -> str | None:
    """Why this child may not be booked on this day of this period, or None."""
    label = format_day(day)
    if day not in opening:
        return _("%(day)s is not an opening day of this period.", day=label)
    if day < now.date():
        return _("%(day)s has passed.", day=label)
    if not is_staff(actor):
        deadline = deadlines.booking_deadline(period, day)
        if deadline is not None and now > deadline:
            return _("Bookings for %(day)s closed on %(deadline)s.", day=label,
                     deadline=format_datetime(deadline))
    age = child.age_on(day)
    if period.min_age is not None and age < period.min_age:
        return _("%(child)s is too young for this period on %(day)s (from %(age)s years old).",
                 child=child.full_name, day=label, age=period.min_age)
    if period.max_age is not None and age > period.max_age:
        return _("%(child)s is too old for this period on %(day)s (up to %(age)s years old).",
                 child=child.full_name, day=label, age=period.max_age)
    levels = _school_levels(period)
    if levels:
        year = school_year_label(day)
        level = levels_by_year.get(year)
        if level is None:
            return _("Please fill in the school information of %(child)s for %(year)s.",
                     child=child.full_name, year=year)
        if level not in levels:
            return _("This period is for the school levels %(levels)s; %(child)s is in %(level)s in %(year)s.",
                     levels=", ".join(levels), child=child.full_name, level=level, year=year)
    return None


def _levels_by_year(child) -> dict[str, str]:
    return dict(db.session.execute(
        select(SchoolInfo.school_year, SchoolInfo.level).where(SchoolInfo.child_id == child.id)).all())


def check_can_book(actor, now, household, child, period, day) -> None:
    """Raise DomainError (French, naming the day) when this child may not be
    booked on this day of this period; staff actors skip the opening date and
    the booking deadline."""
    if not _is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    problem = _period_problem(actor, now, household, child, period)
    if problem is None:
        problem = _day_problem(actor, now, child, period, day, set(_opening_dates(period.id)),
                               _levels_by_year(child))
    if problem is not None:
        raise DomainError(problem)


def day_problems(actor, now, household, child, period, days) -> dict:
    """{day: French reason} for the days this child may NOT be booked on
    (every rule of check_can_book, checked once for the period and then per
    day: use it rather than check_can_book in a loop, e.g. for a cantine
    year). An empty dict: every day may be booked."""
    days = sorted(set(days))
    if not days:
        return {}
    if not _is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    problem = _period_problem(actor, now, household, child, period)
    if problem is not None:
        return {day: problem for day in days}
    opening = set(_opening_dates(period.id))
    levels = _levels_by_year(child)
    problems = {}
    for day in days:
        reason = _day_problem(actor, now, child, period, day, opening, levels)
        if reason is not None:
            problems[day] = reason
    return problems


def bookable_periods(household, child, now) -> list:
    """Periods the wizard proposes for this child: published, booking allowed
    by the service kind, booking opened, not over, child eligible by age or
    school level, at least one opening day still before its booking deadline.
    (What blocks the household as a whole — account, e-mail, documents — is
    told by ``booking_blockers``.)"""
    if not _is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    today = now.date()
    periods = db.session.scalars(
        select(Period).join(Reception, Reception.id == Period.reception_id)
        .join(ServiceKind, ServiceKind.id == Reception.service_kind_id)
        .where(Period.published.is_(True), ServiceKind.allows_booking.is_(True),
               Period.end_date >= today)).unique().all()
    periods = [p for p in periods if not p.booking_opens_at or p.booking_opens_at <= now]
    if not periods:
        return []
    days = defaultdict(list)
    for period_id, day in db.session.execute(
            select(OpeningDay.period_id, OpeningDay.date)
            .where(OpeningDay.period_id.in_([p.id for p in periods]), OpeningDay.date >= today)
            .order_by(OpeningDay.date)):
        days[period_id].append(day)
    levels = _levels_by_year(child)
    family = object()  # a non-staff actor: deadlines apply
    result = []
    for period in periods:
        opening = set(days[period.id])
        if any(_day_problem(family, now, child, period, d, opening, levels) is None
               for d in days[period.id]):
            result.append(period)
    result.sort(key=lambda p: (p.reception.facility.name, p.reception.name, p.start_date, p.name))
    return result


# --- booking ---------------------------------------------------------------

def book(actor, now, household, child, period, selections, comment="") -> BookingResult:
    """Book the selected (date, unit_id) pairs for a child in ONE Request
    (kind booking). Each day becomes PENDING (ACCEPTED at once when the period
    needs no validation), or WAITLISTED when full and the period has a waiting
    list; a full day without a waiting list refuses the whole request
    (DomainError naming the day). Days the child already holds (or waits for)
    in this period are skipped (BookingResult.skipped). A séjour
    (``whole_booking``) is booked whole: every opening day, one unit,
    all-or-nothing. One recap e-mail to the household's guardians."""
    return _run(lambda: _book(actor, now, household, child, period, selections, comment))


def _normalise_selections(selections) -> list[tuple[dt.date, int]]:
    pairs = set()
    for item in selections or ():
        try:
            day, unit_id = item
            if isinstance(day, dt.datetime):
                day = day.date()
            if isinstance(day, str):
                day = dt.date.fromisoformat(day)
            if not isinstance(day, dt.date):
                raise TypeError
            pairs.add((day, int(unit_id)))
        except (TypeError, ValueError):
            raise DomainError(_("The selected days are not valid.")) from None
    return sorted(pairs)


def _book(actor, now, household, child, period, selections, comment) -> BookingResult:
    session = db.session
    if _is_family(actor) and _actor_household_id(actor) != household.id:
        raise NotFound(_("This child is not part of your household."))
    if not _is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    pairs = _normalise_selections(selections)
    if not pairs:
        raise DomainError(_("Please choose at least one day."))
    all_units = capacity.unit_slot_ids(session, period.id)
    if any(unit_id not in all_units for _day, unit_id in pairs):
        raise DomainError(_("This option is not offered by this period."))
    problem = _period_problem(actor, now, household, child, period)
    if problem:
        raise DomainError(problem)
    opening = set(_opening_dates(period.id))
    levels = _levels_by_year(child)
    for day in sorted({d for d, _u in pairs}):
        problem = _day_problem(actor, now, child, period, day, opening, levels)
        if problem:
            raise DomainError(problem)
    if period.whole_booking:
        units = {u for _d, u in pairs}
        if len(units) != 1 or {d for d, _u in pairs} != opening or len(pairs) != len(opening):
            raise DomainError(_("This stay is booked as a whole: please choose every day of it, "
                                "with the same option."))

    unit_slots = {u: all_units[u] for u in {u for _d, u in pairs}}
    dates = sorted({d for d, _u in pairs})
    # Lock, then count: nobody else takes these places until we commit.
    capacity.lock_slot_days({s for ss in unit_slots.values() for s in ss}, dates)

    existing = session.execute(
        select(Presence.date, Presence.unit_id, Presence.household_id)
        .where(Presence.child_id == child.id, Presence.period_id == period.id,
               Presence.date.in_(dates), Presence.state.in_(BOOKED_STATES))).all()
    existing_units = capacity.unit_slot_ids(session, period.id, {u for _d, u, _h in existing}) \
        if existing else {}
    result = BookingResult(request=None)
    todo = []
    chosen = defaultdict(list)  # day -> units kept in this request
    for day, unit_id in pairs:
        clash = None
        for e_day, e_unit, e_household in existing:
            if e_day != day:
                continue
            if e_unit == unit_id or set(existing_units.get(e_unit, ())) & set(unit_slots[unit_id]):
                clash = e_household
                break
        if clash is None and any(set(unit_slots[u]) & set(unit_slots[unit_id])
                                 for u in chosen[day]):
            clash = household.id  # two options of this request take the same slot that day
        if clash is None:
            todo.append((day, unit_id))
            chosen[day].append(unit_id)
        elif clash == household.id:
            result.skipped.append((day, unit_id, _("already booked for this child")))
        else:
            result.skipped.append((day, unit_id, _("already booked by another account")))
    if period.whole_booking and result.skipped:
        raise DomainError(_("This stay is already booked for %(child)s.", child=child.full_name))
    if not todo:
        raise DomainError(_("Every chosen day is already booked."), skipped=result.skipped)

    counter = capacity.SlotCounter(session, period.id, dates, unit_slots)
    held = S.PENDING.value if period.requires_validation else S.ACCEPTED.value
    states = {}
    full = []
    for day, unit_id in todo:
        if counter.unit_left(unit_id, day) >= 1:
            counter.take(unit_id, day)
            states[(day, unit_id)] = held
        else:
            full.append((day, unit_id))
            states[(day, unit_id)] = S.WAITLISTED.value
    if full:
        day, unit_id = full[0]
        if not period.waitlist_enabled:
            raise DomainError(_("There is no place left on %(day)s for %(unit)s.",
                                day=format_day(day),
                                unit={u.id: u.name for u in period.units}[unit_id]))
        if period.whole_booking:  # the whole stay waits
            states = {key: S.WAITLISTED.value for key in states}

    request = Request(kind=RequestKind.BOOKING.value, household_id=household.id,
                      child_id=child.id, period_id=period.id, created_at=now,
                      created_by_id=getattr(actor, "id", None), comment=(comment or "").strip())
    session.add(request)
    session.flush()
    units_by_id = {u.id: u for u in period.units}
    presences = []
    for (day, unit_id), state in states.items():
        presence = Presence(request_id=request.id, household_id=household.id, child_id=child.id,
                            period_id=period.id, unit_id=unit_id, unit=units_by_id[unit_id],
                            date=day, state=state, created_at=now, updated_at=now)
        if state == S.ACCEPTED.value:
            presence.decided_at = now
        presences.append(presence)
    session.add_all(presences)
    session.flush()
    session.execute(insert(PresenceHistory), [
        dict(presence_id=p.id, at=now, actor_id=getattr(actor, "id", None), from_state=None,
             to_state=p.state) for p in presences])
    for presence in sorted(presences, key=lambda p: (p.date, p.unit_id)):
        {S.ACCEPTED.value: result.accepted, S.PENDING.value: result.pending,
         S.WAITLISTED.value: result.waitlisted}[presence.state].append(presence)
    result.request = request
    audit.record(actor, "booking.create", request, now, household_id=household.id,
                 period_id=period.id, child_id=child.id, accepted=len(result.accepted),
                 pending=len(result.pending), waitlisted=len(result.waitlisted),
                 skipped=len(result.skipped))
    _email(household.id, "request", now, number=request.id, child_name=child.full_name,
           lines=_lines(presences), skipped=[format_day(d) for d, _u, _r in result.skipped],
           requires_validation=period.requires_validation, comment=request.comment,
           **_facility_context(period))
    return result


# --- promotion -------------------------------------------------------------

def promote(now, period_id, dates, actor=None) -> list:
    """Fill freed places from the waiting list, first by (created_at, id), in
    the caller's transaction (the caller holds the slot-day locks of these
    days). A séjour's waiting request is promoted whole, only when every one
    of its days has a place. The promoted become PENDING (ACCEPTED when the
    period needs no validation); each family gets an e-mail."""
    session = db.session
    session.flush()
    period = session.get(Period, period_id)
    dates = sorted(set(dates))
    if period is None or not dates:
        return []
    waiting = session.scalars(
        select(Presence).where(Presence.period_id == period_id, Presence.date.in_(dates),
                               Presence.state == S.WAITLISTED.value)
        .order_by(Presence.created_at, Presence.id)).all()
    if not waiting:
        return []
    if period.whole_booking:
        request_ids = list(OrderedDict.fromkeys(p.request_id for p in waiting))
        groups = defaultdict(list)
        for p in session.scalars(select(Presence).where(
                Presence.request_id.in_(request_ids), Presence.state == S.WAITLISTED.value)):
            groups[p.request_id].append(p)
        candidates = [groups[r] for r in request_ids]
        count_dates = sorted({p.date for group in candidates for p in group})
    else:
        candidates = [[p] for p in waiting]
        count_dates = dates
    unit_slots = capacity.unit_slot_ids(session, period_id)
    counter = capacity.SlotCounter(session, period_id, count_dates, unit_slots)
    held = S.PENDING.value if period.requires_validation else S.ACCEPTED.value
    promoted = []
    for group in candidates:
        if all(counter.unit_left(p.unit_id, p.date) >= 1 for p in group):
            for p in group:
                counter.take(p.unit_id, p.date)
                _history(p, held, actor, now, _("A place became free"))
                if held == S.ACCEPTED.value:
                    p.decided_at = now
                audit.record(actor, "presence.promote", p, now, household_id=p.household_id,
                             to_state=held)
                promoted.append(p)
    if promoted:
        session.flush()
        by_household = defaultdict(list)
        for p in promoted:
            by_household[p.household_id].append(p)
        addresses = _addresses(by_household)
        children = {c.id: c for c in session.scalars(
            select(Child).where(Child.id.in_({p.child_id for p in promoted})))}
        for household_id, items in by_household.items():
            _email(household_id, "promoted", now, addresses=addresses,
                   child_name=", ".join(sorted({children[p.child_id].full_name for p in items})),
                   lines=_lines(items), requires_validation=period.requires_validation,
                   **_facility_context(period))
    return promoted


def _free_and_promote(now, presences, actor) -> list:
    by_period = defaultdict(set)
    for p in presences:
        by_period[p.period_id].add(p.date)
    promoted = []
    for period_id, days in sorted(by_period.items()):
        promoted += promote(now, period_id, days, actor=actor)
    return promoted


# --- single transitions ----------------------------------------------------

def withdraw(actor, now, presence):
    """PENDING or WAITLISTED -> WITHDRAWN (the family, at once, before the
    service processes it). A withdrawn PENDING day frees its place: the
    waiting list is promoted in the same transaction."""
    def run():
        _check_owner(actor, [presence])
        _lock_days({presence.period_id: {presence.date}})
        _reload(presence)
        if presence.state not in (S.PENDING.value, S.WAITLISTED.value):
            raise _state_error(presence, _("only a request awaiting processing or on the waiting list can be withdrawn."))
        was_holding = presence.state == S.PENDING.value
        _history(presence, S.WITHDRAWN.value, actor, now)
        audit.record(actor, "presence.withdraw", presence, now, household_id=presence.household_id)
        _email_one(presence, "withdrawn", now)
        if was_holding:
            _free_and_promote(now, [presence], actor)
        return presence
    return _run(run)


def _email_one(presence, template, now, **context) -> None:
    period = db.session.get(Period, presence.period_id)
    child = db.session.get(Child, presence.child_id)
    _email(presence.household_id, template, now, child_name=child.full_name,
           lines=_lines([presence]), **_facility_context(period), **context)


def _staff_transition(actor, now, presence, from_states, to_state, rule, audit_action,
                      template, reason=None, frees=False, **extra):
    facilities = _require_staff(actor)
    period = db.session.get(Period, presence.period_id)
    _check_facility(facilities, period)
    _lock_days({presence.period_id: {presence.date}})
    _reload(presence)
    if presence.state not in from_states:
        raise _state_error(presence, rule)
    _decide(presence, to_state, actor, now, reason)
    for key, value in extra.items():
        setattr(presence, key, value)
    audit.record(actor, audit_action, presence, now, household_id=presence.household_id,
                 reason=reason, **extra)
    _email_one(presence, template, now, reason=reason or "", **extra)
    if frees:
        _free_and_promote(now, [presence], actor)
    return presence


def accept(actor, now, presence):
    """PENDING -> ACCEPTED (agent)."""
    return _run(lambda: _staff_transition(
        actor, now, presence, (S.PENDING.value,), S.ACCEPTED.value,
        _("only a request awaiting processing can be accepted."),
        "presence.accept", "accepted"))


def refuse(actor, now, presence, reason):
    """PENDING -> REFUSED with a reason the family reads (agent). Frees the
    place: the waiting list is promoted."""
    def run():
        return _staff_transition(actor, now, presence, (S.PENDING.value,), S.REFUSED.value,
                                 _("only a request awaiting processing can be refused."),
                                 "presence.refuse", "refused",
                                 reason=_clean_reason(reason), frees=True)
    return _run(run)


def ask_cancellation(actor, now, presences, comment=""):
    """The family asks to cancel days of one child in one period.

    ACCEPTED -> CANCEL_REQUESTED, all in one Request of kind cancellation
    (presence.cancel_request_id); for a period without agent validation the
    cancellation is accepted at once (ACCEPTED -> CANCELLED). PENDING and
    WAITLISTED days are simply withdrawn. Past the cancellation deadline, or
    for a service that cannot be cancelled online (cantines), a family gets a
    DomainError saying whom to call, and nothing changes. Staff skip those two
    checks. Returns the cancellation Request, or None when every day was only
    withdrawn. One recap e-mail."""
    def run():
        items = list(presences or ())
        if not items:
            raise DomainError(_("Please choose at least one day to cancel."))
        if len({(p.household_id, p.child_id, p.period_id) for p in items}) != 1:
            raise DomainError(_("Please cancel the days of one child and one period at a time."))
        _check_owner(actor, items)
        first = items[0]
        period = db.session.get(Period, first.period_id)
        facility = period.reception.facility
        _lock_days({first.period_id: {p.date for p in items}})
        for p in items:
            _reload(p)
        to_cancel, to_withdraw = [], []
        for p in sorted(items, key=lambda p: (p.date, p.unit_id)):
            if p.state == S.ACCEPTED.value:
                to_cancel.append(p)
            elif p.state in (S.PENDING.value, S.WAITLISTED.value):
                to_withdraw.append(p)
            else:
                raise _state_error(p, _("it cannot be cancelled."))
        if to_cancel and not is_staff(actor):
            kind = period.reception.service_kind
            if not kind.allows_cancellation:
                raise DomainError(_("%(service)s cannot be cancelled online: please call "
                                    "%(facility)s on %(phone)s.", service=kind.name,
                                    facility=facility.name, phone=facility.phone))
            for p in to_cancel:
                if deadlines.cancellation_late(period, p.date, now):
                    deadline = deadlines.cancel_deadline(period, p.date)
                    if deadline is not None:
                        message = _("The cancellation deadline for %(day)s has passed (%(deadline)s): "
                                    "please call %(facility)s on %(phone)s.",
                                    day=format_day(p.date), deadline=format_datetime(deadline),
                                    facility=facility.name, phone=facility.phone)
                    else:
                        message = _("%(day)s can no longer be cancelled online: please call "
                                    "%(facility)s on %(phone)s.", day=format_day(p.date),
                                    facility=facility.name, phone=facility.phone)
                    raise DomainError(message)
        freed = []
        for p in to_withdraw:
            if p.state == S.PENDING.value:
                freed.append(p)
            _history(p, S.WITHDRAWN.value, actor, now)
            audit.record(actor, "presence.withdraw", p, now, household_id=p.household_id)
        request = None
        at_once = not period.requires_validation
        if to_cancel:
            request = Request(kind=RequestKind.CANCELLATION.value, household_id=first.household_id,
                              child_id=first.child_id, period_id=first.period_id, created_at=now,
                              created_by_id=getattr(actor, "id", None),
                              comment=(comment or "").strip())
            db.session.add(request)
            db.session.flush()
            for p in to_cancel:
                p.cancel_request_id = request.id
                if at_once:
                    _decide(p, S.CANCELLED.value, actor, now)
                    freed.append(p)
                else:
                    _history(p, S.CANCEL_REQUESTED.value, actor, now)
            audit.record(actor, "booking.cancel_request", request, now,
                         household_id=first.household_id, period_id=period.id,
                         presence_ids=[p.id for p in to_cancel], at_once=at_once)
        child = db.session.get(Child, first.child_id)
        _email(first.household_id, "cancellation", now, number=request.id if request else None,
               child_name=child.full_name, lines=_lines(to_cancel + to_withdraw),
               at_once=at_once, comment=(comment or "").strip(), **_facility_context(period))
        if freed:
            _free_and_promote(now, freed, actor)
        return request
    return _run(run)


def accept_cancellation(actor, now, presence):
    """CANCEL_REQUESTED -> CANCELLED (agent); frees the place, promotes."""
    return _run(lambda: _staff_transition(
        actor, now, presence, (S.CANCEL_REQUESTED.value,), S.CANCELLED.value,
        _("only a cancellation request can be accepted."), "presence.cancel_accept", "cancelled", frees=True))


def refuse_cancellation(actor, now, presence, reason):
    """CANCEL_REQUESTED -> ACCEPTED (agent), with the reason; the day stays booked."""
    def run():
        return _staff_transition(actor, now, presence, (S.CANCEL_REQUESTED.value,),
                                 S.ACCEPTED.value, _("only a cancellation request can be refused."),
                                 "presence.cancel_refuse",
                                 "cancellation_refused", reason=_clean_reason(reason))
    return _run(run)


def cancel_by_agent(actor, now, presence, reason, late=None):
    """ACCEPTED or CANCEL_REQUESTED -> CANCELLED by an agent, even past the
    deadline. ``late=None`` computes lateness from the period's cancellation
    deadline; a late cancellation sets presence.late_cancellation (billed
    anyway). Frees the place, promotes."""
    def run():
        period = db.session.get(Period, presence.period_id)
        is_late = deadlines.cancellation_late(period, presence.date, now) if late is None else bool(late)
        return _staff_transition(actor, now, presence,
                                 (S.ACCEPTED.value, S.CANCEL_REQUESTED.value), S.CANCELLED.value,
                                 _("only an accepted booking or a cancellation request can be cancelled."),
                                 "presence.cancel_by_agent", "cancelled",
                                 reason=(reason or "").strip() or None, frees=True,
                                 late_cancellation=is_late)
    return _run(run)


def expire(now) -> dict:
    """PENDING or WAITLISTED whose day has passed -> EXPIRED (no place came
    free in time); CANCEL_REQUESTED whose day has passed -> CANCEL_EXPIRED
    (the booking stays and counts as booked for billing). One e-mail per
    household. Returns {"expired": n, "cancel_expired": m}."""
    expiring = (S.PENDING.value, S.WAITLISTED.value, S.CANCEL_REQUESTED.value)

    def run():
        today = now.date()
        # Same lock as every other transition of these days, taken first.
        keys = db.session.execute(
            select(Presence.period_id, Presence.date).where(
                Presence.date < today, Presence.state.in_(expiring)).distinct()).all()
        by_period = defaultdict(set)
        for period_id, day in keys:
            by_period[period_id].add(day)
        _lock_days(by_period)
        rows = db.session.scalars(
            select(Presence).where(Presence.date < today, Presence.state.in_(expiring))
            .order_by(Presence.household_id, Presence.date, Presence.id)).all()
        counts = {"expired": 0, "cancel_expired": 0}
        by_household = defaultdict(list)
        for p in rows:
            if p.state != S.CANCEL_REQUESTED.value:
                _history(p, S.EXPIRED.value, None, now)
                counts["expired"] += 1
            else:
                _history(p, S.CANCEL_EXPIRED.value, None, now)
                counts["cancel_expired"] += 1
            audit.record(None, "presence.expire", p, now, household_id=p.household_id,
                         to_state=p.state)
            by_household[p.household_id].append(p)
        if by_household:
            addresses = _addresses(by_household)
            children = {c.id: c for c in db.session.scalars(
                select(Child).where(Child.id.in_({p.child_id for p in rows})))}
            for household_id, items in by_household.items():
                _email(household_id, "expired", now, addresses=addresses,
                       child_name=", ".join(sorted({children[p.child_id].full_name
                                                    for p in items})),
                       lines=_lines(items))
        return counts
    return _run(run)


# --- bulk (agents) ---------------------------------------------------------

def _bulk(actor, now, presence_ids, from_state, to_state, rule, audit_action,
          template, reason=None, frees=False) -> BulkResult:
    """One transaction for many presences, without a query or an ORM object
    per row: read the rows' columns, one UPDATE (guarded by the state), one
    multi-row INSERT each for the history and the audit entries (the same
    rows app.core.audit.record writes), one e-mail per household, child and
    period."""
    session = db.session
    facilities = _require_staff(actor)
    result = BulkResult()
    ids = []
    for raw in presence_ids or ():
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            continue
    ids = list(dict.fromkeys(ids))
    if not ids:
        return result
    keys = session.execute(select(Presence.period_id, Presence.date)
                           .where(Presence.id.in_(ids)).distinct()).all()
    by_period = defaultdict(set)
    for period_id, day in keys:
        by_period[period_id].add(day)
    _lock_days(by_period)
    rows = {row.id: row for row in session.execute(
        select(Presence.id, Presence.household_id, Presence.child_id, Presence.period_id,
               Presence.unit_id, Presence.date, Presence.state)
        .where(Presence.id.in_(ids)))}
    periods = {p.id: p for p in session.scalars(select(Period).where(Period.id.in_(list(by_period))))}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.period_id.in_(list(by_period))))}
    actor_id = getattr(actor, "id", None)
    changed = []
    for presence_id in ids:
        row = rows.get(presence_id)
        if row is None:
            result.errors[presence_id] = _("This booking does not exist.")
            continue
        if facilities is not None and periods[row.period_id].reception.facility_id not in facilities:
            result.errors[presence_id] = _("This facility is not one of yours.")
            continue
        item = SimpleNamespace(id=row.id, household_id=row.household_id, child_id=row.child_id,
                               period_id=row.period_id, unit_id=row.unit_id,
                               unit=units.get(row.unit_id), date=row.date, state=row.state)
        if row.state != from_state:
            result.errors[presence_id] = str(_state_error(item, rule))
            continue
        item.state = to_state
        changed.append(item)
    result.done = len(changed)
    if not changed:
        return result
    changed_ids = [p.id for p in changed]
    values = dict(state=to_state, updated_at=now, decided_at=now, decided_by_id=actor_id)
    if reason is not None:
        values["reason"] = reason
    session.execute(update(Presence).where(Presence.id.in_(changed_ids),
                                           Presence.state == from_state)
                    .values(**values).execution_options(synchronize_session=False))
    session.execute(insert(PresenceHistory), [
        dict(presence_id=p.id, at=now, actor_id=actor_id, from_state=from_state,
             to_state=to_state, reason=reason) for p in changed])
    details = json.dumps({"reason": reason}, ensure_ascii=False)
    session.execute(insert(AuditLog), [
        dict(at=now, actor_id=actor_id, action=audit_action, object_type="Presence",
             object_id=p.id, household_id=p.household_id, details=details) for p in changed])
    # The Presence objects already in the session now hold old values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Presence) and obj.id in rows:
            session.expire(obj)
    groups = defaultdict(list)
    for p in changed:
        groups[(p.household_id, p.child_id, p.period_id)].append(p)
    addresses = _addresses({p.household_id for p in changed})
    children = {c.id: c for c in session.scalars(
        select(Child).where(Child.id.in_({p.child_id for p in changed})))}
    for (household_id, child_id, period_id), items in groups.items():
        _email(household_id, template, now, addresses=addresses,
               child_name=children[child_id].full_name, lines=_lines(items),
               reason=reason or "", **_facility_context(periods[period_id]))
    if frees:
        _free_and_promote(now, changed, actor)
    return result


def accept_many(actor, now, presence_ids) -> BulkResult:
    """Accept many PENDING presences (agent), in one transaction; one e-mail
    per household, child and period. Presences that cannot be accepted are
    listed in ``errors`` (id -> French message); the others are accepted."""
    return _run(lambda: _bulk(actor, now, presence_ids, S.PENDING.value, S.ACCEPTED.value,
                              _("only a request awaiting processing can be accepted."),
                              "presence.accept", "accepted"))


def refuse_many(actor, now, presence_ids, reason) -> BulkResult:
    """Refuse many PENDING presences (agent) with one reason, in one
    transaction; frees their places and promotes the waiting lists."""
    def run():
        return _bulk(actor, now, presence_ids, S.PENDING.value, S.REFUSED.value,
                     _("only a request awaiting processing can be refused."), "presence.refuse", "refused", reason=_clean_reason(reason), frees=True)
    return _run(run)


# --- reading helpers for the screens ---------------------------------------

def _household_child_ids(household) -> list[int]:
    return list(db.session.scalars(select(HouseholdChild.child_id)
                                   .where(HouseholdChild.household_id == household.id)))


def presences_for_calendar(household, year, month, child_ids=None, include_cancelled=False,
                           include_other_accounts=False) -> list[CalendarPresence]:
    """Presences of the household's children in that month, by day.

    Cancelled, refused and withdrawn days only with ``include_cancelled``
    ("Afficher les annulations et refus"). Presences booked by ANOTHER
    household of a shared child only with ``include_other_accounts``, marked
    ``other_account`` and reduced to child, unit, day and state."""
    ids = _household_child_ids(household)
    if child_ids is not None:
        wanted = set()
        for raw in child_ids:
            try:
                wanted.add(int(raw))
            except (TypeError, ValueError):
                continue
        ids = [i for i in ids if i in wanted]
    if not ids:
        return []
    first = dt.date(int(year), int(month), 1)
    last = dt.date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    query = select(Presence).where(Presence.child_id.in_(ids), Presence.date >= first,
                                   Presence.date <= last)
    if not include_cancelled:
        query = query.where(Presence.state.not_in(CANCELLED_OR_REFUSED))
    if not include_other_accounts:
        query = query.where(Presence.household_id == household.id)
    children = {c.id: c for c in db.session.scalars(select(Child).where(Child.id.in_(ids)))}
    entries = []
    for p in db.session.scalars(query.order_by(Presence.date, Presence.child_id, Presence.id)):
        own = p.household_id == household.id
        entries.append(CalendarPresence(
            id=p.id if own else None, child_id=p.child_id, child=children[p.child_id],
            period_id=p.period_id, unit_id=p.unit_id, unit=p.unit, date=p.date, state=p.state,
            other_account=not own, request_id=p.request_id if own else None,
            late_cancellation=p.late_cancellation if own else False,
            presence=p if own else None))
    entries.sort(key=lambda e: (e.date, e.child.birth_date, e.child_id,
                                e.unit.position if e.unit is not None else 0, e.unit_id))
    return entries


def _referents(user_ids) -> dict[int, str]:
    user_ids = {u for u in user_ids if u is not None}
    if not user_ids:
        return {}
    names = {}
    for guardian in db.session.scalars(select(Guardian).where(Guardian.user_id.in_(user_ids))):
        names[guardian.user_id] = guardian.full_name
    missing = user_ids - set(names)
    if missing:
        from flask import current_app

        user_model = current_app.appbuilder.sm.user_model
        for user in db.session.scalars(select(user_model).where(user_model.id.in_(missing))):
            names[user.id] = f"{(user.last_name or '').upper()} {user.first_name or ''}".strip()
    return names


def _state_counts(presences) -> dict:
    counts = {s.value: 0 for s in PresenceState}
    for p in presences:
        counts[p.state] += 1
    return {k: v for k, v in counts.items() if v}


def _summary(counts: dict) -> str:
    return ", ".join(f"{n} × {PresenceState.label_of(state)}" for state, n in counts.items())


def history(household, page=1, per_page=5, include_cancelled=True) -> tuple[list[HistoryRow], int]:
    """The household's requests (N° dossier), newest first: (rows of the page,
    total). ``include_cancelled`` False leaves out cancellation requests."""
    try:
        page = max(1, int(page))
        per_page = min(100, max(1, int(per_page)))
    except (TypeError, ValueError):
        page, per_page = 1, 5
    where = [Request.household_id == household.id]
    if not include_cancelled:
        where.append(Request.kind == RequestKind.BOOKING.value)
    total = db.session.scalar(select(func.count(Request.id)).where(*where))
    requests = db.session.scalars(
        select(Request).where(*where).order_by(Request.created_at.desc(), Request.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).unique().all()
    if not requests:
        return [], total
    ids = [r.id for r in requests]
    by_request = defaultdict(list)
    for p in db.session.scalars(select(Presence).where(Presence.request_id.in_(ids))):
        by_request[p.request_id].append(p)
    for p in db.session.scalars(select(Presence).where(Presence.cancel_request_id.in_(ids))):
        by_request[p.cancel_request_id].append(p)
    referents = _referents(r.created_by_id for r in requests)
    rows = []
    for r in requests:
        items = by_request[r.id]
        counts = _state_counts(items)
        rows.append(HistoryRow(
            request=r, number=r.id, kind=r.kind, created_at=r.created_at,
            referent=referents.get(r.created_by_id, ""), period_path=r.period.path,
            child=r.child, dates=sorted({p.date for p in items}), states=counts,
            state_summary=_summary(counts)))
    return rows, total


def request_details(household, request_id) -> RequestDetails:
    """One request of the household with its days and their history; NotFound
    if it does not exist or is not the household's."""
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise NotFound(_("This request does not exist.")) from None
    request = db.session.get(Request, request_id)
    if request is None or request.household_id != household.id:
        raise NotFound(_("This request does not exist."))
    column = Presence.request_id if request.kind == RequestKind.BOOKING.value \
        else Presence.cancel_request_id
    presences = db.session.scalars(select(Presence).where(column == request.id)
                                   .order_by(Presence.date, Presence.unit_id)).all()
    history_rows = defaultdict(list)
    if presences:
        for h in db.session.scalars(select(PresenceHistory).where(
                PresenceHistory.presence_id.in_([p.id for p in presences]))
                .order_by(PresenceHistory.at, PresenceHistory.id)):
            history_rows[h.presence_id].append(h)
    return RequestDetails(
        request=request, number=request.id, kind=request.kind, created_at=request.created_at,
        referent=_referents([request.created_by_id]).get(request.created_by_id, ""),
        period_path=request.period.path, child=request.child, comment=request.comment,
        presences=list(presences), history=dict(history_rows))


def occupancy(period, dates) -> Occupancy:
    """Places taken/left per slot per day (opening days only), and the waiting
    list per day, first in line first (agents)."""
    dates = sorted(set(dates))
    slots = {s.id: s for s in db.session.scalars(
        select(Slot).where(Slot.period_id == period.id).order_by(Slot.position, Slot.id))}
    usage = capacity.slot_usage(db.session, period.id, dates)
    rows = [SlotOccupancy(slot=slots[slot_id], date=day, capacity=cap, taken=taken)
            for (slot_id, day), (cap, taken) in usage.items()]
    rows.sort(key=lambda r: (r.date, r.slot.position, r.slot.id))
    waiting = defaultdict(list)
    if dates:
        for p in db.session.scalars(
                select(Presence).where(Presence.period_id == period.id, Presence.date.in_(dates),
                                       Presence.state == S.WAITLISTED.value)
                .order_by(Presence.created_at, Presence.id)):
            waiting[p.date].append(p)
    return Occupancy(period=period, dates=dates, slots=rows, waiting=dict(waiting))
