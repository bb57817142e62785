"""The exports offered on the export pages, with their parameters.

Each export names its parameters (facility, day, month, date range, a
checkbox); ``parse`` reads them from a form and answers French messages for
anything wrong. ``build`` returns the sheets (row generators, nothing run
yet) for the writer. ``audience`` says which page lists it: "staff" (agents:
StaffExportView) or "billing" (accounting: BillingExportView); Admin sees
both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Param:
    name: str
    kind: str       # facility, day, month, start, end, flag
    label: object


@dataclass(frozen=True)
class ExportSpec:
    name: str
    label: object
    description: object
    audience: str
    params: tuple
    build: Callable
    filename: Callable
    facility_restricted: bool = True


def _attendance_day(p, facility_ids):
    from exports.attendance import day_sheets

    return day_sheets(p["facility"], p["day"])


def _attendance_month(p, facility_ids):
    from exports.attendance import month_sheets

    return month_sheets(p["facility"], p["month"][0], p["month"][1])


def _caf(p, facility_ids):
    from exports.caf import caf_sheets

    ids = [p["facility"]] if p.get("facility") else facility_ids
    return caf_sheets(p["start"], p["end"], ids)


def _households(p, facility_ids):
    from exports.lists import households_sheets

    return households_sheets(facility_ids)


def _children(p, facility_ids):
    from exports.lists import children_sheets

    return children_sheets(facility_ids)


def _requests(p, facility_ids):
    from exports.lists import requests_sheets

    return requests_sheets(p["start"], p["end"], facility_ids)


def _presences(p, facility_ids):
    from exports.lists import presences_sheets

    return presences_sheets(p["start"], p["end"], facility_ids)


def _accounting(p, facility_ids):
    from exports.billing import accounting_sheets

    return accounting_sheets(p["month"][0], p["month"][1], include_drafts=p.get("drafts", False))


def _detail(p, facility_ids):
    from exports.billing import detail_sheets

    return detail_sheets(p["month"][0], p["month"][1])


FACILITY = Param("facility", "facility", _l("Facility name"))
FACILITY_ANY = Param("facility", "facility_optional", _l("Facility name"))
DAY = Param("day", "day", _l("Day of presence"))
MONTH = Param("month", "month", _l("Month (MM/YYYY)"))
START = Param("start", "start", _l("From (date)"))
END = Param("end", "end", _l("To (date)"))
DRAFTS = Param("drafts", "flag", _l("Include draft invoices"))

EXPORTS: dict[str, ExportSpec] = {spec.name: spec for spec in (
    ExportSpec("attendance_day", _l("Attendance sheet of a day"),
               _l("Printable list of the children expected, with a signatures column."),
               "staff", (FACILITY, DAY), _attendance_day,
               lambda p: f"pointage-{p['day']:%Y-%m-%d}.xlsx"),
    ExportSpec("attendance_month", _l("Attendance of a month"),
               _l("Grid of children and days, per meal plan, with the days present."),
               "staff", (FACILITY, MONTH), _attendance_month,
               lambda p: f"presences-{p['month'][0]}-{p['month'][1]:02d}.xlsx"),
    ExportSpec("caf", _l("CAF statistics"),
               _l("Actes and hours attended per month, under 6 and 6 and over."),
               "staff", (FACILITY_ANY, START, END), _caf,
               lambda p: f"statistiques-caf-{p['start']:%Y-%m-%d}-{p['end']:%Y-%m-%d}.xlsx"),
    ExportSpec("households", _l("Households, responsables and children"),
               _l("Three sheets in the columns that the import reads."),
               "staff", (), _households, lambda p: "foyers.xlsx"),
    ExportSpec("children", _l("Children list"), _l("One row per child and household."),
               "staff", (), _children, lambda p: "enfants.xlsx"),
    ExportSpec("requests", _l("Requests (dossiers)"), _l("Requests created in the period."),
               "staff", (START, END), _requests,
               lambda p: f"dossiers-{p['start']:%Y-%m-%d}-{p['end']:%Y-%m-%d}.xlsx"),
    ExportSpec("presences", _l("Presences list"),
               _l("Every presence of the period with its state and pointage."),
               "staff", (START, END), _presences,
               lambda p: f"presences-{p['start']:%Y-%m-%d}-{p['end']:%Y-%m-%d}.xlsx"),
    ExportSpec("accounting", _l("Billing for accounting"),
               _l("Invoice lines, totals per household and a summary equal to the invoices."),
               "billing", (MONTH, DRAFTS), _accounting,
               lambda p: f"facturation-{p['month'][0]}-{p['month'][1]:02d}.xlsx",
               facility_restricted=False),
    ExportSpec("billing_detail", _l("Billed days (detail)"),
               _l("One row per billed day of the month, with its price."),
               "billing", (MONTH,), _detail,
               lambda p: f"jours-factures-{p['month'][0]}-{p['month'][1]:02d}.xlsx",
               facility_restricted=False),
)}

MAX_RANGE_DAYS = 400


def parse_day(text: str) -> dt.date | None:
    """A date typed as DD/MM/YYYY (or YYYY-MM-DD), within 1900–2200; else None."""
    text = (text or "").strip()[:20]
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return day if 1900 <= day.year <= 2200 else None
    return None


def parse_month(text: str) -> tuple[int, int] | None:
    text = (text or "").strip()[:20]
    for fmt in ("%m/%Y", "%Y-%m"):
        try:
            moment = dt.datetime.strptime(text, fmt)
            return moment.year, moment.month
        except ValueError:
            continue
    return None


def parse(spec: ExportSpec, form, allowed_facility_ids: set[int] | None) -> tuple[dict, list]:
    """(values, errors) from a form for the export's parameters."""
    values, errors = {}, []
    for param in spec.params:
        raw = (form.get(param.name) or "").strip()
        if param.kind in ("facility", "facility_optional"):
            if not raw and param.kind == "facility_optional":
                values[param.name] = None
                continue
            try:
                facility_id = int(raw[:12])
            except ValueError:
                errors.append(_l("Choose a facility."))
                continue
            if allowed_facility_ids is not None and facility_id not in allowed_facility_ids:
                errors.append(_l("Choose a facility."))
                continue
            values[param.name] = facility_id
        elif param.kind in ("day", "start", "end"):
            day = parse_day(raw)
            if day is None:
                errors.append(_l("%(field)s: enter a date as DD/MM/YYYY.", field=param.label))
            values[param.name] = day
        elif param.kind == "month":
            month = parse_month(raw)
            if month is None:
                errors.append(_l("%(field)s: enter a month as MM/YYYY.", field=param.label))
            values[param.name] = month
        elif param.kind == "flag":
            values[param.name] = raw in ("1", "on", "y", "yes", "true")
    start, end = values.get("start"), values.get("end")
    if start and end:
        if end < start:
            errors.append(_l("The end date must not be before the start date."))
        elif (end - start).days > MAX_RANGE_DAYS:
            errors.append(_l("Choose a period of at most %(days)s days.", days=MAX_RANGE_DAYS))
    return values, errors


def for_audience(audience: str) -> list[ExportSpec]:
    return [spec for spec in EXPORTS.values() if spec.audience == audience]
