"""Billing: the monthly run, issuing (gapless numbers), credit notes.

- ``run_billing(actor, now, year, month)`` computes one draft invoice per
  household for the month from its presences (pricing.py decides what is
  billed and at which price). It can be run again as often as needed: the
  month's drafts are recomputed; households whose invoice is already issued
  are left alone (an issued invoice is frozen).
- ``issue_invoices(actor, now, year, month)`` numbers the month's drafts
  FAC-<year>-<n> and freezes them; the family is told by e-mail.
- ``credit_note(actor, now, invoice, lines, reason)`` corrects an issued
  invoice: a credit note (kind ``credit_note``, negative quantities and
  amounts, numbered AV-<year>-<n>); an issued invoice is never edited.

Numbering: one continuous series per calendar year of issue and per kind
(FAC for invoices, AV for credit notes), each a row of InvoiceSequence. A
number is taken by ``UPDATE invoice_sequence SET last_number = last_number
+ n`` as the first write, which locks that row (PostgreSQL) or the database
(SQLite) until the transaction that writes the invoices commits: two runs
never take the same number, and a rolled-back transaction gives its numbers
back, so there are no gaps. The billing run takes the same lock, so a run
and an issue of the same month never interleave.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.attendance.models import Attendance
from app.billing import pricing
from app.billing.models import Invoice, InvoiceLine, InvoiceSequence
from app.bookings.models import Presence
from app.catalogue.models import Facility, Period, Reception, ServiceKind, Tariff, Unit
from app.core import audit
from app.core.errors import DomainError
from app.core.i18n import format_money, format_month
from app.core.states import InvoiceKind, InvoiceStatus, PresenceState
from app.extensions import db
from app.families.models import Child, Guardian, Household

PREFIXES = {InvoiceKind.INVOICE.value: "FAC", InvoiceKind.CREDIT_NOTE.value: "AV"}

# States a billing run looks at (the others are never billed).
CANDIDATE_STATES = (
    PresenceState.ACCEPTED.value,
    PresenceState.CANCEL_REQUESTED.value,
    PresenceState.CANCEL_EXPIRED.value,
    PresenceState.CANCELLED.value,
)


@dataclass
class RunResult:
    year: int
    month: int
    invoices: int = 0
    lines: int = 0
    total_cents: int = 0
    kept_issued: int = 0
    problems: list[str] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    _check_month(year, month)
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _check_month(year, month) -> None:
    if not (isinstance(year, int) and isinstance(month, int) and 2000 <= year <= 2100
            and 1 <= month <= 12):
        raise DomainError(_l("Choose a valid month."))


def format_number(kind: str, year: int, number: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{number:06d}"


# --- numbering ---------------------------------------------------------------

def _ensure_sequence(year: int, kind: str) -> None:
    exists = db.session.scalar(select(InvoiceSequence.year).where(
        InvoiceSequence.year == year, InvoiceSequence.kind == kind))
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(InvoiceSequence).values(year=year, kind=kind,
                                                              last_number=0))
    except IntegrityError:
        pass  # created at the same moment by another transaction


def take_numbers(year: int, kind: str, count: int) -> list[int]:
    """Reserve ``count`` consecutive numbers of a series, under the row lock."""
    _ensure_sequence(year, kind)
    db.session.execute(
        update(InvoiceSequence)
        .where(InvoiceSequence.year == year, InvoiceSequence.kind == kind)
        .values(last_number=InvoiceSequence.last_number + count))
    last = db.session.scalar(select(InvoiceSequence.last_number).where(
        InvoiceSequence.year == year, InvoiceSequence.kind == kind))
    return list(range(last - count + 1, last + 1))


def _lock_billing(now: dt.datetime) -> None:
    """Take the invoice series' row lock (adds nothing): serialises runs and issues."""
    take_numbers(now.year, InvoiceKind.INVOICE.value, 0)


# --- the billing run ---------------------------------------------------------

