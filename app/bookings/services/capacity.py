"""Capacity: the one place places are counted, and the lock taken before.

A unit's places left on a day = min over the slots it takes of
(slot capacity on that day - presences in HOLDING_STATES whose unit takes
that slot). Slot capacity on a day is SlotDay.capacity_override, else
Slot.capacity; a day without a SlotDay row (not an opening day) has no place.

Every write that takes places runs lock -> count -> write -> commit in one
transaction. ``lock_slot_days`` makes the transaction's first write an
``UPDATE slot_day SET version = version + 1`` on the rows the request needs:
on PostgreSQL that locks those rows (taken in a fixed order, slot id then
date, by a ``SELECT … ORDER BY … FOR UPDATE`` first, so two requests never
deadlock); on SQLite (pysqlite's default mode) it takes the database write
lock. See DESIGN.md §3. The engine calls it as ``capacity.lock_slot_days``
(or through ``lock_days``, in this module) so that the race test can replace
it with a no-op and show the overbooking.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select, update

from app.bookings.models import Presence
from app.catalogue.models import OpeningDay, Period, Slot, SlotDay, Unit, UnitSlot
from app.core.states import HOLDING_STATES
from app.extensions import db

# A unit that takes no slot has no capacity pool.
UNLIMITED = 10**9


def lock_slot_days(slot_ids: Iterable[int], dates: Iterable[dt.date], session=None) -> int:
    """Lock the slot-day rows of these slots and dates, in (slot id, date)
    order, for the rest of the transaction. Returns how many rows."""
    session = session or db.session
    slot_ids = sorted(set(slot_ids))
    dates = sorted(set(dates))
    if not slot_ids or not dates:
        return 0
    where = (SlotDay.slot_id.in_(slot_ids), SlotDay.date.in_(dates))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(SlotDay.id).where(*where)
                        .order_by(SlotDay.slot_id, SlotDay.date).with_for_update())
    result = session.execute(
        update(SlotDay).where(*where).values(version=SlotDay.version + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount


def _period_slot_ids(period_ids) -> list[int]:
    return list(db.session.scalars(
        select(Slot.id).where(Slot.period_id.in_(list(set(period_ids)))).order_by(Slot.id)))


def lock_days(period_dates: dict) -> None:
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
            dates.update(opening_dates(period_id))
        dates.update(days)
    lock_slot_days(_period_slot_ids(period_dates), dates)


def lock_presence_days(*where) -> dict[int, set[dt.date]]:
    """Lock the days of the presences that match ``where`` (before reading
    them); returns {period_id: {dates}}."""
    by_period = defaultdict(set)
    for period_id, day in db.session.execute(
            select(Presence.period_id, Presence.date).where(*where).distinct()):
        by_period[period_id].add(day)
    lock_days(by_period)
    return by_period


def opening_dates(period_id) -> list[dt.date]:
    return list(db.session.scalars(
        select(OpeningDay.date).where(OpeningDay.period_id == period_id)
        .order_by(OpeningDay.date)))


def unit_slot_ids(session, period_id: int, unit_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """{unit_id: [slot ids it takes]} for the units of a period."""
    session = session or db.session
    query = select(Unit.id).where(Unit.period_id == period_id)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(list(unit_ids)))
    units = {unit_id: [] for unit_id in session.scalars(query)}
    if units:
        rows = session.execute(
            select(UnitSlot.unit_id, UnitSlot.slot_id)
            .where(UnitSlot.unit_id.in_(list(units)))
            .order_by(UnitSlot.unit_id, UnitSlot.slot_id))
        for unit_id, slot_id in rows:
            units[unit_id].append(slot_id)
    return units


def slot_usage(session, period_id: int, dates: Iterable[dt.date],
               slot_ids: Iterable[int] | None = None) -> dict[tuple[int, dt.date], tuple[int, int]]:
    """{(slot_id, date): (capacity that day, places held)} for the slot days
    that exist (opening days)."""
    session = session or db.session
    dates = sorted(set(dates))
    if not dates:
        return {}
    query = (select(SlotDay.slot_id, SlotDay.date,
                    func.coalesce(SlotDay.capacity_override, Slot.capacity))
             .join(Slot, Slot.id == SlotDay.slot_id)
             .where(Slot.period_id == period_id, SlotDay.date.in_(dates)))
    if slot_ids is not None:
        query = query.where(SlotDay.slot_id.in_(sorted(set(slot_ids))))
    capacity = {(slot_id, day): cap for slot_id, day, cap in session.execute(query)}
    if not capacity:
        return {}
    taken_query = (select(UnitSlot.slot_id, Presence.date, func.count(Presence.id))
                   .join(UnitSlot, UnitSlot.unit_id == Presence.unit_id)
                   .where(Presence.period_id == period_id, Presence.date.in_(dates),
                          Presence.state.in_(HOLDING_STATES))
                   .group_by(UnitSlot.slot_id, Presence.date))
    taken = defaultdict(int)
    for slot_id, day, count in session.execute(taken_query):
        taken[(slot_id, day)] = count
    return {key: (cap, taken[key]) for key, cap in capacity.items()}


def places_left(session, period_id: int, dates: Iterable[dt.date],
                unit_ids: Iterable[int] | None = None) -> dict[tuple[int, dt.date], int]:
    """{(unit_id, date): places left} for the units (default: all units of the
    period) on these dates; 0 on a day that is not an opening day."""
    session = session or db.session
    dates = sorted(set(dates))
    units = unit_slot_ids(session, period_id, unit_ids)
    all_slots = {s for slots in units.values() for s in slots}
    usage = slot_usage(session, period_id, dates, all_slots) if all_slots else {}
    left = {}
    for unit_id, slots in units.items():
        for day in dates:
            if not slots:
                left[(unit_id, day)] = UNLIMITED
                continue
            values = []
            for slot_id in slots:
                cap_taken = usage.get((slot_id, day))
                values.append(0 if cap_taken is None else max(0, cap_taken[0] - cap_taken[1]))
            left[(unit_id, day)] = min(values)
    return left


class SlotCounter:
    """Places left per (slot, day), read once under the lock and decremented
    as a request takes places, so that several days or units of one request
    are counted against each other."""

    def __init__(self, session, period_id: int, dates, unit_slots: dict[int, list[int]]):
        self.unit_slots = unit_slots
        slots = {s for ss in unit_slots.values() for s in ss}
        usage = slot_usage(session, period_id, dates, slots) if slots else {}
        self.left = {key: max(0, cap - taken) for key, (cap, taken) in usage.items()}

    def unit_left(self, unit_id: int, day: dt.date) -> int:
        slots = self.unit_slots.get(unit_id, [])
        if not slots:
            return UNLIMITED
        return min(self.left.get((s, day), 0) for s in slots)

    def take(self, unit_id: int, day: dt.date) -> None:
        for s in self.unit_slots.get(unit_id, []):
            self.left[(s, day)] = self.left.get((s, day), 0) - 1

    def give_back(self, unit_id: int, day: dt.date) -> None:
        for s in self.unit_slots.get(unit_id, []):
            self.left[(s, day)] = self.left.get((s, day), 0) + 1
