"""Accessibility (RGAA 4.1, level AA) of the staff screens, in Chromium.

The screens are discovered from the registered views (app.appbuilder.baseviews),
so a screen added later is audited too: for each role (Agent, Comptable,
Admin), every view its permissions open (the role's view-name patterns in
app/core/security.py) is visited, a FAB ModelView by its list, "add" form,
one row's "show" and "edit" forms, any other view by its default page. Then
the pages that need a state to show anything: a household's file, the queues
with rows, occupancy of a month, the Pointage of a day (the choice, a roster,
a locked day, the search for a child without a booking), an invoice with its
credit note form, an export being prepared, an import checked (dry run), a
FAB list with its search filters, a FAB form sent with errors.

axe-core runs on each page at 1280 px (and the Pointage, used on a tablet or a
phone at the door, at 375 px too): no "serious" or "critical" violation, and
every window title names the page ("<page> – Portail Famille"), as for the
family pages (tests/e2e/a11y.py).

A keyboard check of the Pointage: Tab to a child's buttons, Enter/Space
marks present or absent, the keys p / a / j on a focused row, the focus
always visible.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask_appbuilder import ModelView, SimpleFormView
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories
from tests.e2e.a11y import Audit, open_context, submit

NOW = dt.datetime(2026, 10, 2, 10, 0)
ROSTER_DAY = dt.date(2026, 9, 30)
LOCKED_DAY = dt.date(2026, 9, 23)
ROLES = ("Agent", "Comptable", "Admin")

# Views that are not staff screens: the public site, the family's pages
# (audited by test_accessibility.py), the login, APIs and redirections.
# The self-service pages (own password, own details) are visited for every
# role below; an Admin's "reset this user's password" needs a user (pk).
NOT_STAFF_SCREENS = {
    "HomeView", "PublicSiteView", "RegistrationView", "PortailAuthDBView", "LocaleView",
    "UtilView", "MenuApi", "SecurityApi", "UserInfoEditView", "ResetMyPasswordView",
    "ResetPasswordView",
}

# Words a screen must show, so that it is audited with rows, not empty.
SHOWS = {
    "StaffHouseholdQueueView": "martin",          # the family awaiting validation
    "StaffBookingQueueView": "léa",               # her two pending days
    "StaffCancellationQueueView": "paul",          # his cancellation request
    "StaffOutboxView (liste)": "exemple.test",     # the e-mails sent to the families
    "BillingInvoiceView": "durand",               # the issued invoice
}


def _allowed(role: str, view_name: str, permission: str) -> bool:
    from app.core.security import ROLE_PERMISSIONS

    return any(re.match(view_re, view_name) and re.match(perm_re, permission)
               for view_re, perm_re in ROLE_PERMISSIONS[role])


def _first_pk(view):
    _count, items = view.datamodel.query(page=0, page_size=1)
    return view.datamodel.get_pk_value(items[0]) if items else None


def staff_screens(app, role: str) -> list[tuple[str, str]]:
    """(label, url) of every screen of a registered view that ``role`` opens."""
    from flask import url_for

    screens = []
    with app.test_request_context():
        for view in app.appbuilder.baseviews:
            name = type(view).__name__
            if name in NOT_STAFF_SCREENS or name.startswith("Family"):
                continue
            permission_name = view.class_permission_name
            if isinstance(view, ModelView):
                def can(perm, view=view, permission_name=permission_name):
                    return (perm in view.base_permissions
                            and _allowed(role, permission_name, perm))
                if not can("can_list"):
                    continue
                screens.append((f"{name} (liste)", url_for(f"{view.endpoint}.list")))
                if can("can_add"):
                    screens.append((f"{name} (ajout)", url_for(f"{view.endpoint}.add")))
                pk = _first_pk(view)
                if pk is not None and can("can_show"):
                    screens.append((f"{name} (fiche)", url_for(f"{view.endpoint}.show", pk=pk)))
                if pk is not None and can("can_edit"):
                    screens.append((f"{name} (modification)",
                                    url_for(f"{view.endpoint}.edit", pk=pk)))
            elif isinstance(view, SimpleFormView):
                if _allowed(role, permission_name, "can_this_form_get"):
                    screens.append((name, url_for(f"{view.endpoint}.this_form_get")))
            else:
                method = view.default_view
                perm = "can_" + (view.method_permission_name or {}).get(method, method)
                if _allowed(role, permission_name, perm):
                    screens.append((name, url_for(f"{view.endpoint}.{method}")))
    return screens


@pytest.fixture
def staff_data(app, clock, tmp_path):
    """A service with a period, a family awaiting validation (with a document
    to check), a validated family with bookings pending, accepted, asking for
    cancellation, pointed or not, a locked day, issued invoices, public
    content and e-mails in the outbox."""
    clock.set(NOW)
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    from app.attendance import services as attendance
    from app.billing import services as billing
    from app.billing.models import Invoice
    from app.bookings import services as bookings
    from app.extensions import db
    from app.families.access import household_of
    from app.families.models import Document, DocumentType

    with app.app_context():
        kind = factories.make_service_kind("acm_mercredi", "ACM des Mercredis")
        facility = factories.make_facility("ACM PITCHOUNET")
        period = factories.make_period(name="ACM MERCREDI MATERNELLE", facility=facility,
                                       service_kind=kind, requires_documents=False)
        units = {u.name: u for u in period.units}
        full_day = units["MERCREDI JOURNEE AVEC REPAS"]
        morning = units["MERCREDI MATIN SANS REPAS"]

        parent = factories.make_user("Famille", first_name="Manon", last_name="Durand")
        household = household_of(parent)
        paul = factories.make_child(household, first_name="Paul", last_name="Durand",
                                    birth_date=dt.date(2021, 3, 14))
        lea = factories.make_child(household, first_name="Léa", last_name="Durand",
                                   birth_date=dt.date(2020, 6, 2))
        for day, state, attendance_status in (
                (dt.date(2026, 9, 9), "accepted", "present"),
                (dt.date(2026, 9, 16), "accepted", "absent"),
                (LOCKED_DAY, "accepted", "present"),
                (ROSTER_DAY, "accepted", None),
                (dt.date(2026, 10, 21), "cancel_requested", None)):
            factories.make_presence(paul, period, unit=full_day, day=day, state=state,
                                    household=household, attendance=attendance_status,
                                    commit=False)
        factories.make_presence(lea, period, unit=morning, day=ROSTER_DAY, state="accepted",
                                household=household, attendance="present", commit=False)
        insurance = DocumentType(code="assurance", name="Attestation d'assurance",
                                 scope="household", position=1)
        db.session.add(insurance)
        db.session.commit()
        bookings.book(parent, NOW, household, lea, period,
                      [(dt.date(2026, 10, 14), morning.id), (dt.date(2026, 11, 4), full_day.id)])

        newcomer = factories.make_user("Famille", first_name="Inès", last_name="Martin",
                                       status="submitted")
        waiting = household_of(newcomer)
        factories.make_child(waiting, first_name="Jules", last_name="Martin",
                             birth_date=dt.date(2019, 4, 1))
        db.session.add(Document(
            household_id=waiting.id, document_type_id=insurance.id,
            original_filename="attestation-assurance.pdf", stored_name="a11y-staff.pdf",
            content_type="application/pdf", size=1000, state="pending",
            uploaded_at=dt.datetime(2026, 9, 28, 18, 0), expires_on=dt.date(2027, 8, 31)))
        db.session.commit()

        agent = factories.make_user("Agent", first_name="Agnès", last_name="Agent")
        comptable = factories.make_user("Comptable", first_name="Claude", last_name="Compta")
        admin = factories.make_user("Admin", first_name="Alix", last_name="Admin")
        attendance.lock_day(agent, NOW, facility.id, LOCKED_DAY, "Journée vérifiée")
        billing.run_billing(comptable, NOW, 2026, 9)
        billing.issue_invoices(comptable, NOW, 2026, 9)
        invoice_id = db.session.scalar(select(Invoice.id).where(
            Invoice.household_id == household.id))

        factories.make_page(service_kind=kind, section="presentation")
        factories.make_news()
        factories.make_public_document(service_kind=kind)
        data = {"agent": agent, "comptable": comptable, "admin": admin,
                "facility_id": facility.id, "period_id": period.id,
                "waiting_id": waiting.id, "household_id": household.id,
                "invoice_id": invoice_id, "agent_id": agent.id}
    yield data
    app.config.pop("EXPORT_FOLDER", None)


def _pointage(data, day: dt.date, **args) -> str:
    query = "".join(f"&{key}={value}" for key, value in args.items())
    return f"/pointage/?facility={data['facility_id']}&day={day:%d/%m/%Y}{query}"


def _households_workbook(app) -> bytes:
    from exports.lists import households_sheets
    from exports.writer import write_workbook

    buffer = io.BytesIO()
    with app.app_context():
        write_workbook(households_sheets(), buffer)
    return buffer.getvalue()


def _audit_role(app, browser, live_server, e2e_login, data, role) -> Audit:
    context, page = open_context(browser, live_server, "desktop")
    try:
        audit = Audit(page, "desktop")
        e2e_login(page, data[role.lower()])
        audit.visit("/", f"Accueil ({role})")
        for label, url in staff_screens(app, role):
            audit.visit(url, label)
            if label in SHOWS:
                assert SHOWS[label] in page.inner_text("main").lower(), (label, url)
        audit.visit("/users/userinfo/", "Mon profil (utilisateur)")
        audit.visit("/resetmypassword/form", "Changer mon mot de passe (utilisateur)")
        audit.visit("/userinfoeditview/form", "Modifier mon profil (utilisateur)")
        if role in ("Agent", "Admin"):
            audit.visit(f"/agents/familles/foyer/{data['waiting_id']}",
                        "Dossier d'une famille à valider")
            audit.visit(f"/agents/familles/foyer/{data['household_id']}",
                        "Dossier d'une famille validée")
            audit.visit(f"/agents/reservations/occupation/?periode={data['period_id']}"
                        "&mois=2026-10", "Occupation d'octobre")
            audit.visit(_pointage(data, ROSTER_DAY), "Pointage d'une journée")
            audit.visit(_pointage(data, LOCKED_DAY), "Pointage d'une journée verrouillée")
            audit.visit(_pointage(data, ROSTER_DAY, q="Durand"),
                        "Pointage, enfant sans réservation")
            page.goto("/exports/import")
            path = f"{app.config['EXPORT_FOLDER']}/foyers.xlsx"
            with open(path, "wb") as handle:
                handle.write(_households_workbook(app))
            page.set_input_files("input[name=file]", path)
            submit(page, "Vérifier le fichier")
            audit.check("Import vérifié (essai)")
            # A FAB list filtered from its "Search" panel: a filter from the
            # address, then one added with the panel's menu.
            audit.visit("/contentnewsview/list/?_flt_0_title=Programme", "Liste filtrée")
            page.get_by_role("link", name="Rechercher").click()
            page.get_by_role("button", name="Ajouter un filtre").click()
            page.locator("#filter_form .dropdown-menu a.filter").first.click()
            page.locator("#filter_form .filters tr").nth(1).wait_for()
            audit.check("Liste filtrée, filtre ajouté")
            # A FAB form sent empty (the browser's own checks turned off).
            page.goto("/contentnewsview/add")
            page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
            submit(page, "Enregistrer")
            page.locator(".has-error, .alert-danger").first.wait_for()
            audit.check("Ajouter une actualité, avec erreurs")
        if role in ("Comptable", "Admin"):
            audit.visit("/facturation/?month=09/2026", "Facturation de septembre")
            audit.visit("/facturation/factures/?month=09/2026", "Factures de septembre")
            audit.visit(f"/facturation/factures/{data['invoice_id']}",
                        "Une facture (formulaire d'avoir)")
            page.goto("/facturation/exports/")
            panel = page.locator("#export-billing_detail")
            panel.locator("input[name=month]").fill("09/2026")
            with page.expect_navigation():
                panel.get_by_role("button", name="Exporter (Excel)").click()
            page.get_by_role("link", name=re.compile("^Télécharger")).wait_for()
            audit.check("Export préparé")
    finally:
        context.close()
    return audit


@pytest.mark.parametrize("role", ROLES)
def test_staff_screens(app, browser, live_server, e2e_login, staff_data, role):
    audit = _audit_role(app, browser, live_server, e2e_login, staff_data, role)
    print(f"{role}: {len(audit.pages)} pages")
    assert len(audit.pages) >= {"Agent": 40, "Comptable": 15, "Admin": 80}[role], audit.pages
    audit.assert_clean()


def test_screens_are_discovered_for_each_role(app, staff_data):
    """The discovery finds the screens the brief names, and each role only its own."""
    found = {role: {label.split(" (")[0] for label, _url in staff_screens(app, role)}
             for role in ROLES}
    assert {"StaffHouseholdQueueView", "StaffBookingQueueView", "StaffCancellationQueueView",
            "StaffOccupancyView", "StaffAttendanceView", "StaffExportView", "StaffOutboxView",
            "ContentPageView", "ContentNewsView", "ContentDocumentView", "ContentContactView",
            "CatalogueFacilityView", "CataloguePeriodView"} <= found["Agent"]
    assert {"BillingRunView", "BillingInvoiceView", "BillingExportView",
            "CatalogueTariffView"} <= found["Comptable"]
    assert not any(name.startswith(("Staff", "Content")) for name in found["Comptable"])
    assert not any(name.startswith("Billing") for name in found["Agent"])
    assert {"UserDBModelView", "RoleModelView"} <= found["Admin"]
    assert found["Agent"] | found["Comptable"] <= found["Admin"]


def test_pointage_on_a_phone(browser, live_server, e2e_login, staff_data):
    context, page = open_context(browser, live_server, "mobile")
    try:
        audit = Audit(page, "mobile")
        e2e_login(page, staff_data["agent"])
        audit.visit("/pointage/", "Pointage (choix)")
        audit.visit(_pointage(staff_data, ROSTER_DAY), "Pointage d'une journée")
        audit.visit(_pointage(staff_data, LOCKED_DAY), "Pointage d'une journée verrouillée")
        audit.visit(_pointage(staff_data, ROSTER_DAY, q="Durand"),
                    "Pointage, enfant sans réservation")
        # The phone's menu, opened, with the agents' screens.
        page.get_by_role("button", name="Ouvrir le menu").click()
        page.get_by_role("link", name="Espace agents").click()
        page.get_by_role("link", name="Pointage").first.wait_for()
        audit.check("Pointage, menu ouvert")
    finally:
        context.close()
    audit.assert_clean()


def test_pointage_by_keyboard_alone(app, page, e2e_login, staff_data):
    """Mark a day with the keyboard only: the first child not marked has the
    focus, a key marks them and moves on; Tab reaches each child's buttons
    (their names say the child), Enter and Space press them; the focus is
    always visible."""
    from tests.e2e.test_keyboard import _focused, tab_to, text_is

    e2e_login(page, staff_data["agent"])
    page.goto(_pointage(staff_data, ROSTER_DAY))
    paul = page.locator(".pointage-row", has_text="DURAND Paul")
    lea = page.locator(".pointage-row", has_text="DURAND Léa")
    expect(paul).to_be_focused()
    info = _focused(page)
    assert info["outline"] or info["ring"], info
    assert paul.get_attribute("role") == "group"
    page.keyboard.press("a")
    expect(paul).to_have_attribute("data-status", "absent")
    expect(paul.locator(".current")).to_have_text("Absent")
    expect(lea).to_be_focused()

    # Tab into Léa's buttons; Enter presses "Absence justifiée".
    tab_to(page, text_is("^Absence justifiée$"))
    expect(lea.get_by_role("button", name="Absence justifiée")).to_be_focused()
    page.keyboard.press("Enter")
    expect(lea).to_have_attribute("data-status", "excused")
    expect(lea.get_by_role("button", name="Absence justifiée")).to_have_attribute(
        "aria-pressed", "true")

    # From the top of the page, Tab alone reaches Paul's "Présent"; Space presses it.
    page.reload()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    tab_to(page, lambda i: i["text"] == "Présent" and i["tag"] == "button", limit=120)
    page.keyboard.press("Space")
    expect(paul).to_have_attribute("data-status", "present")
    expect(paul.get_by_role("button", name="Présent")).to_have_attribute("aria-pressed", "true")
    expect(paul.get_by_role("button", name="Absent")).to_have_attribute("aria-pressed", "false")

    from app.attendance.models import Attendance
    from app.bookings.models import Presence
    from app.extensions import db
    from app.families.models import Child

    with app.app_context():
        marks = dict(db.session.execute(
            select(Child.first_name, Attendance.status)
            .join(Presence, Presence.id == Attendance.presence_id)
            .join(Child, Child.id == Presence.child_id)
            .where(Presence.date == ROSTER_DAY)).all())
    assert marks == {"Paul": "present", "Léa": "excused"}
