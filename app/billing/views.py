"""Billing screens: the monthly run (Comptable), invoices and credit notes,
and the family's "Mes factures".

Views read and validate input, then call app/billing/services.py. The family
pages look everything up through app.families.access (404 for anything that
is not the household's own, and for drafts).
"""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select

from app.attendance.services import as_id
from app.billing import services
from app.billing.models import Invoice
from app.core import clock
from app.core.errors import DomainError
from app.core.i18n import format_month
from app.core.states import InvoiceKind, InvoiceStatus
from app.core.views_common import PageView
from app.extensions import db
from app.families import access
from app.families.models import Guardian, Household
from exports.registry import parse_month

PAGE_SIZE = 50


def _month_from_args() -> tuple[int, int]:
    parsed = parse_month(request.values.get("month", ""))
    if parsed:
        return parsed
    today = clock.today()
    first = today.replace(day=1) - dt.timedelta(days=1)  # the month just ended
    return first.year, first.month


def _month_text(year: int, month: int) -> str:
    return f"{month:02d}/{year}"


class BillingRunView(PageView):
    """Facturation: run the month, look at the totals, issue the invoices."""

    route_base = "/facturation"

    def page(self):
        year, month = _month_from_args()
        summary = services.month_summary(year, month)
        return self.render_template(
            "billing/run.html", title=_("Billing"), year=year, month=month,
            month_label=format_month(year, month), month_text=_month_text(year, month),
            summary=summary)

    def _post_month(self):
        parsed = parse_month(request.form.get("month", ""))
        if not parsed:
            flash(_("Choose a valid month."), "danger")
            return None
        return parsed

    @expose("/lancer", methods=["POST"])
    @has_access
    def run(self):
        parsed = self._post_month()
        if parsed is None:
            return redirect(url_for("BillingRunView.index"))
        year, month = parsed
        try:
            result = services.run_billing(current_user, clock.now(), year, month)
        except DomainError as error:
            flash(str(error), "danger")
            for problem in (error.details.get("problems") or [])[:20]:
                flash(problem, "warning")
        else:
            flash(_("Billing of %(month)s computed: %(count)s draft invoice(s), %(lines)s "
                    "line(s). Invoices already issued are kept: %(kept)s.",
                    month=format_month(year, month), count=result.invoices,
                    lines=result.lines, kept=result.kept_issued), "success")
        return redirect(url_for("BillingRunView.index", month=_month_text(year, month)))

    @expose("/emettre", methods=["POST"])
    @has_access
    def issue(self):
        parsed = self._post_month()
        if parsed is None:
            return redirect(url_for("BillingRunView.index"))
        year, month = parsed
        try:
            issued = services.issue_invoices(current_user, clock.now(), year, month)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("%(count)s invoice(s) issued, from %(first)s to %(last)s. The families "
                    "have been told by e-mail.", count=len(issued), first=issued[0].number,
                    last=issued[-1].number), "success")
        return redirect(url_for("BillingRunView.index", month=_month_text(year, month)))


