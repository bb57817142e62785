"""Accessibility (RGAA 4.1, level AA) of every page a family sees, in Chromium.

axe-core (the copy bundled with axe-playwright-python, no network) runs on
each page at 1280 px and at 375 px: no "serious" or "critical" violation is
allowed. At 375 px no page may scroll sideways either.

Pages: the public site (home, each rubrique of a service, contacts,
actualités, accessibilité, mentions légales, login, Créer mon compte, mot de
passe oublié) and, for a validated family with a child and bookings in every
state of the legend: the "Mon compte" hub and each of its pages and forms,
Mon planning, the legend, a presence's details and "Voir/Modifier", the
cancellation steps, Historique and a request's detail, every step of the
booking wizard (child, period, planning, day, "Recopier", cantine,
récapitulatif, result) and "Mes factures" with an invoice.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.e2e.a11y import VIEWPORTS, Audit
from tests.e2e.a11y import click as _click
from tests.e2e.a11y import open_context as _open
from tests.e2e.a11y import submit as _submit

NOW = dt.datetime(2026, 10, 2, 10, 0)


def _mailed_path(app, template, part):
    """The path of the link in the last e-mail of this kind."""
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    with app.app_context():
        body = db.session.scalars(select(OutgoingEmail.body_text).where(
            OutgoingEmail.template == template).order_by(OutgoingEmail.id.desc())).first()
    match = re.search(r"https?://[^/\s]+(/compte/%s/\S+)" % part, body or "")
    assert match, (template, body)
    return match.group(1)


@pytest.fixture
def public_site(app, clock):
    clock.set(NOW)
    with app.app_context():
        kind = factories.make_service_kind("acm_mercredi", "ACM des Mercredis")
        factories.make_service_kind("cantine", "Cantines")
        factories.make_facility("ACM PITCHOUNET")
        factories.make_page(service_kind=kind, section="presentation")
        factories.make_page(title="Règlement intérieur", service_kind=kind, section="reglements",
                            body="Le règlement intérieur des accueils de loisirs.")
        factories.make_page(title="Tarifs 2026-2027", service_kind=kind, section="tarifs",
                            body="Les tarifs dépendent du quotient familial.")
        factories.make_public_document(service_kind=kind, section="programmes")
        factories.make_public_document(title="Menus d'octobre", service_kind=kind,
                                       section="menus", filename="menus-octobre.pdf")
        factories.make_news()
        return {"kind_code": kind.code,
                "sections": ["presentation", "programmes", "reglements", "tarifs", "menus"]}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_public_pages(app, browser, live_server, public_site, viewport):
    context, page = _open(browser, live_server, viewport)
    try:
        audit = Audit(page, viewport)
        audit.visit("/", "Accueil")
        for section in public_site["sections"]:
            audit.visit(f"/services/{public_site['kind_code']}/{section}", f"Rubrique {section}")
        audit.visit("/contacts", "Contacts")
        audit.visit("/actualites", "Actualités")
        audit.visit("/accessibilite", "Accessibilité")
        audit.visit("/mentions-legales", "Mentions légales")
        audit.visit("/login/", "Connexion")
        audit.visit("/compte/creer", "Créer mon compte")
        audit.visit("/compte/mot-de-passe-oublie", "Mot de passe oublié")
        audit.visit("/compte/renvoyer-lien", "Renvoyer le lien")
        # The same forms after a wrong submission (error messages shown).
        page.goto("/compte/creer")
        _submit(page, "Créer mon compte")
        page.locator(".has-error").first.wait_for()
        audit.check("Créer mon compte, avec erreurs")
        page.goto("/login/")
        page.fill("input[name=username]", "personne@exemple.test")
        page.fill("input[name=password]", "mauvais mot de passe")
        with page.expect_navigation():
            page.press("input[name=password]", "Enter")
        audit.check("Connexion refusée")
        page.goto("/compte/mot-de-passe-oublie")
        page.fill("input[name=email]", "personne@exemple.test")
        _submit(page, "M'envoyer un lien")
        audit.check("Mot de passe oublié, lien envoyé")
        page.goto("/compte/creer")
        page.fill("input[name=email]", "nouveau.parent@exemple.test")
        page.fill("input[name=password]", "quatre chats jouent au soleil")
        page.fill("input[name=confirm]", "quatre chats jouent au soleil")
        _submit(page, "Créer mon compte")
        page.get_by_role("heading", name="Consultez votre messagerie").wait_for()
        audit.check("Créer mon compte, vérifiez vos e-mails")
        # The pages the e-mail links open.
        verify = _mailed_path(app, "families_verify", "confirmer")
        audit.visit(verify, "Confirmer mon adresse e-mail")
        _submit(page, "Confirmer mon adresse e-mail")
        audit.check("Adresse confirmée, connexion")
        audit.visit(verify, "Lien déjà utilisé", status=400)
        page.goto("/compte/mot-de-passe-oublie")
        page.fill("input[name=email]", "nouveau.parent@exemple.test")
        _submit(page, "M'envoyer un lien")
        audit.visit(_mailed_path(app, "families_reset", "nouveau-mot-de-passe"),
                    "Choisir un nouveau mot de passe")
        audit.visit("/services/inconnu/", "Page introuvable", status=404)
    finally:
        context.close()
    assert len(audit.pages) == 23
    audit.assert_clean()


@pytest.fixture
def family(app, clock):
    """A validated family, one child with school info, an ACM period with
    presences in every state of the legend, a cantine period, an issued invoice."""
    clock.set(NOW)
    from app.billing import services as billing
    from app.bookings import services as bookings
    from app.bookings.models import Presence
    from app.extensions import db
    from app.families.access import household_of

    with app.app_context():
        user = factories.make_user("Famille", first_name="Manon", last_name="Test")
        household = household_of(user)
        child = factories.make_child(household, first_name="Paul", last_name="Test",
                                     birth_date=dt.date(2019, 3, 14), school_level="MS")
        facility = factories.make_facility("ACM PITCHOUNET")
        period = factories.make_period(name="ACM MERCREDI MATERNELLE", facility=facility,
                                       requires_documents=False)
        cantine_kind = factories.make_service_kind("cantine", "Cantines")
        cantine = factories.make_period(
            name="CANTINE ÉCOLE DE MIRANDE", facility=facility, service_kind=cantine_kind,
            weekdays="0,1,3,4", requires_documents=False,
            units=(("REPAS", "#27ae60", ("repas",)),))
        units = {u.name: u for u in period.units}
        full_day = units["MERCREDI JOURNEE AVEC REPAS"]
        morning = units["MERCREDI MATIN SANS REPAS"]
        for day, state, attendance in ((dt.date(2026, 9, 2), "accepted", "present"),
                                       (dt.date(2026, 9, 9), "accepted", "absent"),
                                       (dt.date(2026, 9, 16), "refused", None),
                                       (dt.date(2026, 9, 23), "cancel_expired", "present"),
                                       (dt.date(2026, 9, 30), "expired", None),
                                       (dt.date(2026, 10, 7), "accepted", None),
                                       (dt.date(2026, 10, 21), "cancel_requested", None),
                                       (dt.date(2026, 10, 28), "cancelled", None)):
            factories.make_presence(child, period, unit=full_day, day=day, state=state,
                                    household=household, attendance=attendance, commit=False)
        from app.families.models import Document, DocumentType

        insurance = DocumentType(code="assurance", name="Attestation d'assurance",
                                 scope="household", position=1)
        vaccines = DocumentType(code="vaccins", name="Carnet de vaccinations", scope="child",
                                position=2)
        db.session.add_all([insurance, vaccines])
        db.session.flush()
        db.session.add(Document(
            household_id=household.id, document_type_id=insurance.id,
            original_filename="attestation-assurance-2026-2027.pdf",
            stored_name="a11y-assurance.pdf", content_type="application/pdf", size=1000,
            state="accepted", uploaded_at=dt.datetime(2026, 9, 1, 10, 0),
            expires_on=dt.date(2027, 8, 31)))
        db.session.commit()
        result = bookings.book(user, NOW, household, child, period,
                               [(dt.date(2026, 10, 14), morning.id)])
        request_id = result.request.id
        comptable = factories.make_user("Comptable")
        billing.run_billing(comptable, NOW, 2026, 9)
        billing.issue_invoices(comptable, NOW, 2026, 9)
        accepted = db.session.scalar(select(Presence.id).where(
            Presence.household_id == household.id, Presence.date == dt.date(2026, 10, 7)))
        pending = db.session.scalar(select(Presence.id).where(
            Presence.household_id == household.id, Presence.date == dt.date(2026, 10, 14)))
        from app.billing.models import Invoice

        invoice_id = db.session.scalar(select(Invoice.id).where(
            Invoice.household_id == household.id))
        return {"user": user, "child_id": child.id, "period_name": period.name,
                "cantine_name": cantine.name, "accepted_id": accepted, "pending_id": pending,
                "request_id": request_id, "invoice_id": invoice_id}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_family_account_pages(browser, live_server, e2e_login, family, viewport):
    context, page = _open(browser, live_server, viewport)
    try:
        audit = Audit(page, viewport)
        e2e_login(page, family["user"])
        child = family["child_id"]
        for url, label in (
                ("/compte/", "Mon compte"),
                ("/compte/profil", "Mon profil"),
                ("/compte/profil/modifier", "Mon profil, modifier"),
                ("/compte/foyer", "Mon foyer"),
                ("/compte/foyer/coordonnees", "Mon foyer, coordonnées"),
                ("/compte/foyer/informations", "Mon foyer, informations"),
                ("/compte/foyer/autre-responsable", "Mon foyer, autre responsable"),
                ("/compte/enfants", "Mes enfants"),
                (f"/compte/enfants/{child}", "Fiche de l'enfant"),
                (f"/compte/enfants/{child}/modifier", "Fiche de l'enfant, modifier"),
                ("/compte/enfants/ajouter", "Ajouter un enfant"),
                ("/compte/documents", "Mes documents"),
                ("/compte/scolaire", "Informations scolaires"),
                (f"/compte/scolaire/{child}", "Informations scolaires, modifier"),
                ("/compte/mes-donnees", "Mes données"),
                ("/compte/mot-de-passe", "Changer mon mot de passe"),
                ("/compte/factures/", "Mes factures"),
                (f"/compte/factures/{family['invoice_id']}", "Facture")):
            audit.visit(url, label)
        audit.visit("/compte/enfants/999999", "Enfant introuvable", status=404)
        # A form sent with errors shows its messages next to the fields.
        page.goto("/compte/mot-de-passe")
        _submit(page, "Valider")
        page.locator(".has-error").first.wait_for()
        audit.check("Changer mon mot de passe, avec erreurs")
    finally:
        context.close()
    audit.assert_clean()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_planning_history_and_cancellation(browser, live_server, e2e_login, family, viewport):
    context, page = _open(browser, live_server, viewport)
    try:
        audit = Audit(page, viewport)
        e2e_login(page, family["user"])
        audit.visit("/compte/planning/?mois=2026-09", "Mon planning (septembre)")
        audit.visit("/compte/planning/?mois=2026-10", "Mon planning (octobre)")
        # Each state of the legend has its own icon (glyph and style), e.g.
        # "Présence en attente de traitement" and "Demande d'annulation expirée".
        icons = page.evaluate("""() => Array.from(document.querySelectorAll('.pf-legend li')).map(
            li => { const i = li.querySelector('i'); const s = getComputedStyle(i, '::before');
                    return [li.innerText.trim(), s.content + ' ' + s.fontWeight]; })""")
        assert len(icons) == 8 and len({glyph for _label, glyph in icons}) == 8, icons
        audit.visit(f"/compte/planning/presence/{family['accepted_id']}", "Détail d'une présence")
        audit.visit(f"/compte/planning/presence/{family['accepted_id']}/modifier",
                    "Voir/Modifier cette réservation")
        audit.visit(f"/compte/planning/presence/{family['pending_id']}",
                    "Détail d'une présence en attente")
        audit.visit(f"/compte/planning/presence/{family['accepted_id']}/annulation",
                    "Demander l'annulation")
        page.get_by_label("Plusieurs jours").check()
        audit.check("Demander l'annulation, plusieurs jours")
        page.fill("input[name=date_from]", "2026-10-07")
        page.fill("input[name=date_to]", "2026-10-14")
        _click(page, "Suivant →")
        audit.check("Demander l'annulation, confirmation")
        _click(page, "Valider ✓")
        audit.check("Demande d'annulation enregistrée")
        audit.visit("/compte/planning/historique", "Historique")
        audit.visit(f"/compte/planning/historique/{family['request_id']}", "Détail d'un dossier")
    finally:
        context.close()
    audit.assert_clean()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_booking_wizard(browser, live_server, e2e_login, family, viewport):
    context, page = _open(browser, live_server, viewport)
    try:
        audit = Audit(page, viewport)
        e2e_login(page, family["user"])
        audit.visit("/compte/reservations/nouvelle", "Réservation 1 : usager")
        _click(page, "Suivant →")
        audit.check("Réservation 2 : période")
        page.get_by_text(family["period_name"]).click()
        _click(page, "Suivant →")
        audit.check("Réservation 3 : planning")
        with page.expect_navigation():
            page.get_by_role("link", name="Mois suivant").click()
        with page.expect_navigation():
            page.locator("td[data-date='2026-11-04'] .pf-day-num a").click()
        audit.check("Réservation 3 : journée")
        _click(page, "Valider")
        audit.check("Réservation 3 : journée, sans régime choisi")
        page.get_by_label("MERCREDI JOURNEE AVEC REPAS").check()
        _click(page, "Valider")
        audit.check("Réservation 3 : planning avec brouillon")
        audit.visit("/compte/reservations/nouvelle/recopier/2026-11-04", "Recopier la journée")
        page.get_by_label("Dates cibles").check()
        audit.check("Recopier la journée, dates cibles")
        page.goto("/compte/reservations/nouvelle/planning?mois=2026-11")
        _click(page, "Suivant →")
        audit.check("Réservation 4 : récapitulatif")
        _click(page, "Valider ✓")
        audit.check("Réservation : demande enregistrée")
        # The cantine: the whole year for chosen weekdays.
        page.goto("/compte/reservations/nouvelle")
        _click(page, "Suivant →")
        page.get_by_text(family["cantine_name"]).click()
        _click(page, "Suivant →")
        audit.check("Réservation cantine : jours de la semaine")
    finally:
        context.close()
    audit.assert_clean()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_of_a_family_awaiting_validation(app, browser, live_server, e2e_login, clock,
                                               viewport):
    clock.set(NOW)
    with app.app_context():
        user = factories.make_user("Famille", status="draft")
    context, page = _open(browser, live_server, viewport)
    try:
        audit = Audit(page, viewport)
        e2e_login(page, user)
        audit.visit("/compte/", "Mon compte (à compléter)")
        audit.visit("/compte/valider", "Soumettre mon dossier")
        audit.visit("/compte/planning/", "Mon planning (compte non validé)")
        audit.visit("/compte/reservations/nouvelle", "Réservation (compte non validé)")
    finally:
        context.close()
    audit.assert_clean()