def _presence_rows(first: dt.date, last: dt.date):
    """Every presence of the month that might be billed, with what pricing needs."""
    return db.session.execute(
        select(Presence.household_id, Presence.child_id, Presence.unit_id, Presence.state,
               Presence.late_cancellation, Attendance.status, ServiceKind.billing_basis,
               Household.quotient_familial)
        .join(Period, Period.id == Presence.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .join(ServiceKind, ServiceKind.id == Reception.service_kind_id)
        .join(Household, Household.id == Presence.household_id)
        .outerjoin(Attendance, Attendance.presence_id == Presence.id)
        .where(Presence.date >= first, Presence.date <= last,
               Presence.state.in_(CANDIDATE_STATES))
        .execution_options(yield_per=5000))


def compute_month(year: int, month: int, exclude_households=frozenset()):
    """{household_id: [line dicts]} for the month, and the problems found.

    Each line: child_id, unit_id, label, quantity, unit_price_cents, amount_cents.
    """
    first, last = month_bounds(year, month)
    counts: dict[tuple[int, int, int], int] = defaultdict(int)
    qfs: dict[int, int | None] = {}
    for (household_id, child_id, unit_id, state, late, attendance, basis,
         qf) in _presence_rows(first, last):
        if household_id in exclude_households:
            continue
        if pricing.is_billable(basis, state, late, attendance):
            counts[(household_id, child_id, unit_id)] += 1
            qfs[household_id] = qf
    if not counts:
        return {}, []

    unit_ids = {key[2] for key in counts}
    child_ids = {key[1] for key in counts}
    brackets: dict[int, list] = defaultdict(list)
    for tariff in db.session.execute(
            select(Tariff.unit_id, Tariff.qf_min, Tariff.qf_max, Tariff.price_cents)
            .where(Tariff.unit_id.in_(unit_ids))):
        brackets[tariff.unit_id].append(
            pricing.Bracket(tariff.qf_min, tariff.qf_max, tariff.price_cents))
    units = {row.id: row for row in db.session.execute(
        select(Unit.id, Unit.name, Unit.position, Facility.name.label("facility"))
        .join(Period, Period.id == Unit.period_id)
        .join(Reception, Reception.id == Period.reception_id)
        .join(Facility, Facility.id == Reception.facility_id)
        .where(Unit.id.in_(unit_ids)))}
    children = {row.id: row for row in db.session.execute(
        select(Child.id, Child.first_name, Child.last_name).where(Child.id.in_(child_ids)))}

    def sort_key(key):
        _h, child_id, unit_id = key
        child, unit = children[child_id], units[unit_id]
        return (child.first_name, child.last_name, child_id, unit.facility, unit.position,
                unit_id)

    invoices: dict[int, list[dict]] = defaultdict(list)
    problems: list[str] = []
    for key in sorted(counts, key=lambda k: (k[0],) + sort_key(k)):
        household_id, child_id, unit_id = key
        child, unit = children[child_id], units[unit_id]
        try:
            price = pricing.unit_price(brackets.get(unit_id, []), qfs[household_id])
        except pricing.NoTariff as error:
            problems.append(_("%(unit)s (%(facility)s), household %(household)s: %(error)s",
                              unit=unit.name, facility=unit.facility,
                              household=household_id, error=str(error)))
            continue
        quantity = counts[key]
        label = f"{child.first_name} {child.last_name.upper()} – {unit.name} ({unit.facility})"
        invoices[household_id].append(dict(
            child_id=child_id, unit_id=unit_id, label=label[:300], quantity=quantity,
            unit_price_cents=price, amount_cents=pricing.line_amount(quantity, price)))
    return invoices, problems


def run_billing(actor, now: dt.datetime, year: int, month: int) -> RunResult:
    """Compute (or recompute) the month's draft invoices. Commits."""
    _check_month(year, month)
    result = RunResult(year=year, month=month)
    try:
        _lock_billing(now)
        month_filter = and_(Invoice.year == year, Invoice.month == month,
                            Invoice.kind == InvoiceKind.INVOICE.value)
        issued = set(db.session.scalars(select(Invoice.household_id).where(
            month_filter, Invoice.status == InvoiceStatus.ISSUED.value)))
        result.kept_issued = len(issued)
        per_household, problems = compute_month(year, month, exclude_households=issued)
        if problems:
            result.problems = problems
            raise DomainError(_l("The billing run stopped: some units have no tariff "
                                 "for some households. Nothing was changed."),
                              problems=problems)
        drafts = select(Invoice.id).where(month_filter,
                                          Invoice.status == InvoiceStatus.DRAFT.value)
        db.session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(drafts)))
        db.session.execute(delete(Invoice).where(
            month_filter, Invoice.status == InvoiceStatus.DRAFT.value))
        household_ids = sorted(per_household)
        if household_ids:
            invoice_rows = [dict(household_id=h, year=year, month=month,
                                 kind=InvoiceKind.INVOICE.value,
                                 status=InvoiceStatus.DRAFT.value,
                                 total_cents=pricing.total(l["amount_cents"]
                                                           for l in per_household[h]),
                                 created_at=now, note="")
                            for h in household_ids]
            ids = db.session.execute(
                insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True),
                invoice_rows).scalars().all()
            line_rows = []
            for invoice_id, household_id in zip(ids, household_ids):
                for position, line in enumerate(per_household[household_id], 1):
                    line_rows.append(dict(line, invoice_id=invoice_id, position=position))
            for start in range(0, len(line_rows), 5000):
                db.session.execute(insert(InvoiceLine), line_rows[start:start + 5000])
            result.invoices = len(ids)
            result.lines = len(line_rows)
            result.total_cents = sum(r["total_cents"] for r in invoice_rows)
        audit.record(actor, "billing.run", None, now, year=year, month=month,
                     invoices=result.invoices, total_cents=result.total_cents,
                     kept_issued=result.kept_issued)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# --- issuing -----------------------------------------------------------------

