""""Exporter (Excel)" on the staff lists (exports.lists.ExcelExportMixin).

Each export is downloaded as an agent would, reopened with openpyxl, and
compared with what the list page shows: French headers, the rows of the
current search filters and order only (every page), real dates and money
cells in French formats, a French sheet and file name, hostile text guarded.
Who cannot see a list cannot export it.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from contextlib import contextmanager

import openpyxl
import pytest
from sqlalchemy import select

from app.catalogue.models import Facility, StaffFacility
from app.notifications.models import OutgoingEmail
from tests import factories

EVIL = '=HYPERLINK("http://evil.test","clic")'


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.headers.get("Location")
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data))


def filename(response) -> str:
    return re.search(r'filename="?([^";]+)', response.headers["Content-Disposition"]).group(1)


def header(ws) -> list:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def body(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]


def cell(ws, row: int, column: int):
    return ws.cell(row, column)


@pytest.fixture
def data(app):
    """``with data() as db:`` rows written in their own application context
    (the requests of a test must not share one: Flask-Login keeps the user in
    ``g``, which would then outlive a request)."""

    @contextmanager
    def _data():
        from app.extensions import db

        with app.app_context():
            yield db
            db.session.commit()
            db.session.remove()
    return _data


@pytest.fixture
def facilities(data):
    with data() as db:
        for name in ("ACM Les Tilleuls", "ACM Le Moulin", EVIL):
            factories.make_facility(name)  # in Mirande
        factories.make_facility("ACM Auch centre").city = "Auch"


# --------------------------------------------------------------------------
# catalogue lists


def test_facilities_export_has_the_filtered_rows_in_the_list_order(client, login_as, clock,
                                                                  facilities):
    login_as("Agent")
    query = ("_flt_0_city=Mir&_oc_CatalogueFacilityView=name"
             "&_od_CatalogueFacilityView=desc&page_CatalogueFacilityView=0")
    page = client.get(f"/cataloguefacilityview/list/?{query}").get_data(as_text=True)
    link = re.search(r'<a class="btn btn-sm btn-default" href="([^"]+)">\s*'
                     r'<i class="fa fa-file-excel-o" aria-hidden="true"></i> Exporter \(Excel\)',
                     page)
    assert link, "no Exporter (Excel) button on the list"
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/cataloguefacilityview/export/xlsx?")
    assert "_flt_0_city=Mir" in url and "_od_CatalogueFacilityView=desc" in url
    assert "page_" not in url  # every page is exported

    response = client.get(url)
    wb = workbook(response)
    assert filename(response) == "etablissements-2026-09-07.xlsx"
    ws = wb.active
    assert ws.title == "Établissements"
    assert header(ws) == ["Établissement", "Commune", "Numéro de téléphone", "Adresse e-mail",
                          "Zone de vacances scolaires", "Établissement actif"]
    assert [row[0] for row in body(ws)] == ["ACM Les Tilleuls", "ACM Le Moulin", EVIL]
    assert body(ws)[0][1:] == ["Mirande", "05 00 00 00 01", "acm@exemple.test", "C", "Oui"]
    # the family-typed formula is a text cell, never a formula
    guarded = cell(ws, 4, 1)
    assert guarded.value == EVIL and guarded.data_type == "s" and guarded.quotePrefix


def two_periods(data):
    with data():
        period_id = factories.make_period("MERCREDIS 2026-2027", price_cents=345).id
        factories.make_period("VACANCES AUTOMNE", start=dt.date(2026, 10, 19),
                              end=dt.date(2026, 10, 30), weekdays="0,1,2,3,4", price_cents=1250)
    return period_id


def test_periods_and_tariffs_have_real_dates_and_money(client, login_as, clock, data):
    two_periods(data)
    login_as("Comptable")  # accounting reads tariffs, units and periods

    ws = workbook(client.get("/cataloguetariffview/export/xlsx?_flt_0_price_cents=345")).active
    assert ws.title == "Tarifs"
    assert header(ws) == ["Régime", "Quotient familial de", "Quotient familial jusqu'à", "Prix"]
    assert body(ws) == [["MERCREDIS 2026-2027 › MERCREDI JOURNEE AVEC REPAS", 0, None, 3.45],
                        ["MERCREDIS 2026-2027 › MERCREDI MATIN SANS REPAS", 0, None, 3.45]]
    price = cell(ws, 2, 4)
    assert price.data_type == "n" and "€" in price.number_format

    response = client.get("/catalogueperiodview/export/xlsx?_flt_2_name=AUTOMNE")
    ws = workbook(response).active
    assert filename(response) == "periodes-d-ouverture-2026-09-07.xlsx"
    names = header(ws)
    first, last = names.index("Premier jour") + 1, names.index("Dernier jour") + 1
    assert len(body(ws)) == 1
    assert cell(ws, 2, first).value.date() == dt.date(2026, 10, 19)
    assert cell(ws, 2, first).number_format == "DD/MM/YYYY"
    assert cell(ws, 2, last).value.date() == dt.date(2026, 10, 30)


def test_opening_days_export_has_every_page(client, login_as, clock, data):
    period_id = two_periods(data)
    login_as("Agent")
    # more than one page of the list (25 rows), all exported, in the list's order
    ws = workbook(client.get(
        f"/catalogueopeningdayview/export/xlsx?_flt_0_period={period_id}")).active
    days = [row[1].date() for row in body(ws)]
    assert len(days) > 25 and days == sorted(days)
    assert {row[0] for row in body(ws)} == {"MERCREDIS 2026-2027"}


def test_bad_list_arguments_never_fail(app, client, login_as, clock, facilities):
    login_as("Agent")
    # an order column the list does not offer: the list's own order (the
    # guard of app/core/hardening.py drops it, for the list page as well)
    for path in ("list/", "export/xlsx"):
        response = client.get(f"/cataloguefacilityview/{path}?_oc_CatalogueFacilityView=x"
                              "&_od_CatalogueFacilityView=asc&_flt_0_city=Mir")
        assert response.status_code == 302
        assert response.headers["Location"] == (f"/cataloguefacilityview/{path}"
                                                "?_od_CatalogueFacilityView=asc&_flt_0_city=Mir")
    with app.test_request_context("/cataloguefacilityview/export/xlsx?"
                                  "_oc_CatalogueFacilityView=x&_od_CatalogueFacilityView=asc"):
        view = next(v for v in app.appbuilder.baseviews
                    if type(v).__name__ == "CatalogueFacilityView")
        assert view._export_order() == ("name", "asc")
    ws = workbook(client.get("/cataloguefacilityview/export/xlsx?_od_CatalogueFacilityView=asc"
                             "&_flt_0_city=Mir")).active
    assert [row[0] for row in body(ws)] == sorted(row[0] for row in body(ws))
    assert len(body(ws)) == 3
    # a NUL in a search value (PostgreSQL refuses it): dropped for the list too
    response = client.get("/cataloguefacilityview/list/?_flt_2_name=a%00b&_flt_0_city=Mir")
    assert response.headers["Location"] == "/cataloguefacilityview/list/?_flt_0_city=Mir"
    for query in ("_flt_9_city=x", "_flt_0_active=maybe", "_flt_0_name=%00",
                  "_flt_0_city=%F0%9F%98%80%E2%80%AE", "_od_CatalogueFacilityView=sideways",
                  "_flt_x_city=1"):
        response = client.get(f"/cataloguefacilityview/export/xlsx?{query}")
        assert response.status_code in (200, 302), (query, response.status_code)
        if response.status_code == 302:
            assert "/cataloguefacilityview/" in response.headers["Location"]


# --------------------------------------------------------------------------
# content lists


def test_news_export_has_french_date_times_and_guarded_titles(client, login_as, clock, data):
    with data():
        factories.make_news("Programme des vacances en ligne",
                            published_from=dt.datetime(2026, 9, 1, 8, 0),
                            published_until=dt.datetime(2026, 10, 31, 18, 30))
        factories.make_news(EVIL + " programme", published_from=dt.datetime(2026, 9, 3, 9, 15))
        factories.make_news("Inscriptions cantine",
                            published_from=dt.datetime(2026, 8, 20, 7, 0))
    login_as("Agent")
    response = client.get("/contentnewsview/export/xlsx?_flt_2_title=programme")
    ws = workbook(response).active
    assert filename(response) == "actualites-du-site-public-2026-09-07.xlsx"
    assert ws.title == "Actualités du site public"
    assert header(ws) == ["Titre de l'actualité", "Établissement concerné",
                          "Publié à partir du", "Publié jusqu'au"]
    rows = body(ws)
    # the list's order: most recent publication first
    assert [r[0] for r in rows] == [EVIL + " programme", "Programme des vacances en ligne"]
    assert cell(ws, 2, 1).data_type == "s" and cell(ws, 2, 1).quotePrefix
    assert rows[1][2] == dt.datetime(2026, 9, 1, 8, 0)
    assert rows[1][3] == dt.datetime(2026, 10, 31, 18, 30)
    assert cell(ws, 3, 3).number_format == "DD/MM/YYYY HH:MM"
    assert rows[0][3] is None


def test_contacts_export_keeps_the_agents_facilities_only(client, login_as, clock, facilities,
                                                         data):
    agent = login_as("Agent")
    with data() as db:
        mine = db.session.scalar(select(Facility).where(Facility.name == "ACM Le Moulin"))
        db.session.add(StaffFacility(user_id=agent.id, facility_id=mine.id))
    ws = workbook(client.get("/contentcontactview/export/xlsx")).active
    assert ws.title == "Contacts des structures"
    assert header(ws)[:2] == ["Établissement", "Commune"]
    assert [row[0] for row in body(ws)] == ["ACM Le Moulin"]


# --------------------------------------------------------------------------
# the outbox


def test_outbox_export_filters_by_state_with_french_labels(client, login_as, clock, data):
    start = dt.datetime(2026, 9, 1, 8, 0)
    with data() as db:
        for n in range(30):
            sent = bool(n % 3)
            db.session.add(OutgoingEmail(
                to_address=f"parent{n}@exemple.test", subject=f"Demande n°{n} acceptée",
                body_text="…", status="sent" if sent else "pending",
                created_at=start + dt.timedelta(minutes=n),
                sent_at=start + dt.timedelta(minutes=n + 5) if sent else None))
        db.session.add(OutgoingEmail(to_address="x@exemple.test", subject=EVIL, body_text="…",
                                     status="sent", created_at=dt.datetime(2026, 9, 2, 10, 0),
                                     sent_at=dt.datetime(2026, 9, 2, 10, 1)))
    login_as("Agent")
    response = client.get("/staffoutboxview/export/xlsx?_flt_0_status=sent")
    ws = workbook(response).active
    assert filename(response) == "boite-d-envoi-2026-09-07.xlsx"
    assert ws.title == "Boîte d'envoi"
    assert header(ws) == ["Écrit le", "Destinataire", "Objet", "État de l'envoi", "Envoyé le"]
    rows = body(ws)
    assert len(rows) == 21  # 20 sent of 30, and the hostile one; more than a page
    assert {r[3] for r in rows} == {"Envoyé"}
    assert rows[0][2] == EVIL and cell(ws, 2, 3).quotePrefix  # newest first, as the list
    assert rows[0][0] == dt.datetime(2026, 9, 2, 10, 0)
    assert cell(ws, 2, 1).number_format == "DD/MM/YYYY HH:MM"


# --------------------------------------------------------------------------
# who may export


@pytest.mark.parametrize("url", ["/cataloguefacilityview/export/xlsx",
                                 "/contentnewsview/export/xlsx",
                                 "/staffoutboxview/export/xlsx"])
def test_a_family_is_refused_and_a_visitor_sent_to_the_login(client, login_as, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("Famille")
    response = client.get(url)
    assert response.status_code == 403, response.headers.get("Location")
    assert "Accès refusé" in response.get_data(as_text=True)


def test_accounting_exports_only_the_lists_it_reads(client, login_as, clock, data):
    with data():
        factories.make_period()
    login_as("Comptable")
    assert client.get("/cataloguetariffview/export/xlsx").status_code == 200
    assert client.get("/catalogueunitview/export/xlsx").status_code == 200
    for url in ("/cataloguefacilityview/export/xlsx", "/contentnewsview/export/xlsx",
                "/staffoutboxview/export/xlsx"):
        assert client.get(url).status_code == 403, url


def test_the_button_is_not_on_lists_without_the_mixin(client, login_as):
    login_as("Admin")
    page = client.get("/users/list/").get_data(as_text=True)
    assert "Exporter (Excel)" not in page
