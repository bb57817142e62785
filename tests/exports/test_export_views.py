"""The export pages (background job, owner-only download) and the Excel import."""

from __future__ import annotations

import datetime as dt
import html
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.families.models import Child, Guardian, Household
from exports import jobs
from exports.lists import households_sheets
from exports.writer import write_workbook
from tests import factories
from tests.conftest import csrf_token_from


@pytest.fixture(autouse=True)
def export_folder(app, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    yield tmp_path
    app.config.pop("EXPORT_FOLDER", None)


def _token(location: str) -> str:
    return location.rstrip("/").split("/")[-1]


def test_agent_exports_presences_in_the_background(app, client, login_as, form_post):
    with app.app_context():
        period = factories.make_period()
        child = factories.make_child(factories.make_household(), first_name="=cmd|' /C calc'!A0")
        factories.make_presence(child, period, day=dt.date(2026, 9, 9))
    login_as("Agent")
    page = html.unescape(client.get("/exports/").get_data(as_text=True))
    for label in ("Feuille de pointage d'une journée", "Statistiques CAF", "Présences",
                  "Foyers, responsables et enfants", "Importer (Excel)"):
        assert label in page
    assert "Facturation pour la comptabilité" not in page

    response = form_post("/exports/lancer/presences",
                         {"start": "01/09/2026", "end": "30/09/2026"}, page="/exports/")
    assert response.status_code == 302
    token = _token(response.location)
    jobs.wait(token)
    assert client.get(f"/exports/suivi/{token}/etat").json == {"state": "done", "rows": 1}
    job_page = html.unescape(client.get(f"/exports/suivi/{token}").get_data(as_text=True))
    assert "Télécharger presences-2026-09-01-2026-09-30.xlsx" in job_page
    download = client.get(f"/exports/suivi/{token}/fichier")
    assert download.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(download.data))
    cell = wb.active.cell(2, 4)
    assert cell.value.startswith("ESSAI =cmd") and cell.data_type == "s"

    # another agent cannot follow or download it
    login_as("Agent")
    assert client.get(f"/exports/suivi/{token}").status_code == 404
    assert client.get(f"/exports/suivi/{token}/etat").status_code == 404
    assert client.get(f"/exports/suivi/{token}/fichier").status_code == 404


def test_wrong_parameters_write_nothing(app, client, login_as, form_post, export_folder):
    login_as("Agent")
    response = form_post("/exports/lancer/requests", {"start": "32/13/2026", "end": ""},
                         page="/exports/", follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert "JJ/MM/AAAA" in text
    assert list(export_folder.iterdir()) == []
    assert form_post("/exports/lancer/accounting", {"month": "09/2026"},
                     page="/exports/").status_code == 404


def test_comptable_exports_accounting_and_not_staff_lists(app, client, login_as, form_post):
    login_as("Comptable")
    page = html.unescape(client.get("/facturation/exports/").get_data(as_text=True))
    assert "Facturation pour la comptabilité" in page and "Jours facturés (détail)" in page
    response = form_post("/facturation/exports/lancer/accounting", {"month": "09/2026"},
                         page="/facturation/exports/")
    token = _token(response.location)
    jobs.wait(token)
    download = client.get(f"/facturation/exports/suivi/{token}/fichier")
    assert download.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(download.data))
    assert wb.sheetnames == ["Synthèse", "Lignes de facture", "Par foyer"]
    assert client.get("/exports/").status_code in (302, 403)


def _households_workbook(app) -> bytes:
    with app.app_context():
        household = factories.make_household(quotient_familial=812)
        factories.make_user("Famille", household=household, first_name="Aline",
                            last_name="Martin", email="aline@exemple.test")
        factories.make_child(household, first_name="Jules", last_name="Martin",
                             birth_date=dt.date(2019, 4, 1))
        buffer = io.BytesIO()
        write_workbook(households_sheets(), buffer)
    return buffer.getvalue()


def _counts(app):
    with app.app_context():
        from app.extensions import db

        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Household, Guardian, Child))


def _upload(client, data: bytes, name="foyers.xlsx"):
    page = client.get("/exports/import").get_data(as_text=True)
    return client.post("/exports/import", data={
        "csrf_token": csrf_token_from(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def test_import_round_trip_checks_then_imports(app, client, login_as):
    data = _households_workbook(app)
    before = _counts(app)
    login_as("Agent")
    response = _upload(client, data)
    text = html.unescape(response.get_data(as_text=True))
    assert "Le fichier est correct : 1 foyer(s), 1 responsable(s), 1 enfant(s)" in text
    assert _counts(app) == before          # a dry run writes nothing
    token = text.split("/exports/import/")[1].split("/")[0]
    page = client.get("/exports/import").get_data(as_text=True)
    response = client.post(f"/exports/import/{token}/confirmer",
                           data={"csrf_token": csrf_token_from(page)}, follow_redirects=True)
    assert "Importé : 1 foyer(s), 1 responsable(s), 1 enfant(s)" in html.unescape(
        response.get_data(as_text=True))
    assert _counts(app) == tuple(n + 1 for n in before)
    with app.app_context():
        from app.extensions import db

        imported = db.session.scalar(select(Household).order_by(Household.id.desc()))
        assert imported.quotient_familial == 812 and imported.status == "validated"
        assert imported.guardians[0].last_name == "Martin"
    # someone else cannot confirm the same file
    login_as("Agent")
    page = client.get("/exports/import").get_data(as_text=True)
    assert client.post(f"/exports/import/{token}/confirmer",
                       data={"csrf_token": csrf_token_from(page)}).status_code == 404


def test_import_lists_every_error_and_imports_nothing(app, client, login_as):
    data = _households_workbook(app)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["Foyers"].cell(2, 10).value = "beaucoup"                 # QF
    wb["Enfants des foyers"].cell(2, 4).value = "31/02/2019"     # date of birth
    wb["Enfants des foyers"].cell(2, 5).value = "X"              # sex
    wb["Responsables"].cell(2, 7).value = "pas-une-adresse"
    wb["Enfants des foyers"].append([99, "Orphelin", "Paul", "01/01/2020", "M"])
    buffer = io.BytesIO()
    wb.save(buffer)
    before = _counts(app)
    login_as("Agent")
    text = html.unescape(_upload(client, buffer.getvalue()).get_data(as_text=True))
    assert "5 erreur(s) : rien n'a été importé" in text
    assert ("Feuille « Foyers », ligne 2, colonne « Quotient familial (J) » : "
            "« beaucoup » n'est pas un nombre entier.") in text
    assert "colonne « Date de naissance (D) » : « 31/02/2019 » n'est pas une date" in text
    assert "colonne « Sexe (F/M) (E) »" in text
    assert "« pas-une-adresse » n'est pas une adresse e-mail" in text
    assert "ligne 3, colonne « Réf. foyer (A) » : aucun foyer n'a cette référence" in text
    assert "Importer maintenant" not in text
    assert _counts(app) == before


def test_import_of_something_else_is_a_french_message(app, client, login_as):
    login_as("Agent")
    text = html.unescape(_upload(client, b"not a workbook", "x.xlsx").get_data(as_text=True))
    assert "n'est pas un classeur Excel" in text
