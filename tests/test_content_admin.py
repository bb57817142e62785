"""Agents edit the public site: news, pages, documents, contacts, settings."""

from __future__ import annotations

import datetime as dt
import html
import io
import os

import pytest
from sqlalchemy import func, select

from tests import factories

NOW = dt.datetime(2026, 9, 7, 9, 0)
SCREENS = ("/contentnewsview/list/", "/contentnewsview/add", "/contentpageview/list/",
           "/contentpageview/add", "/contentdocumentview/list/", "/contentdocumentview/add",
           "/contentcontactview/list/", "/contentsettingsview/form")


@pytest.fixture
def frozen(clock):
    clock.set(NOW)
    return clock


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(app, model) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def public_files(app) -> list[str]:
    return sorted(os.listdir(app.config["PUBLIC_UPLOAD_FOLDER"]))


def test_family_gets_403_on_every_content_screen(client, login_as, frozen):
    login_as("Famille")
    for url in SCREENS:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Accès refusé" in text(response)


def test_anonymous_is_sent_to_login(client, frozen):
    for url in SCREENS:
        response = client.get(url)
        assert response.status_code in (302, 303), url
        assert "/login/" in response.headers["Location"]


def test_agent_sees_the_content_menu_in_french(client, login_as, frozen):
    login_as("Agent")
    page = text(client.get("/contentnewsview/list/"))
    assert "Contenu du site" in page
    assert "Actualités du site public" in page
    for label in ("Pages et rubriques", "Documents publics", "Contacts des structures",
                  "Coordonnées et bienvenue"):
        assert label in page


def test_agent_creates_a_news_item_that_appears_on_the_home_page(client, login_as, form_post,
                                                                 app, frozen):
    from app.content.models import News

    login_as("Agent")
    response = form_post("/contentnewsview/add", {
        "title": "Nouveau séjour à la montagne",
        "body": "Inscriptions à partir du 15/09/2026.",
        "published_from": "07/09/2026 08:30",
        "published_until": "",
    })
    assert response.status_code == 302
    with app.app_context():
        from app.extensions import db

        news = db.session.scalar(select(News))
        assert news.published_from == dt.datetime(2026, 9, 7, 8, 30)
        assert news.published_until is None
    client.get("/logout/")
    home = text(client.get("/"))
    assert "Nouveau séjour à la montagne" in home
    assert "Publié le 07/09/2026" in home


def test_news_without_start_date_is_published_now_and_iso_dates_work(client, login_as,
                                                                     form_post, app, frozen):
    from app.content.models import News
    from app.extensions import db

    login_as("Agent")
    form_post("/contentnewsview/add", {"title": "Tout de suite", "body": "Texte",
                                       "published_from": "", "published_until": "2026-10-01"})
    with app.app_context():
        news = db.session.scalar(select(News))
        assert news.published_from == NOW
        assert news.published_until == dt.datetime(2026, 10, 1)


@pytest.mark.parametrize("field, value, message", [
    ("published_from", "31/02/2026", "Saisissez une date au format JJ/MM/AAAA"),
    ("published_from", "demain", "Saisissez une date au format JJ/MM/AAAA"),
    ("published_until", "01/09/2026", "La fin de publication doit être postérieure à son début."),
])
def test_bad_dates_give_a_french_message_and_write_nothing(client, login_as, form_post, app,
                                                           frozen, field, value, message):
    from app.content.models import News

    login_as("Agent")
    data = {"title": "Actualité", "body": "Texte", "published_from": "07/09/2026",
            "published_until": ""}
    data[field] = value
    response = form_post("/contentnewsview/add", data)
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert value in page  # what was typed is kept
    assert count(app, News) == 0


def test_hostile_title_is_shown_escaped_everywhere(client, login_as, form_post, app, frozen):
    from app.content.models import News

    hostile = "<script>alert(1)</script> \"guillemets\" 'apostrophes' 🎈"
    login_as("Agent")
    response = form_post("/contentnewsview/add", {"title": hostile, "body": hostile + " é" * 250,
                                                  "published_from": "01/09/2026"})
    assert response.status_code == 302
    for url in ("/contentnewsview/list/", "/"):
        raw = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in raw, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw, url
        assert "🎈" in raw
    # a 500-character title is refused in French, nothing written
    response = form_post("/contentnewsview/add", {"title": "é" * 500, "body": "x",
                                                  "published_from": ""})
    assert response.status_code == 200
    assert "200" in text(response) and "caractères" in text(response)
    assert count(app, News) == 1


