"""The booking wizard's draft: the child, the period and the chosen
(day, unit) pairs, kept in the Flask session until the last "Valider"."""

from __future__ import annotations

import datetime as dt

from flask import abort, session

from app.bookings import services
from app.catalogue.models import Period, Unit
from app.core import clock
from app.extensions import db
from app.families.access import child_of

DRAFT_KEY = "booking_draft"


def load_draft() -> dict | None:
    data = session.get(DRAFT_KEY)
    return data if isinstance(data, dict) else None


def save_draft(draft: dict | None) -> None:
    if draft is None:
        session.pop(DRAFT_KEY, None)
    else:
        session[DRAFT_KEY] = draft
    session.modified = True


def draft_days(draft: dict) -> list[tuple[dt.date, int]]:
    days = []
    for item in draft.get("days") or []:
        try:
            days.append((dt.date.fromisoformat(item[0]), int(item[1])))
        except (TypeError, ValueError, IndexError):
            continue
    return sorted(set(days))


def set_draft_days(draft: dict, days) -> None:
    draft["days"] = [[d.isoformat(), u] for d, u in sorted(set(days))]


class Wizard:
    """The draft's child and period, re-checked against the household."""

    def __init__(self, household, draft, child, period):
        self.household = household
        self.draft = draft
        self.child = child
        self.period = period

    @property
    def days(self):
        return draft_days(self.draft)

    def save_days(self, days) -> None:
        """Replace the draft's days and keep the draft in the session."""
        set_draft_days(self.draft, days)
        save_draft(self.draft)


def load_wizard(household, need_period=True) -> Wizard | None:
    draft = load_draft()
    if not draft or "child" not in draft:
        return None
    child = child_of(household, draft["child"])  # 404 if not theirs
    period = None
    if need_period:
        if not draft.get("period"):
            return None
        period = db.session.get(Period, int(draft["period"]))
        if period is None:
            abort(404)
        if period.id not in {p.id for p in services.bookable_periods(household, child, clock.now())}:
            abort(404)
    return Wizard(household, draft, child, period)


def units_by_id(period: Period) -> dict[int, Unit]:
    return {unit.id: unit for unit in period.units}
