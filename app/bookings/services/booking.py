"""book(): the family's (or an agent's) request for days of one child in one
period, in ONE Request and one transaction: lock the slot days, count, write."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import insert, select

from app.bookings.models import Presence, PresenceHistory, Request
from app.bookings.services import capacity
from app.bookings.services.actors import actor_household_id, is_family
from app.bookings.services.common import BOOKED_STATES, S, in_transaction
from app.bookings.services.notify import email_household, email_lines, facility_context
from app.bookings.services.rules import is_child_of, levels_by_year, period_problem, problem_on_day
from app.core import audit
from app.core.errors import DomainError, NotFound
from app.core.i18n import format_day
from app.core.states import RequestKind
from app.extensions import db


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


def book(actor, now, household, child, period, selections, comment="") -> BookingResult:
    """Book the selected (date, unit_id) pairs for a child in ONE Request
    (kind booking). Each day becomes PENDING (ACCEPTED at once when the period
    needs no validation), or WAITLISTED when full and the period has a waiting
    list; a full day without a waiting list refuses the whole request
    (DomainError naming the day). Days the child already holds (or waits for)
    in this period are skipped (BookingResult.skipped). A séjour
    (``whole_booking``) is booked whole: every opening day, one unit,
    all-or-nothing. One recap e-mail to the household's guardians."""
    return in_transaction(lambda: _book(actor, now, household, child, period, selections, comment))


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
    if is_family(actor) and actor_household_id(actor) != household.id:
        raise NotFound(_("This child is not part of your household."))
    if not is_child_of(household, child):
        raise NotFound(_("This child is not part of your household."))
    pairs = _normalise_selections(selections)
    if not pairs:
        raise DomainError(_("Please choose at least one day."))
    all_units = capacity.unit_slot_ids(session, period.id)
    if any(unit_id not in all_units for _day, unit_id in pairs):
        raise DomainError(_("This option is not offered by this period."))
    problem = period_problem(actor, now, household, child, period)
    if problem:
        raise DomainError(problem)
    opening = set(capacity.opening_dates(period.id))
    levels = levels_by_year(child)
    for day in sorted({d for d, _u in pairs}):
        problem = problem_on_day(actor, now, child, period, day, opening, levels)
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
    email_household(household.id, "request", now, number=request.id, child_name=child.full_name,
                    lines=email_lines(presences),
                    skipped=[format_day(d) for d, _u, _r in result.skipped],
                    requires_validation=period.requires_validation, comment=request.comment,
                    **facility_context(period))
    return result