class BillingInvoiceView(BaseView):
    """Invoices and credit notes: list, detail, credit note."""

    route_base = "/facturation/factures"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        query = (select(Invoice, Guardian.last_name, Guardian.first_name)
                 .outerjoin(Guardian, (Guardian.household_id == Invoice.household_id)
                            & (Guardian.position == 0)))
        month = parse_month(request.args.get("month", ""))
        if month:
            query = query.where(Invoice.year == month[0], Invoice.month == month[1])
        status = request.args.get("status", "")
        if status in InvoiceStatus.values():
            query = query.where(Invoice.status == status)
        kind = request.args.get("kind", "")
        if kind in InvoiceKind.values():
            query = query.where(Invoice.kind == kind)
        search = (request.args.get("q") or "").strip()[:100]
        if search:
            pattern = f"%{search.lower()}%"
            query = query.where(or_(func.lower(Invoice.number).like(pattern),
                                    func.lower(Guardian.last_name).like(pattern)))
        page = min(as_id(request.args.get("page", 1)) or 1, 100000)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = db.session.execute(
            query.order_by(Invoice.year.desc(), Invoice.month.desc(), Invoice.kind,
                           Invoice.number, Invoice.id)
            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        return self.render_template(
            "billing/invoices.html", title=_("Invoices"), rows=rows, total=total, page=page,
            pages=max(1, -(-total // PAGE_SIZE)), filters=request.args,
            InvoiceStatus=InvoiceStatus, InvoiceKind=InvoiceKind)

    def _invoice(self, invoice_id) -> Invoice:
        invoice_id = as_id(invoice_id)
        invoice = db.session.get(Invoice, invoice_id) if invoice_id else None
        if invoice is None:
            abort(404)
        return invoice

    @expose("/<int:invoice_id>")
    @has_access
    def show(self, invoice_id):
        invoice = self._invoice(invoice_id)
        household = db.session.get(Household, invoice.household_id)
        credits = list(db.session.scalars(select(Invoice).where(
            Invoice.credits_invoice_id == invoice.id).order_by(Invoice.id)))
        credited = (services.credited_quantities(invoice)
                    if invoice.kind == InvoiceKind.INVOICE.value else {})
        original = (db.session.get(Invoice, invoice.credits_invoice_id)
                    if invoice.credits_invoice_id else None)
        return self.render_template(
            "billing/invoice.html", title=invoice.number or _("Draft invoice"),
            invoice=invoice, household=household, credits=credits, credited=credited,
            original=original, month_label=format_month(invoice.year, invoice.month),
            InvoiceStatus=InvoiceStatus, InvoiceKind=InvoiceKind, staff=True)

    @expose("/<int:invoice_id>/avoir", methods=["POST"])
    @has_access
    def credit(self, invoice_id):
        invoice = self._invoice(invoice_id)
        lines = []
        for line in invoice.lines:
            raw = (request.form.get(f"line-{line.id}") or "").strip()[:9]
            if raw:
                lines.append((line.id, raw))
        try:
            note = services.credit_note(current_user, clock.now(), invoice, lines,
                                        request.form.get("reason", ""))
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("BillingInvoiceView.show", invoice_id=invoice_id))
        flash(_("Credit note %(number)s issued.", number=note.number), "success")
        return redirect(url_for("BillingInvoiceView.show", invoice_id=note.id))


class FamilyInvoicesView(BaseView):
    """Mes factures: the household's issued invoices and credit notes."""

    route_base = "/compte/factures"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        household = access.current_household()
        invoices = services.issued_invoices_of(household.id)
        return self.render_template(
            "billing/family_invoices.html", title=_("My invoices"), invoices=invoices,
            format_month=format_month, InvoiceKind=InvoiceKind)

    @expose("/<invoice_id>")
    @has_access
    def show(self, invoice_id):
        household = access.current_household()
        if as_id(invoice_id) is None:
            abort(404)
        invoice = access.owned_or_404(Invoice, invoice_id, household)
        if invoice.status != InvoiceStatus.ISSUED.value:
            abort(404)
        original = None
        if invoice.credits_invoice_id:
            original = access.owned_or_404(Invoice, invoice.credits_invoice_id, household)
        return self.render_template(
            "billing/family_invoice.html", title=invoice.number, invoice=invoice,
            original=original, month_label=format_month(invoice.year, invoice.month),
            InvoiceKind=InvoiceKind)


def register_views(appbuilder) -> None:
    category = dict(category="Billing", category_label=_l("Billing"),
                    category_icon="fa-euro")
    appbuilder.add_view(BillingRunView, "BillingRunView", label=_l("Monthly billing"),
                        icon="fa-calculator", **category)
    appbuilder.add_view(BillingInvoiceView, "BillingInvoiceView",
                        label=_l("Invoices and credit notes"), icon="fa-file-text-o",
                        **category)
    appbuilder.add_view_no_menu(FamilyInvoicesView())