def _primary_emails(household_ids) -> dict[int, str]:
    emails: dict[int, str] = {}
    for household_id, email in db.session.execute(
            select(Guardian.household_id, Guardian.email)
            .where(Guardian.household_id.in_(household_ids), Guardian.email != "")
            .order_by(Guardian.household_id, Guardian.position)):
        emails.setdefault(household_id, email)
    return emails


def _notify(invoices: list[Invoice], now: dt.datetime, template: str) -> None:
    from app.notifications.services import queue_email

    ids = [i.household_id for i in invoices]
    emails = {}
    for start in range(0, len(ids), 500):
        emails.update(_primary_emails(ids[start:start + 500]))
    for invoice in invoices:
        address = emails.get(invoice.household_id)
        if address:
            queue_email(address, template, now, household_id=invoice.household_id,
                        number=invoice.number, month_label=format_month(invoice.year,
                                                                        invoice.month),
                        total=format_money(invoice.total_cents), invoice_id=invoice.id,
                        note=invoice.note)


def issue_invoices(actor, now: dt.datetime, year: int, month: int) -> list[Invoice]:
    """Number and freeze the month's draft invoices (in id order). Commits."""
    _check_month(year, month)
    try:
        _lock_billing(now)
        drafts = list(db.session.scalars(
            select(Invoice).where(Invoice.year == year, Invoice.month == month,
                                  Invoice.kind == InvoiceKind.INVOICE.value,
                                  Invoice.status == InvoiceStatus.DRAFT.value)
            .order_by(Invoice.id)))
        if not drafts:
            raise DomainError(_l("There is no draft invoice to issue for this month: "
                                 "run the billing first."))
        numbers = take_numbers(now.year, InvoiceKind.INVOICE.value, len(drafts))
        for invoice, number in zip(drafts, numbers):
            invoice.number = format_number(InvoiceKind.INVOICE.value, now.year, number)
            invoice.status = InvoiceStatus.ISSUED.value
            invoice.issued_at = now
            invoice.issued_by_id = getattr(actor, "id", None)
            audit.record(actor, "invoice.issue", invoice, now,
                         household_id=invoice.household_id, number=invoice.number,
                         total_cents=invoice.total_cents)
        _notify(drafts, now, "billing_invoice_issued")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return drafts


# --- credit notes ------------------------------------------------------------

def credited_quantities(invoice: Invoice) -> dict[int, int]:
    """{line position: quantity already credited} for an issued invoice."""
    rows = db.session.execute(
        select(InvoiceLine.position, func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.credits_invoice_id == invoice.id,
               Invoice.kind == InvoiceKind.CREDIT_NOTE.value)
        .group_by(InvoiceLine.position))
    return {position: -int(total) for position, total in rows}


