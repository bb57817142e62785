"""What is waiting for the staff: read-only counts for the dashboard.

Counts of booking work are limited to the facilities an agent is assigned
to (none assigned: every facility), like the queues they link to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from app.attendance.models import Attendance, AttendanceDayLock
from app.attendance.services import EXPECTED_STATES, facilities_for
from app.bookings.models import Presence
from app.catalogue.models import Period, Reception
from app.core.states import DocumentState, EmailStatus, HouseholdStatus, PresenceState
from app.extensions import db
from app.families.models import Document, Household
from app.notifications.models import OutgoingEmail


@dataclass
class Queue:
    """Days waiting in one state, as the queue lists them: how many, and the
    earliest (a day already passed waits for ``portail expire``)."""
    count: int = 0
    first_date: dt.date | None = None


@dataclass
class FacilityToday:
    facility_id: int
    name: str
    expected: int
    marked: int
    locked: bool

    @property
    def to_mark(self) -> int:
        return self.expected - self.marked


@dataclass
class Overview:
    today: dt.date
    households_submitted: int = 0
    documents_pending: int = 0
    bookings: Queue = field(default_factory=Queue)
    cancellations: Queue = field(default_factory=Queue)
    waitlisted: Queue = field(default_factory=Queue)
    emails_failed: int = 0
    facilities_today: list[FacilityToday] = field(default_factory=list)

    @property
    def nothing_waiting(self) -> bool:
        return not (self.households_submitted or self.documents_pending or self.bookings.count
                    or self.cancellations.count or self.emails_failed)


def _queue(facility_ids: list[int], state: str) -> Queue:
    count, first = db.session.execute(
        select(func.count(Presence.id), func.min(Presence.date))
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .where(Presence.state == state, Reception.facility_id.in_(facility_ids))).one()
    return Queue(count=count or 0, first_date=first)


def _facilities_today(facilities, today: dt.date) -> list[FacilityToday]:
    """Each facility with children expected today: expected, already marked, locked."""
    ids = [f.id for f in facilities]
    rows = db.session.execute(
        select(Reception.facility_id, func.count(Presence.id), func.count(Attendance.id))
        .select_from(Presence)
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .outerjoin(Attendance, Attendance.presence_id == Presence.id)
        .where(Presence.date == today, Presence.state.in_(EXPECTED_STATES),
               Reception.facility_id.in_(ids))
        .group_by(Reception.facility_id)).all()
    locked = set(db.session.scalars(select(AttendanceDayLock.facility_id).where(
        and_(AttendanceDayLock.date == today, AttendanceDayLock.facility_id.in_(ids)))))
    counts = {facility_id: (expected, marked) for facility_id, expected, marked in rows}
    return [FacilityToday(f.id, f.name, *counts[f.id], f.id in locked)
            for f in facilities if f.id in counts]


def overview(user, now: dt.datetime) -> Overview:
    """What waits for ``user`` (an agent or an administrator) at ``now``."""
    today = now.date()
    facilities = facilities_for(user)
    facility_ids = [f.id for f in facilities]
    result = Overview(today=today)
    result.households_submitted = db.session.scalar(
        select(func.count(Household.id)).where(
            Household.status == HouseholdStatus.SUBMITTED.value)) or 0
    result.documents_pending = db.session.scalar(
        select(func.count(Document.id)).join(Household, Household.id == Document.household_id)
        .where(Document.state == DocumentState.PENDING.value,
               Household.status.in_((HouseholdStatus.SUBMITTED.value,
                                     HouseholdStatus.VALIDATED.value)))) or 0
    result.bookings = _queue(facility_ids, PresenceState.PENDING.value)
    result.cancellations = _queue(facility_ids, PresenceState.CANCEL_REQUESTED.value)
    result.waitlisted = _queue(facility_ids, PresenceState.WAITLISTED.value)
    result.emails_failed = db.session.scalar(
        select(func.count(OutgoingEmail.id)).where(
            OutgoingEmail.status == EmailStatus.FAILED.value)) or 0
    result.facilities_today = _facilities_today(facilities, today)
    return result
