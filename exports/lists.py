"""Agents' lists as workbooks: households (with responsables and children, in
the columns the import reads back), children, requests, presences.

For list screens owned by other areas:

- ``export_query(columns, query, title, filename)`` answers a download of
  any query: ``columns`` is a list of ``(Col, getter)`` where the getter is an
  attribute name (dotted paths allowed) or a function of the row;
- ``ExcelExportMixin`` adds ``/export/xlsx`` ("Exporter (Excel)") to a FAB
  ModelView, exporting the rows the list shows (same filters and order, base
  filters included); set ``export_columns`` on the view.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Callable, Iterable

from flask import send_file
from flask_babel import gettext as _
from sqlalchemy import exists, select

from app.bookings.models import Presence, Request
from app.catalogue.models import Facility, Period, Reception, Unit
from app.core.states import (
    AttendanceStatus,
    FamilySituation,
    HouseholdStatus,
    PresenceState,
    RequestKind,
)
from app.extensions import db
from app.families.models import Child, Guardian, Household, HouseholdChild
from exports.writer import Col, Sheet, WorkbookWriter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers for any list ------------------------------------------------------

def _getter(spec) -> Callable[[Any], Any]:
    if callable(spec):
        return spec
    parts = spec.split(".")

    def get(row):
        value = row
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value
    return get


def rows_of(columns, items: Iterable) -> Iterable[list]:
    getters = [_getter(spec) for _col, spec in columns]
    for item in items:
        yield [get(item) for get in getters]


def xlsx_response(sheets: list[Sheet], filename: str):
    buffer = io.BytesIO()
    writer = WorkbookWriter()
    for sheet in sheets:
        writer.add(sheet)
    writer.save(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=filename)


def export_query(columns, query, title: str = "Export", filename: str = "export.xlsx"):
    """A download of ``query`` (a SQLAlchemy select or any iterable of rows)."""
    if hasattr(query, "compile") or hasattr(query, "whereclause"):
        result = db.session.execute(query.execution_options(yield_per=2000))
        items = result.scalars() if len(result.keys()) == 1 else result
    else:
        items = query
    sheet = Sheet(title, [col for col, _spec in columns], rows_of(columns, items))
    return xlsx_response([sheet], filename)


class ExcelExportMixin:
    """Add "Exporter (Excel)" to a FAB ModelView: the list's rows, as filtered."""

    export_columns: list = []
    export_filename = "export.xlsx"

    def _export_rows(self):
        from flask_appbuilder.urltools import get_filter_args, get_order_args

        get_filter_args(self._filters)
        order_column, order_direction = get_order_args().get(
            self.__class__.__name__, ("", ""))
        joined = self._base_filters.get_joined_filters(self._filters)
        _count, items = self.datamodel.query(joined, order_column, order_direction)
        return items

    def export_response(self):
        columns = self.export_columns or [
            (Col(str(self.label_columns.get(name, name))), name) for name in self.list_columns]
        title = str(getattr(self, "list_title", "") or "Export")
        return export_query(columns, self._export_rows(), title=title,
                            filename=self.export_filename)


def register_export_route(view_class):
    """Expose ``/export/xlsx`` on a FAB ModelView subclass using the mixin."""
    from flask_appbuilder import expose
    from flask_appbuilder.security.decorators import has_access

    @expose("/export/xlsx")
    @has_access
    def export_xlsx(self):
        return self.export_response()

    view_class.export_xlsx = export_xlsx
    return view_class


# --- the agents' lists ----------------------------------------------------------

def _facility_household_filter(facility_ids):
    """Households that booked at one of the facilities (for assigned agents)."""
    return exists().where(Request.household_id == Household.id,
                          Request.period_id == Period.id,
                          Period.reception_id == Reception.id,
                          Reception.facility_id.in_(list(facility_ids)))


def household_columns() -> list[Col]:
    return [Col(_("Household reference"), "int", width=10), Col(_("Street address"), width=30),
            Col(_("Address (continued)"), width=20), Col(_("Postcode"), width=10),
            Col(_("Town"), width=18), Col(_("Household phone"), width=16),
            Col(_("Family situation"), width=16), Col(_("Benefits scheme"), width=10),
            Col(_("Allocataire number (CAF/MSA)"), width=16),
            Col(_("Quotient familial"), "int", width=10),
            Col(_("Account status"), width=18)]


def guardian_columns() -> list[Col]:
    return [Col(_("Household reference"), "int", width=10),
            Col(_("Rank (1: account holder)"), "int", width=8), Col(_("Civility"), width=8),
            Col(_("Last name"), width=18), Col(_("First name"), width=16),
            Col(_("Date of birth"), "date"), Col(_("E-mail"), width=28),
            Col(_("Mobile phone"), width=16), Col(_("Work phone"), width=16),
            Col(_("Profession"), width=18), Col(_("Employer"), width=18),
            Col(_("Relationship to the child"), width=16)]


def child_columns() -> list[Col]:
    return [Col(_("Household reference"), "int", width=10), Col(_("Last name"), width=18),
            Col(_("First name"), width=16), Col(_("Date of birth"), "date"),
            Col(_("Sex (F/M)"), width=8), Col(_("Allergies"), width=24),
            Col(_("PAI (yes/no)"), width=8), Col(_("Diet"), width=18),
            Col(_("Family doctor"), width=20), Col(_("Doctor's phone"), width=16),
            Col(_("Image rights (yes/no)"), width=10)]


