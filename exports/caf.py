"""CAF statistics: actes and hours actually attended (pointage "present"),
per facility, period and month, by age (under 6 / 6 and over, on the day).
Hours come from the unit's times (Unit.minutes)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from app.attendance.models import Attendance
from app.bookings.models import Presence
from app.catalogue.models import Facility, Period, Reception, Unit
from app.core.i18n import format_day, format_month
from app.core.states import AttendanceStatus
from app.extensions import db
from app.families.models import Child
from exports.writer import Col, Sheet


def _minutes(start: dt.time | None, end: dt.time | None) -> int:
    if not (start and end):
        return 0
    return max(0, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def _age(birth: dt.date, day: dt.date) -> int:
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def caf_figures(start: dt.date, end: dt.date, facility_ids=None) -> dict:
    """{(facility, period, year, month, under6): [actes, minutes, {child ids}]}."""
    query = (
        select(Facility.name, Period.name, Presence.date, Presence.child_id, Child.birth_date,
               Unit.start_time, Unit.end_time)
        .join(Attendance, Attendance.presence_id == Presence.id)
        .join(Child, Child.id == Presence.child_id)
        .join(Unit, Unit.id == Presence.unit_id)
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .join(Facility, Facility.id == Reception.facility_id)
        .where(Presence.date >= start, Presence.date <= end,
               Attendance.status == AttendanceStatus.PRESENT.value))
    if facility_ids is not None:
        query = query.where(Reception.facility_id.in_(list(facility_ids)))
    figures: dict[tuple, list] = defaultdict(lambda: [0, 0, set()])
    for facility, period, day, child_id, birth, t0, t1 in db.session.execute(
            query.execution_options(yield_per=10000)):
        key = (facility, period, day.year, day.month, _age(birth, day) < 6)
        entry = figures[key]
        entry[0] += 1
        entry[1] += _minutes(t0, t1)
        entry[2].add(child_id)
    return figures


def caf_sheets(start: dt.date, end: dt.date, facility_ids=None) -> list[Sheet]:
    figures = caf_figures(start, end, facility_ids)
    under, over = _("Under 6"), _("6 and over")

    def rows():
        for key in sorted(figures):
            facility, period, year, month, young = key
            actes, minutes, children = figures[key]
            yield (facility, period, format_month(year, month), under if young else over,
                   len(children), actes, (Decimal(minutes) / 60).quantize(Decimal("0.01")))

    columns = [Col(_("Facility name"), width=26), Col(_("Opening period"), width=32),
               Col(_("Month of attendance"), width=16), Col(_("Age group"), width=14),
               Col(_("Distinct children"), "int", width=10), Col(_("Actes"), "int", total=True),
               Col(_("Hours attended"), "hours", width=12, total=True)]
    heading = [_("CAF statistics from %(start)s to %(end)s", start=format_day(start),
                 end=format_day(end)),
               _("Only days marked present are counted; age on the day.")]
    return [Sheet(_("CAF statistics"), columns, rows(), heading=heading,
                  total_label=_("Total"))]
