"""Household A never reaches household B: every families route with B's ids
(GET and POST, CSRF token included) answers 403 or 404 and changes nothing;
forms carrying B's ids in their fields are refused too."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.families.models import AuthorizedPerson, Child, Document, Guardian, Household
from tests import factories
from tests.conftest import csrf_token_from
from tests.families.helpers import PDF, make_document_type, page

AREA_PREFIXES = ("FamilyAccountView.", "FamilyChildView.", "FamilyDocumentView.",
                 "StaffHouseholdQueueView.")
SECRET = "Zénobie-secret-B"


def _household_b(db):
    household = factories.make_household(city=SECRET)
    factories.make_user("Famille", household=household, last_name=SECRET)
    child = factories.make_child(household, first_name=SECRET, allergies=SECRET)
    doc_type = make_document_type(db, code="vaccins", name="Vaccins", scope="child")
    document = Document(household_id=household.id, child_id=child.id,
                        document_type_id=doc_type.id, original_filename=f"{SECRET}.pdf",
                        stored_name="secret-b.pdf", content_type="application/pdf", size=3)
    person = AuthorizedPerson(child_id=child.id, household_id=household.id, name=SECRET)
    db.session.add_all([document, person])
    db.session.commit()
    return household, child, document, person


def _snapshot(db, household_id):
    rows = []
    for model in (Household, Guardian, Child, Document, AuthorizedPerson):
        for obj in db.session.scalars(select(model).order_by(model.id)):
            if getattr(obj, "household_id", getattr(obj, "id", None)) is None:
                continue
            rows.append((model.__name__, tuple((c.key, getattr(obj, c.key))
                                               for c in model.__table__.columns)))
    return rows


def test_household_a_gets_403_or_404_on_every_route_with_b_ids(app, client, db, login_as):
    household_b, child_b, document_b, person_b = _household_b(db)
    household_a = factories.make_household()
    login_as("Famille", household=household_a)
    factories.make_child(household_a, first_name="Alphonse")
    db.session.expire_all()
    before = _snapshot(db, household_b.id)
    token = csrf_token_from(client.get("/compte/mes-donnees").get_data(as_text=True))
    values = {"child_id": child_b.id, "document_id": document_b.id,
              "person_id": person_b.id, "household_id": household_b.id}
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(AREA_PREFIXES) or not rule.arguments:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = re.sub(r"<(?:[^:<>]+:)?%s>" % argument, str(values[argument]), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, "reason": "x",
                                                  "name": "x", "phone": "0600000000",
                                                  "school_year": "2026-2027",
                                                  "school_name": "x", "level": "PS",
                                                  "child_id": str(child_b.id)})
            assert response.status_code in (403, 404), (method, url, response.status_code)
            assert SECRET not in page(response)
            checked.append((method, url))
    assert len(checked) >= 15
    # forms whose fields carry B's ids
    doc_type = db.session.scalar(select(Document.document_type_id))
    response = client.post("/compte/documents/envoyer", data={
        "csrf_token": token, "document_type": str(doc_type), "child": str(child_b.id),
        "file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 404
    own_child = db.session.scalar(select(Child).where(Child.first_name == "Alphonse"))
    response = client.post(f"/compte/enfants/{own_child.id}/personnes/{person_b.id}/supprimer",
                           data={"csrf_token": token})
    assert response.status_code == 404
    # pages without ids show only A's data
    for url in ("/compte/", "/compte/profil", "/compte/foyer", "/compte/enfants",
                "/compte/documents", "/compte/scolaire", "/compte/mes-donnees"):
        assert SECRET not in page(client.get(url)), url
    from openpyxl import load_workbook

    export = load_workbook(io.BytesIO(client.get("/compte/mes-donnees/export.xlsx").data))
    cells = [str(c.value) for ws in export for row in ws.iter_rows() for c in row]
    assert "Alphonse" in cells and not any(SECRET in c for c in cells)
    db.session.expire_all()
    assert _snapshot(db, household_b.id) == before


def test_ids_too_large_for_the_database_are_404_not_500(client, db, login_as, switch_to):
    login_as("Famille")
    huge = 10**12
    for url in (f"/compte/enfants/{huge}", f"/compte/enfants/{huge}/modifier",
                f"/compte/documents/{huge}/fichier", f"/compte/scolaire/{huge}"):
        assert client.get(url).status_code == 404, url
    switch_to("Agent")
    for url in (f"/agents/familles/foyer/{huge}", f"/agents/familles/document/{huge}/fichier"):
        assert client.get(url).status_code == 404, url