def _yes_no(value: bool) -> str:
    return _("yes (spreadsheet cell)") if value else _("no (spreadsheet cell)")


def households_sheets(facility_ids=None) -> list[Sheet]:
    query = select(Household).order_by(Household.id)
    if facility_ids is not None:
        query = query.where(_facility_household_filter(facility_ids))

    def households():
        for h in db.session.scalars(query.execution_options(yield_per=2000)):
            yield (h.id, h.address, h.address_extra, h.postcode, h.city, h.phone,
                   FamilySituation.label_of(h.family_situation) if h.family_situation else "",
                   h.benefits_regime or "", h.allocataire_number, h.quotient_familial,
                   HouseholdStatus.label_of(h.status))

    guardian_query = select(Guardian).order_by(Guardian.household_id, Guardian.position)
    child_query = (select(HouseholdChild.household_id, Child)
                   .join(Child, Child.id == HouseholdChild.child_id)
                   .order_by(HouseholdChild.household_id, Child.birth_date, Child.id))
    if facility_ids is not None:
        guardian_query = guardian_query.join(Household, Household.id == Guardian.household_id) \
            .where(_facility_household_filter(facility_ids))
        child_query = child_query.join(Household, Household.id == HouseholdChild.household_id) \
            .where(_facility_household_filter(facility_ids))

    def guardians():
        for g in db.session.scalars(guardian_query.execution_options(yield_per=2000)):
            yield (g.household_id, g.position + 1, g.civility or "", g.last_name, g.first_name,
                   g.birth_date, g.email, g.mobile_phone, g.work_phone, g.profession,
                   g.employer, g.relationship_to_child)

    def children():
        for household_id, c in db.session.execute(child_query.execution_options(yield_per=2000)):
            yield (household_id, c.last_name, c.first_name, c.birth_date, c.sex, c.allergies,
                   _yes_no(c.pai), c.diet, c.doctor_name, c.doctor_phone,
                   _yes_no(c.image_rights))

    return [Sheet(_("Households sheet"), household_columns(), households()),
            Sheet(_("Responsables"), guardian_columns(), guardians()),
            Sheet(_("Children of the households"), child_columns(), children())]


def children_sheets(facility_ids=None) -> list[Sheet]:
    return households_sheets(facility_ids)[2:]


def requests_sheets(start: dt.date, end: dt.date, facility_ids=None) -> list[Sheet]:
    query = (select(Request.id, Request.kind, Request.created_at, Request.household_id,
                    Child.last_name, Child.first_name, Facility.name, Period.name,
                    Request.comment)
             .join(Child, Child.id == Request.child_id)
             .join(Period, Period.id == Request.period_id)
             .join(Reception, Reception.id == Period.reception_id)
             .join(Facility, Facility.id == Reception.facility_id)
             .where(Request.created_at >= dt.datetime.combine(start, dt.time.min),
                    Request.created_at < dt.datetime.combine(end + dt.timedelta(days=1),
                                                             dt.time.min))
             .order_by(Request.created_at, Request.id))
    if facility_ids is not None:
        query = query.where(Reception.facility_id.in_(list(facility_ids)))

    def rows():
        for (rid, kind, created, household_id, last, first, facility, period,
             comment) in db.session.execute(query.execution_options(yield_per=2000)):
            yield (rid, RequestKind.label_of(kind), created, household_id,
                   f"{last.upper()} {first}", facility, period, comment)

    columns = [Col(_("File number"), "int", width=10), Col(_("Request type"), width=14),
               Col(_("Created on"), "datetime"), Col(_("Household reference"), "int", width=10),
               Col(_("Child's name"), width=24), Col(_("Facility name"), width=22),
               Col(_("Opening period"), width=30), Col(_("Comment for the service"), width=30)]
    return [Sheet(_("Requests list"), columns, rows())]


def presences_sheets(start: dt.date, end: dt.date, facility_ids=None) -> list[Sheet]:
    from app.attendance.models import Attendance

    query = (select(Presence.date, Presence.request_id, Presence.household_id,
                    Child.last_name, Child.first_name, Facility.name, Period.name, Unit.name,
                    Presence.state, Attendance.status)
             .join(Child, Child.id == Presence.child_id)
             .join(Unit, Unit.id == Presence.unit_id)
             .join(Period, Period.id == Presence.period_id)
             .join(Reception, Reception.id == Period.reception_id)
             .join(Facility, Facility.id == Reception.facility_id)
             .outerjoin(Attendance, Attendance.presence_id == Presence.id)
             .where(Presence.date >= start, Presence.date <= end)
             .order_by(Presence.date, Facility.name, Child.last_name, Child.first_name))
    if facility_ids is not None:
        query = query.where(Reception.facility_id.in_(list(facility_ids)))

    def rows():
        for (day, request_id, household_id, last, first, facility, period, unit, state,
             status) in db.session.execute(query.execution_options(yield_per=5000)):
            yield (day, request_id, household_id, f"{last.upper()} {first}", facility, period,
                   unit, PresenceState.label_of(state),
                   AttendanceStatus.label_of(status) if status else "")

    columns = [Col(_("Day of presence"), "date"), Col(_("File number"), "int", width=10),
               Col(_("Household reference"), "int", width=10), Col(_("Child's name"), width=24),
               Col(_("Facility name"), width=22), Col(_("Opening period"), width=30),
               Col(_("Meal plan"), width=28), Col(_("Booking state"), width=26),
               Col(_("Pointage status"), width=16)]
    return [Sheet(_("Presences list"), columns, rows())]
