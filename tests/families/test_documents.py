"""Mes documents: states, "+" upload checked by content and size, served
only to the household and to agents; agents accept or refuse with a reason."""

from __future__ import annotations

import datetime as dt
import io
import os

from sqlalchemy import select

from app.families.models import Document, Household
from tests import factories
from tests.families.helpers import EXE, JPEG, PDF, PNG, make_document_type, outbox, page, text


def _upload(client, form_post_token, doc_type, data, filename="piece.pdf", child=None):
    return client.post("/compte/documents/envoyer", data={
        "csrf_token": form_post_token, "document_type": str(doc_type.id),
        "child": str(child.id) if child else "",
        "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def _token(client):
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/compte/mes-donnees").get_data(as_text=True))


def test_each_piece_for_the_household_and_each_child_with_its_state(client, db, login_as):
    household = factories.make_household()
    login_as("Famille", household=household)
    make_document_type(db, code="assurance", name="Attestation d'assurance", position=1)
    make_document_type(db, code="vaccins", name="Carnet de vaccinations", scope="child",
                       position=2)
    factories.make_child(household, first_name="Paul")
    factories.make_child(household, first_name="Lina", birth_date=dt.date(2019, 5, 2))
    html = text(client.get("/compte/documents"))
    assert "Attestation d'assurance" in html
    assert html.count("Carnet de vaccinations") == 2
    assert html.count("À fournir") == 3
    assert "via le + en bout de ligne" in html


def test_upload_pdf_png_jpeg_by_content_stored_outside_static_under_a_random_name(
        app, client, db, clock, login_as):
    household = factories.make_household()
    user = login_as("Famille", household=household)
    doc_type = make_document_type(db)
    token = _token(client)
    for data, name, content_type in ((PDF, "attestation.pdf", "application/pdf"),
                                     (PNG, "scan.png", "image/png"),
                                     (JPEG, "photo.JPG", "image/jpeg")):
        response = _upload(client, token, doc_type, data, filename=name)
        assert response.status_code == 302
        document = db.session.scalars(select(Document).order_by(Document.id.desc())).first()
        assert document.content_type == content_type and document.original_filename == name
        assert document.state == "pending" and document.uploaded_by_id == user.id
        path = os.path.join(app.config["UPLOAD_FOLDER"], document.stored_name)
        assert os.path.isfile(path) and name not in document.stored_name
        assert not path.startswith(app.static_folder)
    html = text(client.get("/compte/documents"))
    assert "En attente de vérification" in html or "en attente de vérification" in html.lower()
    download = client.get(f"/compte/documents/{document.id}/fichier")
    assert download.status_code == 200 and download.data == JPEG
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_an_exe_renamed_pdf_is_refused_in_french_and_nothing_is_stored(
        app, client, db, login_as):
    household = factories.make_household()
    login_as("Famille", household=household)
    doc_type = make_document_type(db)
    before = set(os.listdir(app.config["UPLOAD_FOLDER"]))
    response = _upload(client, _token(client), doc_type, EXE, filename="facture.pdf")
    follow = client.get(response.headers["Location"])
    assert "Seuls les fichiers PDF, JPEG ou PNG sont acceptés" in page(follow)
    assert db.session.scalar(select(Document.id)) is None
    assert set(os.listdir(app.config["UPLOAD_FOLDER"])) == before


def test_more_than_10_mb_is_refused_in_french(app, client, db, login_as):
    household = factories.make_household()
    login_as("Famille", household=household)
    doc_type = make_document_type(db)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = _upload(client, _token(client), doc_type, big)
    assert "Le fichier dépasse 10 Mo" in page(client.get(response.headers["Location"]))
    assert db.session.scalar(select(Document.id)) is None


def test_a_50_mb_upload_gets_the_french_413_page(client, db, login_as):
    household = factories.make_household()
    login_as("Famille", household=household)
    doc_type = make_document_type(db)
    response = _upload(client, _token(client), doc_type, PDF + b"0" * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert "Fichier trop volumineux" in page(response) or "10 Mo" in page(response)
    assert db.session.scalar(select(Document.id)) is None


def test_child_documents_need_a_child_of_the_household(client, db, login_as):
    household = factories.make_household()
    login_as("Famille", household=household)
    doc_type = make_document_type(db, scope="child", code="vaccins", name="Vaccins")
    other = factories.make_child(factories.make_household(), first_name="Autre")
    response = _upload(client, _token(client), doc_type, PDF, child=other)
    assert response.status_code == 404
    assert db.session.scalar(select(Document.id)) is None


def test_agent_accepts_or_refuses_with_a_reason_the_family_reads(
        client, db, clock, login_as, switch_to, form_post):
    household = factories.make_household()
    login_as("Famille", household=household)
    insurance = make_document_type(db, validity_months=12)
    vaccines = make_document_type(db, code="vaccins", name="Vaccins", position=2)
    token = _token(client)
    _upload(client, token, insurance, PDF)
    _upload(client, token, vaccines, PNG, filename="vaccins.png")
    first, second = db.session.scalars(select(Document).order_by(Document.id)).all()
    agent = switch_to("Agent")
    file_url = f"/agents/familles/foyer/{household.id}"
    queue = text(client.get("/agents/familles/"))
    assert "Documents à vérifier" in queue
    assert client.get(f"/agents/familles/document/{first.id}/fichier").data == PDF
    form_post(f"/agents/familles/document/{first.id}/accepter", {}, page=file_url)
    form_post(f"/agents/familles/document/{second.id}/refuser",
              {"reason": "Page illisible, merci de renvoyer un scan net."}, page=file_url)
    empty = form_post(f"/agents/familles/document/{second.id}/refuser", {"reason": " "},
                      page=file_url, follow_redirects=True)
    assert "Indiquez le motif du refus" in page(empty)
    db.session.expire_all()
    first, second = db.session.get(Document, first.id), db.session.get(Document, second.id)
    assert first.state == "accepted" and first.checked_by_id == agent.id
    assert first.expires_on == dt.date(2027, 9, 7)
    assert second.state == "refused"
    [mail] = outbox(db, template="families_document_refused")
    assert "Page illisible" in mail.body_text and "Vaccins" in mail.body_text
    switch_to("Famille", household=household)
    html = text(client.get("/compte/documents"))
    assert "Accepté" in html and "Refusé" in html and "Page illisible" in html
    clock.set(dt.datetime(2027, 9, 8, 9, 0))
    assert "Expiré" in text(client.get("/compte/documents"))


def test_accepting_the_qf_attestation_confirms_the_quotient(client, db, login_as, switch_to,
                                                           form_post):
    household = factories.make_household(quotient_familial=900, qf_checked=False)
    login_as("Famille", household=household)
    attestation = make_document_type(db, code="attestation_qf", name="Attestation CAF")
    _upload(client, _token(client), attestation, PDF)
    document = db.session.scalar(select(Document))
    switch_to("Agent")
    form_post(f"/agents/familles/document/{document.id}/accepter", {},
              page=f"/agents/familles/foyer/{household.id}")
    db.session.expire_all()
    assert db.session.get(Household, household.id).qf_checked is True