def test_agent_creates_a_page_with_an_address_made_from_its_title(client, login_as, form_post,
                                                                   app, frozen):
    from app.content.models import Page
    from app.extensions import db

    with app.app_context():
        kind = factories.make_service_kind("centres_loisirs", "Centres de loisirs")
        kind_id = kind.id
    login_as("Agent")
    response = form_post("/contentpageview/add", {
        "service_kind": str(kind_id), "section": "tarifs", "title": "Tarifs été 2026",
        "slug": "", "body": "Journée : 12 €", "position": "0",
        "published_from": "", "published_until": "",
    })
    assert response.status_code == 302
    with app.app_context():
        page = db.session.scalar(select(Page))
        assert page.slug == "tarifs-ete-2026"
    public = text(client.get("/services/centres_loisirs/tarifs"))
    assert "Journée : 12 €" in public
    # the same address typed again is refused in French
    response = form_post("/contentpageview/add", {
        "service_kind": "", "section": "presentation", "title": "Autre",
        "slug": "tarifs-ete-2026", "body": "x", "position": "0",
    })
    assert "Cette adresse est déjà utilisée par une autre page." in text(response)
    assert count(app, Page) == 1


def test_agent_uploads_a_pdf_that_families_can_download(client, login_as, form_post, app,
                                                        frozen):
    from app.content.models import PublicDocument
    from app.extensions import db

    with app.app_context():
        kind = factories.make_service_kind("cantines", "Cantines")
        kind_id = kind.id
    login_as("Agent")
    response = form_post("/contentdocumentview/add", {
        "title": "Menus de septembre", "service_kind": str(kind_id), "section": "menus",
        "upload": (io.BytesIO(factories.PDF_BYTES), "menus septembre.pdf"),
        "published_from": "", "published_until": "",
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalar(select(PublicDocument))
        assert document.content_type == "application/pdf"
        assert document.size == len(factories.PDF_BYTES)
        assert document.original_filename == "menus septembre.pdf"
        assert document.stored_name != document.original_filename
        assert document.stored_name in public_files(app)
        doc_id, name = document.id, document.original_filename
    client.get("/logout/")
    rubrique = client.get("/services/cantines/menus").get_data(as_text=True)
    assert f"/documents/{doc_id}/" in rubrique
    download = client.get(f"/documents/{doc_id}/{name}")
    assert download.status_code == 200 and download.data == factories.PDF_BYTES


def test_an_exe_renamed_pdf_is_refused_and_nothing_is_stored(client, login_as, form_post, app,
                                                             frozen):
    from app.content.models import PublicDocument

    login_as("Agent")
    before = public_files(app)
    response = form_post("/contentdocumentview/add", {
        "title": "Programme", "service_kind": "", "section": "programmes",
        "upload": (io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200), "programme.pdf"),
        "published_from": "", "published_until": "",
    }, content_type="multipart/form-data")
    assert response.status_code == 200
    assert ("Seuls les fichiers PDF, JPEG et PNG sont acceptés : le contenu de ce fichier "
            "n'en est pas un.") in text(response)
    assert count(app, PublicDocument) == 0
    assert public_files(app) == before


def test_a_document_needs_a_file(client, login_as, form_post, app, frozen):
    from app.content.models import PublicDocument

    login_as("Agent")
    response = form_post("/contentdocumentview/add", {
        "title": "Programme", "service_kind": "", "section": "programmes",
        "published_from": "", "published_until": "",
    }, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choisissez un fichier à envoyer." in text(response)
    assert count(app, PublicDocument) == 0


def test_replacing_a_document_file_removes_the_old_one(client, login_as, form_post, app, frozen):
    from app.content.models import PublicDocument
    from app.extensions import db

    with app.app_context():
        document = factories.make_public_document()
        doc_id, old = document.id, document.stored_name
    login_as("Agent")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = form_post(f"/contentdocumentview/edit/{doc_id}", {
        "title": "Affiche", "service_kind": "", "section": "programmes",
        "upload": (io.BytesIO(png), "affiche.png"), "published_from": "",
        "published_until": "",
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.get(PublicDocument, doc_id)
        assert document.content_type == "image/png" and document.title == "Affiche"
        assert document.stored_name in public_files(app) and old not in public_files(app)


def test_agent_edits_the_contact_of_a_facility_only(client, login_as, form_post, app, frozen):
    from app.catalogue.models import Facility
    from app.extensions import db

    with app.app_context():
        facility = factories.make_facility("ACM PITCHOUNET")
        facility_id = facility.id
    login_as("Agent")
    response = form_post(f"/contentcontactview/edit/{facility_id}", {
        "name": "PIRATE", "school_zone": "A", "address": "3 rue du Stade", "postcode": "32300",
        "city": "Mirande", "phone": "05 11 22 33 44", "email": "pitchounet@exemple.test",
        "opening_hours": "Mercredi 7h30-18h30", "description": "Accueil maternel",
    })
    assert response.status_code == 302
    with app.app_context():
        facility = db.session.get(Facility, facility_id)
        assert facility.name == "ACM PITCHOUNET" and facility.school_zone == "C"
        assert facility.phone == "05 11 22 33 44"
    assert client.get("/contentcontactview/add").status_code in (403, 404, 302)
    home = text(client.get("/"))
    assert "05 11 22 33 44" in home and "Mercredi 7h30-18h30" in home


def test_agent_edits_the_service_settings(client, login_as, form_post, app, frozen):
    login_as("Agent")
    page = text(client.get("/contentsettingsview/form"))
    assert "Service Enfance et Jeunesse" in page  # the default is shown
    response = form_post("/contentsettingsview/form", {
        "service_name": "Service Jeunesse de la Communauté",
        "service_phone": "05 62 00 00 00", "service_email": "jeunesse@exemple.test",
        "welcome_text": "Bonjour et bienvenue !",
    })
    assert response.status_code == 302
    home = text(client.get("/"))
    assert "Service Jeunesse de la Communauté" in home
    assert "05 62 00 00 00" in home and "jeunesse@exemple.test" in home
    assert "Bonjour et bienvenue !" in home
    response = form_post("/contentsettingsview/form", {
        "service_name": "X", "service_phone": "appelez-nous", "service_email": "pas-une-adresse",
        "welcome_text": "",
    })
    assert response.status_code == 200
    page = text(response)
    assert "Saisissez une adresse e-mail valide" in page
    assert "Saisissez un numéro de téléphone" in page
    assert "jeunesse@exemple.test" in text(client.get("/"))


def test_an_agent_assigned_to_facilities_edits_only_their_contacts(client, login_as, form_post,
                                                                   app, frozen):
    from app.catalogue.models import Facility, StaffFacility
    from app.extensions import db

    with app.app_context():
        mine = factories.make_facility("ACM PITCHOUNET")
        other = factories.make_facility("ACM LES COPAINS")
        mine_id, other_id = mine.id, other.id
    agent = login_as("Agent")
    with app.app_context():
        db.session.add(StaffFacility(user_id=agent.id, facility_id=mine_id))
        db.session.commit()
    listing = text(client.get("/contentcontactview/list/"))
    assert "ACM PITCHOUNET" in listing and "ACM LES COPAINS" not in listing
    assert client.get(f"/contentcontactview/edit/{other_id}").status_code == 404
    response = client.post(f"/contentcontactview/edit/{other_id}",
                           data={"phone": "06 66 66 66 66"})
    assert response.status_code in (400, 404)
    with app.app_context():
        assert db.session.get(Facility, other_id).phone == "05 00 00 00 01"
    assert client.get(f"/contentcontactview/edit/{mine_id}").status_code == 200


def test_deleting_a_document_removes_its_file(client, login_as, form_post, app, frozen):
    from app.content.models import PublicDocument

    with app.app_context():
        document = factories.make_public_document()
        doc_id, stored = document.id, document.stored_name
    login_as("Agent")
    response = form_post(f"/contentdocumentview/delete/{doc_id}", {},
                         page="/contentdocumentview/list/")
    assert response.status_code == 302
    assert count(app, PublicDocument) == 0
    assert stored not in public_files(app)