def credit_note(actor, now: dt.datetime, invoice: Invoice, lines, reason: str) -> Invoice:
    """Credit some days of an issued invoice.

    ``lines``: pairs (line id, number of days to credit); None credits every
    line in full (what has not been credited yet). Each credit note line keeps
    the position of the line it corrects. Commits.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for the credit note."))
    if invoice.kind != InvoiceKind.INVOICE.value or invoice.status != InvoiceStatus.ISSUED.value:
        raise DomainError(_l("Only an issued invoice can be credited."))
    try:
        _lock_billing(now)
        already = credited_quantities(invoice)
        by_id = {line.id: line for line in invoice.lines}
        if lines is None:
            wanted = [(line.id, line.quantity - already.get(line.position, 0))
                      for line in invoice.lines]
            wanted = [(i, q) for i, q in wanted if q > 0]
        else:
            wanted = []
            for line_id, quantity in lines:
                try:
                    line_id, quantity = int(line_id), int(quantity)
                except (TypeError, ValueError):
                    raise DomainError(_l("Enter a whole number of days to credit.")) from None
                if quantity == 0:
                    continue
                line = by_id.get(line_id)
                if line is None:
                    raise DomainError(_l("This line does not belong to the invoice."))
                remaining = line.quantity - already.get(line.position, 0)
                if quantity < 0 or quantity > remaining:
                    raise DomainError(_l(
                        "Line \"%(label)s\": at most %(remaining)s day(s) can still be credited.",
                        label=line.label, remaining=remaining))
                wanted.append((line_id, quantity))
        if not wanted:
            raise DomainError(_l("Choose at least one day to credit."))
        number = take_numbers(now.year, InvoiceKind.CREDIT_NOTE.value, 1)[0]
        note = Invoice(household_id=invoice.household_id, year=invoice.year,
                       month=invoice.month, kind=InvoiceKind.CREDIT_NOTE.value,
                       status=InvoiceStatus.ISSUED.value,
                       number=format_number(InvoiceKind.CREDIT_NOTE.value, now.year, number),
                       created_at=now, issued_at=now, issued_by_id=getattr(actor, "id", None),
                       credits_invoice_id=invoice.id, note=reason)
        for line_id, quantity in wanted:
            line = by_id[line_id]
            note.lines.append(InvoiceLine(
                position=line.position, child_id=line.child_id, unit_id=line.unit_id,
                label=line.label, quantity=-quantity, unit_price_cents=line.unit_price_cents,
                amount_cents=pricing.line_amount(-quantity, line.unit_price_cents)))
        note.total_cents = pricing.total(l.amount_cents for l in note.lines)
        db.session.add(note)
        db.session.flush()
        audit.record(actor, "invoice.credit_note", note, now, household_id=note.household_id,
                     number=note.number, credits=invoice.number, reason=reason,
                     total_cents=note.total_cents)
        _notify([note], now, "billing_credit_note")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return note


# --- reading -----------------------------------------------------------------

def month_summary(year: int, month: int) -> dict:
    """Counts and totals of the month's invoices and credit notes, by kind and status."""
    rows = db.session.execute(
        select(Invoice.kind, Invoice.status, func.count(Invoice.id),
               func.coalesce(func.sum(Invoice.total_cents), 0))
        .where(Invoice.year == year, Invoice.month == month)
        .group_by(Invoice.kind, Invoice.status))
    summary = {"draft": (0, 0), "issued": (0, 0), "credit_note": (0, 0)}
    for kind, status, count, total_cents in rows:
        key = "credit_note" if kind == InvoiceKind.CREDIT_NOTE.value else status
        c, t = summary[key]
        summary[key] = (c + count, t + int(total_cents))
    return summary


def issued_invoices_of(household_id: int) -> list[Invoice]:
    """A household's issued invoices and credit notes, newest first."""
    return list(db.session.scalars(
        select(Invoice).where(Invoice.household_id == household_id,
                              Invoice.status == InvoiceStatus.ISSUED.value)
        .order_by(Invoice.year.desc(), Invoice.month.desc(), Invoice.issued_at.desc(),
                  Invoice.id.desc())))
