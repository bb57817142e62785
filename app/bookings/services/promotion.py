"""The waiting list: a freed place promotes the first waitlisted child, in
the transaction (and under the slot-day lock) of the move that freed it."""

from __future__ import annotations

from collections import OrderedDict, defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from app.bookings.models import Presence
from app.bookings.services import capacity
from app.bookings.services.common import S
from app.bookings.services.notify import change_state, email_households, facility_context
from app.catalogue.models import Period
from app.core import audit
from app.extensions import db


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
                change_state(p, held, actor, now, _("A place became free"))
                if held == S.ACCEPTED.value:
                    p.decided_at = now
                audit.record(actor, "presence.promote", p, now, household_id=p.household_id,
                             to_state=held)
                promoted.append(p)
    if promoted:
        session.flush()
        email_households("promoted", now, promoted,
                         requires_validation=period.requires_validation,
                         **facility_context(period))
    return promoted


def free_and_promote(now, presences, actor) -> list:
    by_period = defaultdict(set)
    for p in presences:
        by_period[p.period_id].add(p.date)
    promoted = []
    for period_id, days in sorted(by_period.items()):
        promoted += promote(now, period_id, days, actor=actor)
    return promoted
