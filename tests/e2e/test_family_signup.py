"""The guide's "CRÉER UN COMPTE", in Chromium, as a new parent does it: create
the account from the home page, follow the link of the e-mail (read from the
outbox), fill every rubrique, send the documents with the "+", accept the
conditions; an agent checks the documents and validates; "Mon planning" opens."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import factories

NOW = dt.datetime(2026, 9, 7, 9, 0)
EMAIL = "manon.test@exemple.test"
PASSWORD = "quatre chats jouent au soleil"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def setup(app, clock):
    clock.set(NOW)
    with app.app_context():
        from app.extensions import db
        from app.families.models import DocumentType

        db.session.add_all([
            DocumentType(code="assurance", name="Attestation d'assurance", scope="household",
                         position=1),
            DocumentType(code="vaccins", name="Carnet de vaccinations", scope="child",
                         position=2),
        ])
        db.session.commit()
        agent = factories.make_user("Agent", first_name="Agnès", last_name="Agent")
        return {"agent": agent}


def _outbox_link(app, template, part):
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    with app.app_context():
        mail = db.session.scalars(select(OutgoingEmail).where(
            OutgoingEmail.template == template).order_by(OutgoingEmail.id.desc())).first()
        assert mail is not None, template
        body = mail.body_text
    assert "Vous venez de créer votre compte sur notre Portail en ligne." in body
    match = re.search(r"https?://[^/\s]+(/compte/%s/\S+)" % part, body)
    assert match, body
    return match.group(1)


def _click(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def _household_status(app):
    from app.extensions import db
    from app.families.models import Household

    with app.app_context():
        return db.session.scalar(select(Household.status))


def test_a_new_parent_signs_up_and_an_agent_validates(app, page, e2e_login, setup):
    # Créer mon compte, from the home page
    page.goto("/")
    with page.expect_navigation():
        page.locator('a[href="/compte/creer"]').first.click()
    assert page.get_by_text("Au moins 12 caractères").is_visible()  # the rule, before typing
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    _click(page, "Créer mon compte")
    assert page.get_by_role("heading", name="Consultez votre messagerie").is_visible()

    # the link of the e-mail confirms the address, then the parent logs in
    page.goto(_outbox_link(app, "families_verify", "confirmer"))
    _click(page, "Confirmer mon adresse e-mail")
    assert page.get_by_text("votre adresse e-mail est confirmée").is_visible()
    e2e_login(page, EMAIL, PASSWORD)
    assert page.url.endswith("/compte/")
    banner = page.locator("#banner")
    assert 'merci de compléter les champs "Mon profil", "Mon foyer", "Mes enfants"' \
        in banner.inner_text()

    # Mon profil (crayon), then "Suivant" leads to Mon foyer
    with page.expect_navigation():
        page.get_by_role("link", name="Modifier : Mon profil").click()
    page.select_option("select[name=civility]", "Mme")
    page.fill("input[name=last_name]", "Test")
    page.fill("input[name=first_name]", "Manon")
    page.fill("input[name=mobile_phone]", "06 58 98 74 58")
    _click(page, "Suivant")
    assert page.url.endswith("/compte/foyer")

    # Mon foyer: Coordonnées, then Informations complémentaires
    with page.expect_navigation():
        page.locator(".panel-title", has_text="Coordonnées").get_by_role("link").click()
    page.fill("input[name=address]", "4 Avenue Jean d'Antras")
    page.fill("input[name=postcode]", "32300")
    page.fill("input[name=city]", "Mirande")
    _click(page, "Suivant")
    page.select_option("select[name=family_situation]", "single")
    page.select_option("select[name=benefits_regime]", "CAF")
    page.fill("input[name=allocataire_number]", "1234567")
    page.fill("input[name=quotient_familial]", "650")
    _click(page, "Valider")
    assert page.get_by_text("Mme TEST Manon").is_visible()

    # Mes enfants: add Paul, his health, a person allowed to pick him up
    page.goto("/compte/enfants")
    with page.expect_navigation():
        page.get_by_role("link", name="Ajouter un enfant").click()
    page.fill("input[name=last_name]", "Test")
    page.fill("input[name=first_name]", "Paul")
    page.fill("input[name=birth_date]", "2021-03-14")
    page.select_option("select[name=sex]", "M")
    page.fill("textarea[name=allergies]", "arachide")
    page.fill("input[name=doctor_name]", "Dr Martin")
    page.check("input[name=image_rights]")
    _click(page, "Valider")
    page.fill("input[name=name]", "Mamie Test")
    page.fill("input[name=phone]", "06 11 22 33 44")
    _click(page, "Ajouter cette personne")
    assert page.get_by_text("Mamie Test").is_visible()

    # Informations scolaires
    page.goto("/compte/scolaire")
    with page.expect_navigation():
        page.get_by_role("link", name="Ajouter : Paul").click()
    page.fill("input[name=school_name]", "École de Mirande")
    page.select_option("select[name=level]", "PS")
    _click(page, "Valider")
    assert page.get_by_text("École de Mirande").is_visible()

    # Mes documents: the "+" at the end of each line
    page.goto("/compte/documents")
    for row_text, payload in (("Attestation d'assurance",
                               {"name": "assurance.pdf", "mimeType": "application/pdf",
                                "buffer": PDF}),
                              ("Carnet de vaccinations",
                               {"name": "vaccins.png", "mimeType": "image/png",
                                "buffer": PNG})):
        row = page.locator("#documents tbody tr", has_text=row_text)
        row.locator("input[type=file]").set_input_files(payload)
        with page.expect_navigation():
            row.locator("button[type=submit]").click()
        assert page.get_by_text("Le document a été envoyé").is_visible()
    assert page.locator("#documents").get_by_text("En attente de vérification").count() == 2

    # the conditions, then "Valider"
    page.goto("/compte/")
    assert page.locator("#banner").count() == 0
    assert page.locator("#planning-closed").is_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Transmettre mon dossier").click()
    page.check("input[name=accept]")
    _click(page, "Valider")
    assert page.get_by_text("Votre dossier a été transmis à nos services").is_visible()
    assert _household_status(app) == "submitted"
    page.goto("/logout/")

    # the agent checks the documents and validates the account
    e2e_login(page, setup["agent"])
    page.goto("/agents/familles/")
    with page.expect_navigation():
        page.locator("#queue tr", has_text="TEST").get_by_role("link",
                                                               name="Ouvrir le dossier").click()
    assert page.get_by_text("arachide").is_visible()
    for _ in range(2):
        _click(page, "Accepter")
    _click(page, "Valider le compte")
    assert page.get_by_text("Le compte a été validé").is_visible()
    assert _household_status(app) == "validated"
    page.goto("/logout/")

    # the parent got the e-mail and now sees "Mon planning"
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    with app.app_context():
        subjects = list(db.session.scalars(select(OutgoingEmail.subject).where(
            OutgoingEmail.to_address == EMAIL)))
    assert "Votre compte a été validé" in subjects
    e2e_login(page, EMAIL, PASSWORD)
    planning = page.locator("#tile-planning").get_by_role("link", name="Mon planning",
                                                           exact=True)
    assert planning.is_visible()
    with page.expect_navigation():
        planning.click()
    assert "/compte/planning" in page.url
    assert page.locator("main").is_visible()
