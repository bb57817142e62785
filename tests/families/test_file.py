"""Mon compte: the hub, Mon profil, Mon foyer, Mes enfants, Informations
scolaires; bad input is refused in French and changes nothing."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from app.core.models import AuditLog
from app.families.models import AuthorizedPerson, Child, Guardian, Household, SchoolInfo
from tests import factories
from tests.families.helpers import make_document_type, page, text

HUB_TEXTS = (
    "Mon profil", "Mon foyer", "Mes enfants", "Mes documents", "Informations scolaires",
    "Mon planning", "Accès à mes informations personnelles",
    "Accès aux informations de mon foyer", "Accès aux informations enfant",
    "Accès à mes documents",
    "Accès à mes informations scolaires (obligatoire pour réserver la cantine)",
    "Accès à mon planning de réservations",
)


def _new_family(login_as, db, **kwargs):
    """A family as just registered: draft household, empty profile."""
    household = factories.make_household(status="draft", address="", postcode="", city="",
                                         family_situation=None, quotient_familial=None,
                                         qf_checked=False, **kwargs)
    user = login_as("Famille", household=household)
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == user.id))
    guardian.civility = None
    guardian.first_name = guardian.last_name = guardian.mobile_phone = ""
    db.session.commit()
    return household, user


def test_hub_is_the_guides_screen_with_a_banner_naming_what_is_missing(client, db, login_as):
    _new_family(login_as, db)
    html = page(client.get("/compte/"))
    for text in HUB_TEXTS:
        assert text in html, text
    assert ('Bonjour, avant de continuer, merci de compléter les champs "Mon profil", '
            '"Mon foyer", "Mes enfants".') in html
    assert "Accueil" in html and 'class="breadcrumb"' in html
    assert "fa-eye" in html and "fa-pencil" in html
    # planning closed until validation, and the tile says why
    assert "« Mon planning » sera accessible une fois votre compte validé" in html


def test_banner_follows_the_file_and_greets_by_civility_and_name(
        client, db, clock, login_as, form_post):
    _new_family(login_as, db)
    response = form_post("/compte/profil/modifier", {
        "civility": "Mme", "last_name": "Test", "first_name": "Manon",
        "mobile_phone": "06 58 98 74 58", "birth_date": "14/03/1990"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/compte/foyer")
    html = page(client.get("/compte/"))
    assert ('Bonjour Mme TEST, avant de continuer, merci de compléter les champs '
            '"Mon foyer", "Mes enfants".') in html
    form_post("/compte/foyer/coordonnees", {"address": "4 Avenue Jean d'Antras",
                                            "postcode": "32300", "city": "Mirande"})
    form_post("/compte/foyer/informations", {"family_situation": "single"})
    html = text(client.get("/compte/foyer"))
    for expected in ("Moi", "Autre responsable", "Coordonnées", "Informations complémentaires",
                     "Mme TEST Manon (CÉLIBATAIRE)", "4 Avenue Jean d'Antras", "32300 MIRANDE"):
        assert expected in html, expected
    form_post("/compte/enfants/ajouter", {"last_name": "Test", "first_name": "Paul",
                                          "birth_date": "2021-03-14", "sex": "M"})
    html = page(client.get("/compte/"))
    assert "avant de continuer" not in html


def test_mandatory_fields_are_marked_and_pages_end_with_next_or_validate(
        client, db, login_as):
    _new_family(login_as, db)
    for url, button in (("/compte/profil/modifier", "Suivant"),
                        ("/compte/foyer/coordonnees", "Suivant"),
                        ("/compte/foyer/informations", "Valider"),
                        ("/compte/enfants/ajouter", "Valider")):
        html = page(client.get(url))
        assert 'title="obligatoire">*</span>' in html, url
        assert "Les champs marqués d'une * sont obligatoires." in html
        assert button in html, url


def test_names_are_stored_as_typed_and_shown_escaped(client, db, login_as, form_post):
    household, user = _new_family(login_as, db)
    nasty = "<script>alert('x')</script> O\"Brien Éloïse 🦊"
    form_post("/compte/enfants/ajouter", {"last_name": nasty, "first_name": "Zoé 😀",
                                          "birth_date": "2020-02-29", "sex": "F"})
    child = db.session.scalar(select(Child))
    assert child.last_name == nasty and child.first_name == "Zoé 😀"
    raw = client.get(f"/compte/enfants/{child.id}").get_data(as_text=True)
    assert "<script>alert(" not in raw.lower()
    assert "&lt;script&gt;" in raw.lower() and "😀" in raw


def test_a_500_character_name_gets_a_french_length_message(client, db, login_as, form_post):
    _new_family(login_as, db)
    response = form_post("/compte/enfants/ajouter", {"last_name": "A" * 500,
                                                     "first_name": "Paul",
                                                     "birth_date": "2021-03-14", "sex": "M"})
    assert "Ce champ ne doit pas dépasser 100 caractères." in page(response)
    assert db.session.scalar(select(Child.id)) is None


def test_impossible_and_future_birth_dates_are_refused(client, db, clock, login_as, form_post):
    _new_family(login_as, db)
    feb30 = form_post("/compte/enfants/ajouter", {"last_name": "Test", "first_name": "Paul",
                                                  "birth_date": "30/02/2021", "sex": "M"})
    assert "Cette date n'existe pas" in page(feb30)
    iso = form_post("/compte/enfants/ajouter", {"last_name": "Test", "first_name": "Paul",
                                                "birth_date": "2021-02-30", "sex": "M"})
    assert "Cette date n'existe pas" in page(iso)
    future = form_post("/compte/enfants/ajouter", {"last_name": "Test", "first_name": "Paul",
                                                   "birth_date": "2027-01-01", "sex": "M"})
    assert "La date de naissance ne peut pas être dans le futur." in page(future)
    assert db.session.scalar(select(Child.id)) is None


def test_a_negative_quotient_is_refused_in_french(client, db, login_as, form_post):
    household, _user = _new_family(login_as, db)
    response = form_post("/compte/foyer/informations", {"family_situation": "single",
                                                        "quotient_familial": "-5"})
    assert "Le quotient familial ne peut pas être négatif" in page(response)
    text = form_post("/compte/foyer/informations", {"family_situation": "single",
                                                    "quotient_familial": "beaucoup"})
    assert "Saisissez un nombre entier." in page(text)
    db.session.expire_all()
    assert db.session.get(Household, household.id).family_situation is None


def test_child_health_pickup_persons_and_image_rights(client, db, login_as, form_post):
    household, _user = _new_family(login_as, db)
    form_post("/compte/enfants/ajouter", {
        "last_name": "Test", "first_name": "Paul", "birth_date": "2021-03-14", "sex": "M",
        "allergies": "arachide", "pai": "y", "pai_details": "stylo adrénaline",
        "doctor_name": "Dr Martin", "doctor_phone": "05 62 00 00 00", "image_rights": "y"})
    child = db.session.scalar(select(Child))
    assert child.pai and child.image_rights and child.allergies == "arachide"
    url = f"/compte/enfants/{child.id}"
    response = form_post(f"{url}/personnes", {"name": "Mamie Test", "phone": "06 11 22 33 44",
                                              "relationship_to_child": "grand-mère"}, page=url)
    assert response.status_code == 302
    html = page(client.get(url))
    for text in ("arachide", "stylo adrénaline", "Dr Martin", "Mamie Test",
                 "Personnes autorisées à récupérer l'enfant", "Droit à l'image"):
        assert text in html
    person = db.session.scalar(select(AuthorizedPerson))
    form_post(f"{url}/personnes/{person.id}/supprimer", {}, page=url)
    assert db.session.scalar(select(AuthorizedPerson.id)) is None


def test_school_information_for_a_school_year(client, db, clock, login_as, form_post):
    household, _user = _new_family(login_as, db)
    child = factories.make_child(household)
    html = page(client.get(f"/compte/scolaire/{child.id}"))
    assert "2026-2027" in html and "Année scolaire" in html
    form_post(f"/compte/scolaire/{child.id}", {"school_year": "2026-2027",
                                               "school_name": "École de Mirande",
                                               "level": "PS"})
    info = db.session.scalar(select(SchoolInfo))
    assert (info.school_year, info.level) == ("2026-2027", "PS")
    bad = form_post(f"/compte/scolaire/{child.id}", {"school_year": "1999-2000",
                                                     "school_name": "X", "level": "PS"})
    assert "Choisissez une des valeurs de la liste." in page(bad)
    assert len(db.session.scalars(select(SchoolInfo)).all()) == 1


def test_changes_after_validation_are_logged_and_a_new_quotient_needs_checking(
        client, db, clock, login_as, form_post):
    household = factories.make_household(quotient_familial=650, qf_checked=True)
    user = login_as("Famille", household=household)
    form_post("/compte/foyer/informations", {"family_situation": "married",
                                             "benefits_regime": "CAF",
                                             "allocataire_number": "1234567",
                                             "quotient_familial": "820"})
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.quotient_familial == 820 and household.qf_checked is False
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "household_updated"))
    details = json.loads(entry.details)
    assert entry.actor_id == user.id and entry.at == clock.now()
    assert details["after_validation"] is True
    assert details["changes"]["quotient_familial"] == [650, 820]


def test_my_data_workbook_keeps_family_text_as_text(client, db, login_as):
    import io

    from openpyxl import load_workbook

    household = factories.make_household(address="=HYPERLINK(\"http://x\")", city="+33 Mirande")
    login_as("Famille", household=household, first_name="@moi", last_name="-Test")
    factories.make_child(household, first_name="=1+2", allergies="@SUM(A1)")
    response = client.get("/compte/mes-donnees/export.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[:3] == ["Mon foyer", "Responsables", "Mes enfants"]
    values = [cell for ws in workbook for row in ws.iter_rows() for cell in row]
    formulas = [c.value for c in values if c.data_type == "f"]
    assert formulas == []
    texts = [c.value for c in values if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://x\")" in texts and "'=1+2" in texts
    assert "'@SUM(A1)" in texts and "'@moi" in texts


def test_closure_request_then_agent_confirms_and_login_is_disabled(
        app, client, db, clock, login_as, switch_to, form_post):
    household = factories.make_household()
    user = login_as("Famille", household=household)
    form_post("/compte/fermeture", {}, page="/compte/mes-donnees")
    db.session.expire_all()
    assert db.session.get(Household, household.id).status == "closing"
    # nothing can be changed any more
    response = form_post("/compte/foyer/coordonnees", {"address": "x", "postcode": "32000",
                                                       "city": "Auch"}, follow_redirects=True)
    assert "en cours de fermeture" in page(response)
    switch_to("Agent")
    form_post(f"/agents/familles/foyer/{household.id}/fermer", {},
              page=f"/agents/familles/foyer/{household.id}")
    db.session.expire_all()
    assert db.session.get(Household, household.id).status == "closed"
    assert db.session.get(app.appbuilder.sm.user_model, user.id).active is False
    assert db.session.get(Household, household.id) is not None  # nothing deleted


def test_control_characters_are_refused_in_french_not_a_database_error(
        client, db, login_as, form_post):
    _new_family(login_as, db)
    response = form_post("/compte/enfants/ajouter", {"last_name": "Te\x00st",
                                                     "first_name": "Paul",
                                                     "birth_date": "2021-03-14", "sex": "M"})
    assert response.status_code == 200
    assert "Ce champ contient un caractère non autorisé." in page(response)
    assert db.session.scalar(select(Child.id)) is None
    from flask import g

    client.get("/logout/")
    g.pop("_login_user", None)
    login = form_post("/login/", {"username": "x\x00@exemple.test", "password": "x"},
                      follow_redirects=True)
    assert login.status_code == 200 and "Adresse e-mail ou mot de passe incorrect" in page(login)
