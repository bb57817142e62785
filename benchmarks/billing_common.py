"""Dataset set-up shared by the billing benchmarks (billing_run, billing_export).

- ``prepare(database_url, households)``: an app on the database; when it has
  fewer households than asked, ``portail generate`` adds them
  (app/demo/generate.py, Core inserts).
- ``largest_month()``: the (year, month) with the most presences that a
  billing run looks at.
- ``seed_attendance(year, month)``: the generator writes bookings only; for
  the month measured, every expected presence without pointage gets one
  (1 in 20 absent, 1 in 20 excused, the rest present) in one INSERT … SELECT,
  so that canteens (billed on attended days) count too.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import case, func, insert, literal, select

from benchmarks.common import make_app


def prepare(database_url: str | None, households: int):
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = make_app(database_url)
    with app.app_context():
        from app.extensions import db
        from app.families.models import Household

        have = db.session.scalar(select(func.count(Household.id))) or 0
        generated = 0
        if have < households:
            from app.demo.generate import generate

            generated = generate(households - have, seed=1)["households"]
    return app, generated


def largest_month() -> tuple[int, int, int]:
    from app.billing.services import CANDIDATE_STATES, month_bounds
    from app.bookings.models import Presence
    from app.extensions import db

    first, last = db.session.execute(select(func.min(Presence.date),
                                            func.max(Presence.date))).one()
    best = (0, first.year, first.month)
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        start, end = month_bounds(year, month)
        count = db.session.scalar(select(func.count(Presence.id)).where(
            Presence.date >= start, Presence.date <= end,
            Presence.state.in_(CANDIDATE_STATES)))
        best = max(best, (count, year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    count, year, month = best
    return year, month, count


def seed_attendance(year: int, month: int) -> int:
    from app.attendance.models import Attendance
    from app.attendance.services import EXPECTED_STATES
    from app.billing.services import month_bounds
    from app.bookings.models import Presence
    from app.extensions import db

    start, end = month_bounds(year, month)
    status = case((Presence.id % 20 == 0, "absent"), (Presence.id % 20 == 1, "excused"),
                  else_="present")
    source = (select(Presence.id, status, literal(dt.datetime(year, month, 1, 9, 0)))
              .outerjoin(Attendance, Attendance.presence_id == Presence.id)
              .where(Presence.date >= start, Presence.date <= end,
                     Presence.state.in_(EXPECTED_STATES), Attendance.id.is_(None)))
    before = db.session.scalar(select(func.count(Attendance.id)))
    db.session.execute(insert(Attendance).from_select(
        ["presence_id", "status", "marked_at"], source))
    db.session.commit()
    return db.session.scalar(select(func.count(Attendance.id))) - before
