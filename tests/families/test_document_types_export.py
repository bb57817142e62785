""""Exporter (Excel)" on the agents' list of documents to provide."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl

from tests.families.helpers import make_document_type, page


def test_agents_export_the_documents_to_provide_in_french(client, login_as, clock, db):
    clock.set(dt.datetime(2026, 9, 7, 10, 0))
    make_document_type(db, code="attestation_qf", name="Attestation de quotient familial",
                       validity_months=12, position=1)
    make_document_type(db, code="vaccins", name="=Carnet de vaccination", scope="child",
                       required=False, position=2)
    login_as("Agent")
    listing = page(client.get("/staffdocumenttypeview/list/"))
    link = re.search(r'href="([^"]+)">\s*<i class="fa fa-file-excel-o" aria-hidden="true">'
                     r'</i> Exporter \(Excel\)', listing)
    assert link, "no Exporter (Excel) button on the list"

    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "documents-a-fournir-2026-09-07.xlsx" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert sheet.title == "Documents à fournir"
    assert rows[0] == ["Nom du document", "Code", "Pour le foyer ou pour chaque enfant",
                       "Obligatoire", "Validité (mois)", "Ordre"]
    assert sorted(rows[1:]) == [
        ["=Carnet de vaccination", "vaccins", "Un pour chaque enfant", "Non", None, 2],
        ["Attestation de quotient familial", "attestation_qf", "Un pour le foyer", "Oui",
         12, 1],
    ]
    assert sheet.cell(3, 1).quotePrefix or sheet.cell(2, 1).quotePrefix  # never a formula


def test_a_family_cannot_export_the_documents_to_provide(client, switch_to, db):
    make_document_type(db)
    url = "/staffdocumenttypeview/export/xlsx"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    switch_to("Famille")
    response = client.get(url)
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)
