"""Reading helpers for the screens: the family's month calendar, the history
of its requests and their details; the agents' occupancy."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.bookings.models import Presence, PresenceHistory, Request
from app.bookings.services import capacity
from app.bookings.services.common import CANCELLED_OR_REFUSED, S
from app.catalogue.models import Slot
from app.core.errors import NotFound
from app.core.states import PresenceState, RequestKind
from app.extensions import db
from app.families.models import Child, Guardian, HouseholdChild


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
