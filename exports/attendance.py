"""Attendance workbooks: the printable sheet of a facility's day (with a
signatures column) and the month grid (child × day, per unit)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import select

from app.attendance import services as attendance
from app.attendance.models import Attendance
from app.bookings.models import Presence
from app.catalogue.models import Facility, Period, Reception, Unit
from app.core.i18n import format_day, format_month
from app.core.states import AttendanceStatus
from app.extensions import db
from app.families.models import Child
from exports.writer import Col, Sheet


def _status_label(status):
    return AttendanceStatus.label_of(status) if status else ""


def day_sheets(facility_id: int, day: dt.date) -> list[Sheet]:
    facility = db.session.get(Facility, facility_id)
    rows = attendance.roster(facility_id, day)

    def generate():
        for row in rows:
            health = []
            if row.pai:
                health.append(_("PAI (care plan)") + (f" ({row.pai_details})" if row.pai_details else ""))
            if (row.allergies or "").strip():
                health.append(row.allergies.strip())
            if (row.diet or "").strip():
                health.append(row.diet.strip())
            yield (row.unit_name, row.last_name.upper(), row.first_name,
                   _age(row.birth_date, day),
                   " ; ".join(health), _status_label(row.status), None, None, None)

    columns = [Col(_("Meal plan"), width=26), Col(_("Last name"), width=18),
               Col(_("First name"), width=16), Col(_("Age (years)"), "int", width=6),
               Col(_("Allergies, PAI, diet"), width=30), Col(_("Pointage status"), width=16),
               Col(_("Arrival time"), width=9), Col(_("Departure time"), width=9),
               Col(_("Signature (pick-up)"), width=26)]
    heading = [_("Pointage – %(facility)s – %(day)s", facility=facility.name,
                 day=format_day(day)),
               _("%(count)s child(ren) expected", count=len(rows))]
    return [Sheet(title=day.strftime("%d-%m-%Y"), columns=columns, rows=generate(),
                  heading=heading, row_height=28, grid=True)]


def _age(birth: dt.date, day: dt.date) -> int:
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


CODES = {AttendanceStatus.PRESENT.value: "P", AttendanceStatus.ABSENT.value: "A",
         AttendanceStatus.EXCUSED.value: "AJ", None: "R"}


def month_sheets(facility_id: int, year: int, month: int) -> list[Sheet]:
    facility = db.session.get(Facility, facility_id)
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    grid: dict[tuple, dict] = defaultdict(dict)
    days: set[dt.date] = set()
    for (child_id, last_name, first_name, unit_name, unit_pos, day,
         status) in db.session.execute(
            select(Child.id, Child.last_name, Child.first_name, Unit.name, Unit.position,
                   Presence.date, Attendance.status)
            .join(Child, Child.id == Presence.child_id)
            .join(Unit, Unit.id == Presence.unit_id)
            .join(Period, Period.id == Presence.period_id)
            .join(Reception, Reception.id == Period.reception_id)
            .outerjoin(Attendance, Attendance.presence_id == Presence.id)
            .where(Reception.facility_id == facility_id, Presence.date >= first,
                   Presence.date <= last, Presence.state.in_(attendance.EXPECTED_STATES))):
        grid[(last_name.upper(), first_name, child_id, unit_pos, unit_name)][day] = status
        days.add(day)
    ordered_days = sorted(days)

    def generate():
        for key in sorted(grid):
            last_name, first_name, _child_id, _pos, unit_name = key
            marks = grid[key]
            cells = [CODES.get(marks[d], "?") if d in marks else None for d in ordered_days]
            present = sum(1 for s in marks.values() if s == AttendanceStatus.PRESENT.value)
            yield [last_name, first_name, unit_name] + cells + [present]

    columns = ([Col(_("Last name"), width=18), Col(_("First name"), width=16),
                Col(_("Meal plan"), width=24)]
               + [Col(d.strftime("%d/%m"), width=6) for d in ordered_days]
               + [Col(_("Days present"), "int", width=9, total=True)])
    heading = [_("Attendance of %(month)s – %(facility)s",
                 month=format_month(year, month), facility=facility.name),
               _("P: present, A: absent, AJ: excused absence, R: booked, not marked")]
    return [Sheet(title=format_month(year, month), columns=columns, rows=generate(),
                  heading=heading, total_label=_("Total"), grid=True)]
