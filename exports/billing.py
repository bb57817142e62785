"""Billing workbooks.

- ``accounting_sheets(year, month)``: for accounting, one row per invoice
  line (invoices and credit notes of the month), a sheet with one row per
  household and its totals, and a summary sheet whose total equals the sum of
  the invoices (all sums are exact integer cents).
- ``detail_sheets(year, month)``: one row per billed day (child, unit, day,
  price), the detailed view of what the month's run bills.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import and_, select

from app.attendance.models import Attendance
from app.billing import pricing
from app.billing.models import Invoice, InvoiceLine
from app.billing.services import CANDIDATE_STATES, month_bounds
from app.bookings.models import Presence
from app.catalogue.models import Facility, Period, Reception, ServiceKind, Tariff, Unit
from app.core.i18n import format_month
from app.core.states import (
    AttendanceStatus,
    InvoiceKind,
    InvoiceStatus,
    PresenceState,
)
from app.extensions import db
from app.families.models import Child, Guardian, Household


def _household_name(last_name, first_name, household_id) -> str:
    if last_name or first_name:
        return f"{(last_name or '').upper()} {first_name or ''}".strip()
    return _("Household %(id)s", id=household_id)


def accounting_sheets(year: int, month: int, include_drafts: bool = False) -> list:
    from exports.writer import Col, Sheet

    statuses = [InvoiceStatus.ISSUED.value] + ([InvoiceStatus.DRAFT.value]
                                               if include_drafts else [])
    invoices = db.session.execute(
        select(Invoice.id, Invoice.number, Invoice.kind, Invoice.status, Invoice.household_id,
               Invoice.total_cents, Invoice.issued_at, Guardian.last_name, Guardian.first_name,
               Household.allocataire_number, Household.quotient_familial)
        .join(Household, Household.id == Invoice.household_id)
        .outerjoin(Guardian, and_(Guardian.household_id == Household.id,
                                  Guardian.position == 0))
        .where(Invoice.year == year, Invoice.month == month, Invoice.status.in_(statuses))
        .order_by(Invoice.kind.desc(), Invoice.number, Invoice.id)).all()
    by_id = {row.id: row for row in invoices}
    month_label = format_month(year, month)

    def number_of(row):
        return row.number or _("Not numbered yet (draft)")

    def lines():
        ids = list(by_id)
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            for line in db.session.execute(
                    select(InvoiceLine.invoice_id, InvoiceLine.label, InvoiceLine.quantity,
                           InvoiceLine.unit_price_cents, InvoiceLine.amount_cents,
                           Unit.name)
                    .outerjoin(Unit, Unit.id == InvoiceLine.unit_id)
                    .where(InvoiceLine.invoice_id.in_(chunk))
                    .order_by(InvoiceLine.invoice_id, InvoiceLine.position)):
                inv = by_id[line.invoice_id]
                yield (number_of(inv), InvoiceKind.label_of(inv.kind), inv.issued_at,
                       month_label, _household_name(inv.last_name, inv.first_name,
                                                    inv.household_id),
                       inv.allocataire_number, line.label, line.name, line.quantity,
                       line.unit_price_cents, line.amount_cents)

    line_columns = [Col(_("Invoice number"), width=18), Col(_("Document type"), width=12),
                    Col(_("Issued on"), "datetime"), Col(_("Billing month"), width=16),
                    Col(_("Household (first responsable)"), width=26), Col(_("Allocataire number"), width=14),
                    Col(_("Invoice line"), width=48), Col(_("Meal plan"), width=26),
                    Col(_("Number of days"), "int", total=True), Col(_("Unit price"), "money"),
                    Col(_("Billed amount"), "money", total=True)]

    per_household: dict[int, dict] = {}
    for inv in invoices:
        entry = per_household.setdefault(inv.household_id, dict(
            name=_household_name(inv.last_name, inv.first_name, inv.household_id),
            allocataire=inv.allocataire_number, qf=inv.quotient_familial,
            numbers=[], invoiced=0, credited=0))
        entry["numbers"].append(number_of(inv))
        if inv.kind == InvoiceKind.CREDIT_NOTE.value:
            entry["credited"] += inv.total_cents
        else:
            entry["invoiced"] += inv.total_cents

    def households():
        for household_id, e in sorted(per_household.items(), key=lambda kv: kv[1]["name"]):
            yield (household_id, e["name"], e["allocataire"], e["qf"], ", ".join(e["numbers"]),
                   e["invoiced"], e["credited"], e["invoiced"] + e["credited"])

    household_columns = [Col(_("Household reference"), "int", width=10),
                         Col(_("Household (first responsable)"), width=28),
                         Col(_("Allocataire number"), width=14),
                         Col(_("Quotient familial"), "int", width=10),
                         Col(_("Billing documents"), width=34),
                         Col(_("Invoiced"), "money", total=True),
                         Col(_("Credited"), "money", total=True),
                         Col(_("Net amount"), "money", total=True)]

    invoice_rows = [r for r in invoices if r.kind == InvoiceKind.INVOICE.value]
    credit_rows = [r for r in invoices if r.kind == InvoiceKind.CREDIT_NOTE.value]

    def summary():
        yield (_("Invoices of the month"), len(invoice_rows), sum(r.total_cents for r in invoice_rows))
        yield (_("Credit notes of the month"), len(credit_rows), sum(r.total_cents for r in credit_rows))

    summary_columns = [Col(_("Billing documents"), width=22), Col(_("How many"), "int", total=True),
                       Col(_("Billed amount"), "money", total=True)]
    heading = [_("Billing of %(month)s", month=month_label)]
    if include_drafts:
        heading.append(_("Draft invoices included (not issued yet)."))
    return [
        Sheet(_("Billing summary"), summary_columns, summary(), heading=heading,
              total_label=_("Net total"), landscape=False),
        Sheet(_("Invoice lines"), line_columns, lines(), total_label=_("Total")),
        Sheet(_("By household"), household_columns, households(), total_label=_("Total")),
    ]


def detail_rows(year: int, month: int):
    """One tuple per billed day of the month (streamed): what the run bills."""
    first, last = month_bounds(year, month)
    brackets: dict[int, list] = defaultdict(list)
    for tariff in db.session.execute(select(Tariff.unit_id, Tariff.qf_min, Tariff.qf_max,
                                            Tariff.price_cents)):
        brackets[tariff.unit_id].append(
            pricing.Bracket(tariff.qf_min, tariff.qf_max, tariff.price_cents))
    state_labels = {s.value: str(s.label) for s in PresenceState}
    attendance_labels = {s.value: str(s.label) for s in AttendanceStatus}
    attendance_labels[None] = ""
    prices: dict[tuple, int | None] = {}
    query = (
        select(Presence.date, Presence.household_id, Guardian.last_name, Guardian.first_name,
               Household.quotient_familial, Child.last_name, Child.first_name,
               Facility.name, Unit.id, Unit.name, Presence.state, Presence.late_cancellation,
               Attendance.status, ServiceKind.billing_basis)
        .join(Household, Household.id == Presence.household_id)
        .outerjoin(Guardian, and_(Guardian.household_id == Household.id,
                                  Guardian.position == 0))
        .join(Child, Child.id == Presence.child_id)
        .join(Unit, Unit.id == Presence.unit_id)
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .join(Facility, Facility.id == Reception.facility_id)
        .join(ServiceKind, ServiceKind.id == Reception.service_kind_id)
        .outerjoin(Attendance, Attendance.presence_id == Presence.id)
        .where(Presence.date >= first, Presence.date <= last,
               Presence.state.in_(CANDIDATE_STATES))
        .order_by(Presence.household_id, Presence.child_id, Presence.date, Unit.id))
    is_billable = pricing.is_billable
    for (day, household_id, g_last, g_first, qf, c_last, c_first, facility, unit_id,
         unit_name, state, late, status, basis) in db.session.execute(
            query.execution_options(yield_per=10000)):
        if not is_billable(basis, state, late, status):
            continue
        key = (unit_id, qf)
        price = prices.get(key, -1)
        if price == -1:
            try:
                price = pricing.unit_price(brackets.get(unit_id, []), qf)
            except pricing.NoTariff:
                price = None
            prices[key] = price
        yield (day, household_id,
               f"{(g_last or '').upper()} {g_first or ''}".strip(), qf,
               f"{c_last.upper()} {c_first}", facility, unit_name, state_labels[state],
               attendance_labels.get(status, ""), 1, price)


def detail_sheets(year: int, month: int) -> list:
    from exports.writer import Col, Sheet

    columns = [Col(_("Day of presence"), "date"), Col(_("Household reference"), "int", width=10),
               Col(_("Household (first responsable)"), width=26), Col(_("Quotient familial"), "int", width=10),
               Col(_("Child's name"), width=24), Col(_("Facility name"), width=22),
               Col(_("Meal plan"), width=28), Col(_("Booking state"), width=22),
               Col(_("Pointage status"), width=16), Col(_("Number of days"), "int", total=True),
               Col(_("Price of the day"), "money", total=True)]
    return [Sheet(_("Billed days"), columns, detail_rows(year, month),
                  heading=[_("Billed days of %(month)s", month=format_month(year, month))],
                  total_label=_("Total"))]
