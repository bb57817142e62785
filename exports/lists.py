"""Agents' lists as workbooks: households (with responsables and children, in
the columns the import reads back), children, requests, presences.

For list screens owned by other areas:

- ``export_query(columns, query, title, filename)`` answers a download of
  any query: ``columns`` is a list of ``(Col, getter)`` where the getter is an
  attribute name (dotted paths allowed) or a function of the row;
- ``ExcelExportMixin`` adds ``/export/xlsx`` and its "Exporter (Excel)"
  button to a FAB ModelView list, exporting the rows the list shows (same
  filters and order, base filters included, every page) in the list's
  columns; put it first in the view's bases: ``class StaffFooView(
  ExcelExportMixin, ModelView)``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tempfile
import unicodedata
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

from flask import current_app, flash, redirect, request, send_file, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError

from app.bookings.models import Presence, Request
from app.catalogue.models import Facility, Period, Reception, Unit
from app.core import clock
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
    """The workbook as a download. The write-only writer streams the rows to a
    temporary file (nothing held in memory), which is then sent and removed."""
    spool = tempfile.TemporaryFile()
    writer = WorkbookWriter()
    try:
        for sheet in sheets:
            writer.add(sheet)
        writer.save(spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return send_file(spool, mimetype=XLSX_MIMETYPE, as_attachment=True,
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


def file_slug(title: str) -> str:
    """A title as part of a file name: "Établissements" -> "etablissements"."""
    text = unicodedata.normalize("NFKD", str(title)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "export"


# --- "Exporter (Excel)" on a FAB list ----------------------------------------------

LIST_ARG = re.compile(r"^(_flt_\d+_|_oc_|_od_)")


def _column_kind(datamodel, name: str) -> str:
    """The writer's kind for a list column: money for ``*_cents``, real dates
    and date-times, whole numbers; anything else is written as the list shows it."""
    if name.endswith("_cents"):
        return "money"
    for kind, test in (("datetime", "is_datetime"), ("date", "is_date"),
                       ("int", "is_integer")):
        try:
            if getattr(datamodel, test)(name):
                return kind
        except Exception:  # noqa: BLE001 - a relation, property or dotted name
            return "text"
    return "text"


def _shown(value, formatter):
    """A cell as the list page shows it (its formatter, yes/no, related rows)."""
    if formatter is not None:
        value = formatter(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


class ExcelExportMixin:
    """Add "Exporter (Excel)" to a FAB ModelView: ``/export/xlsx`` answers a
    workbook of the rows the list shows, with its search filters (``_flt_…``),
    its order (``_oc_``/``_od_``) and its base filters, all pages, in the
    list's columns under their labels.

    Put the mixin before ModelView. It needs nothing else: the columns come
    from ``list_columns``/``label_columns`` (``*_cents`` as money, dates and
    date-times as real dates, whole numbers as numbers, the rest through the
    list's ``formatters_columns``); the sheet is named after ``list_title`` and
    the file after it and today's date ("etablissements-2026-11-26.xlsx").
    Optional: ``export_columns`` (``[(Col, getter)]``, see ``export_query``),
    ``export_basename``, ``export_kinds`` ({column: kind} overrides).

    The route is protected by the LIST's permission (``can_list``): whoever
    sees the list may export it, nobody else. The list page shows the button
    (template appbuilder/general/model/list_export.html).
    """

    list_template = "appbuilder/general/model/list_export.html"
    export_columns: list = []
    export_basename: str | None = None
    export_kinds: dict = {}
    export_yield_per = 500

    @expose("/export/xlsx")
    @has_access
    @permission_name("list")
    def export_xlsx(self):
        return self.export_response()

    # -- what is exported --------------------------------------------------
    def export_column_specs(self) -> list:
        if self.export_columns:
            return list(self.export_columns)
        specs = []
        for name in self.list_columns:
            label = str(self.label_columns.get(name, name))
            kind = self.export_kinds.get(name) or _column_kind(self.datamodel, name)
            formatter = self.formatters_columns.get(name)
            if kind == "text":
                getter = (lambda item, name=name, formatter=formatter:
                          _shown(self.datamodel._get_attr_value(item, name), formatter))
            else:
                getter = lambda item, name=name: self.datamodel._get_attr_value(item, name)
            specs.append((Col(label, kind), getter))
        return specs

    def _export_order(self) -> tuple[str, str]:
        """The list's order; an order column the list does not offer (a typed
        URL) falls back to the list's default order instead of failing."""
        column, direction = get_order_args().get(type(self).__name__, ("", ""))
        if column and column in (self.order_columns or []) and direction in ("asc", "desc"):
            return column, direction
        return tuple(self.base_order) if self.base_order else ("", "")

    def export_items(self):
        """The list's rows, every page, streamed from the database. The first
        row is fetched here, so that a search value the database refuses fails
        before the workbook is started."""
        get_filter_args(self._filters)
        order_column, order_direction = self._export_order()
        joined = self._filters.get_joined_filters(self._base_filters)
        query = db.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, joined, order_column, order_direction)
        rows = iter(query.yield_per(self.export_yield_per))
        first = next(rows, None)
        return [] if first is None else itertools.chain((first,), rows)

    def export_filename(self) -> str:
        base = self.export_basename or file_slug(self.export_title())
        return f"{base}-{clock.today().isoformat()}.xlsx"

    def export_title(self) -> str:
        return str(getattr(self, "list_title", "") or _("Export"))

    def export_response(self):
        columns = self.export_column_specs()
        try:
            return export_query(columns, self.export_items(), title=self.export_title(),
                                filename=self.export_filename())
        except (SQLAlchemyError, ValueError):
            # a search value the database cannot compare: the list, unfiltered
            db.session.rollback()
            current_app.logger.warning("export of %s refused", type(self).__name__,
                                       exc_info=True)
            flash(_("The export could not use these search criteria. Check them and "
                    "export again."), "danger")
            return redirect(url_for(f"{type(self).__name__}.list"))

    def export_url(self) -> str:
        """The export of the list as shown: same filters and order (no page)."""
        kept = [(k, v) for k, v in request.args.items(multi=True) if LIST_ARG.match(k)]
        url = url_for(f"{type(self).__name__}.export_xlsx")
        return url + ("?" + urlencode(kept) if kept else "")

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs.setdefault("export_url", self.export_url())
        return super().render_template(template, **kwargs)


def register_export_route(view_class):
    """Kept for views written before the mixin exposed its own route: the
    mixin already adds ``/export/xlsx``; this only checks it is there."""
    if not issubclass(view_class, ExcelExportMixin):
        raise TypeError(f"{view_class.__name__} does not use ExcelExportMixin")
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
