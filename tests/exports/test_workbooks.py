"""Every workbook, reopened with openpyxl: cells, formats, totals, hostile text."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from app.billing import services as billing
from app.catalogue.models import Unit
from exports import jobs, registry
from exports.writer import Col, Sheet, write_workbook
from tests import factories

HOSTILE = ['=HYPERLINK("http://evil.test","clic")', "+33 6 12 34 56 78", "-", "@SUM(A1)",
           "=1+1"]


def reopen(target) -> openpyxl.Workbook:
    if isinstance(target, io.BytesIO):
        target.seek(0)
    return openpyxl.load_workbook(target)


def build(sheets) -> openpyxl.Workbook:
    buffer = io.BytesIO()
    write_workbook(sheets, buffer)
    return reopen(buffer)


def table(ws, header_row):
    """The rows under the header as lists of values."""
    return [[c.value for c in row] for row in ws.iter_rows(min_row=header_row + 1)]


def test_writer_formats_header_filter_print_and_guard():
    rows = [(name, 1234, dt.date(2026, 9, 2), dt.datetime(2026, 9, 2, 8, 30), 2)
            for name in HOSTILE] + [("Zoé\x07 D'Artagnan", -5, None, None, 1)]
    wb = build([Sheet("Essai", [Col("Nom"), Col("Montant", "money", total=True),
                                Col("Jour", "date"), Col("Heure", "datetime"),
                                Col("Nombre", "int", total=True)],
                      iter(rows), total_label="Total")])
    ws = wb["Essai"]
    assert [c.value for c in ws[1]] == ["Nom", "Montant", "Jour", "Heure", "Nombre"]
    assert ws[1][0].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E7"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.column_dimensions["A"].width == 24
    for row_no, name in enumerate(HOSTILE, 2):
        cell = ws.cell(row_no, 1)
        assert cell.value == name and cell.data_type == "s" and cell.quotePrefix
    assert ws.cell(7, 1).value == "Zoé D'Artagnan"
    money = ws.cell(2, 2)
    assert money.value == 12.34 and "€" in money.number_format and "0.00" in money.number_format
    assert ws.cell(2, 3).number_format == "DD/MM/YYYY"
    assert ws.cell(2, 3).value == dt.datetime(2026, 9, 2)
    assert ws.cell(2, 4).number_format == "DD/MM/YYYY HH:MM"
    total = ws.cell(8, 1)
    assert total.value == "Total" and total.font.bold
    assert ws.cell(8, 2).value == pytest.approx(61.65)   # 5 × 12,34 − 0,05
    assert ws.cell(8, 5).value == 11


def test_no_cell_is_ever_a_formula():
    wb = build([Sheet("x", [Col("a"), Col("b")], iter([(h, h) for h in HOSTILE]))])
    for row in wb.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


@pytest.fixture
def month(db):
    """September 2026: an ACM (booked basis), 3 households, some pointage."""
    comptable = factories.make_user("Comptable")
    facility = factories.make_facility("ACM PITCHOUNET")
    period = factories.make_period(name="ACM MERCREDI", facility=facility, price_cents=1050)
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id,
                                                Unit.position == 0))
    unit.start_time, unit.end_time = dt.time(8, 0), dt.time(18, 0)
    db.session.commit()
    households = []
    for n, (first, birth) in enumerate((("Ana", dt.date(2022, 1, 1)),
                                        ("=HYPERLINK(\"x\")", dt.date(2018, 5, 5)),
                                        ("Léo", dt.date(2020, 9, 9)))):
        household = factories.make_household(quotient_familial=500 + n)
        factories.make_user("Famille", household=household, first_name="+Parent",
                            last_name=f"Nom{n}")
        child = factories.make_child(household, first_name=first, birth_date=birth)
        for day in (dt.date(2026, 9, 2), dt.date(2026, 9, 9)):
            factories.make_presence(child, period, unit=unit, day=day, attendance="present")
        factories.make_presence(child, period, unit=unit, day=dt.date(2026, 9, 16),
                                attendance="excused")
        households.append(household)
    return dict(comptable=comptable, facility=facility, period=period, unit=unit,
                households=households)


def test_accounting_workbook_totals_equal_the_invoices(db, month):
    from exports.billing import accounting_sheets

    now = dt.datetime(2026, 10, 1, 9, 0)
    billing.run_billing(month["comptable"], now, 2026, 9)
    invoices = billing.issue_invoices(month["comptable"], now, 2026, 9)
    billing.credit_note(month["comptable"], now, invoices[0], None, "Erreur")
    expected = sum(i.total_cents for i in invoices) - invoices[0].total_cents

    wb = build(accounting_sheets(2026, 9))
    assert wb.sheetnames == ["Synthèse", "Lignes de facture", "Par foyer"]
    summary = wb["Synthèse"]
    rows = table(summary, 3)
    assert rows[0][:2] == ["Factures du mois", 3]
    assert rows[0][2] == pytest.approx(63.0)
    assert rows[1][:3] == ["Avoirs du mois", 1, pytest.approx(-21.0)]
    assert rows[2][0] == "Total net" and rows[2][2] == pytest.approx(expected / 100)
    lines = table(wb["Lignes de facture"], 1)
    assert len(lines) == 4 + 1
    assert lines[0][0] == "FAC-2026-000001" and lines[0][8] == 2 and lines[0][9] == 10.5
    assert lines[-2][0] == "AV-2026-000001" and lines[-2][10] == -21
    assert lines[-1][10] == pytest.approx(expected / 100)
    assert wb["Lignes de facture"].cell(2, 11).number_format.startswith("#,##0.00")
    per_household = table(wb["Par foyer"], 1)
    assert per_household[-1][7] == pytest.approx(expected / 100)
    names = [r[1] for r in per_household[:-1]]
    assert all(n.startswith("NOM") for n in names)


def test_detail_workbook_has_one_row_per_billed_day(db, month):
    from exports.billing import detail_sheets

    wb = build(detail_sheets(2026, 9))
    ws = wb.active
    rows = table(ws, 3)
    assert len(rows) == 6 + 1          # excused days are not billed
    assert rows[0][0] == dt.datetime(2026, 9, 2) and rows[0][10] == 10.5
    hostile = [r[4] for r in rows if r[4] and r[4].startswith("ESSAI =")]
    assert hostile
    assert rows[-1][9] == 6 and rows[-1][10] == pytest.approx(63.0)


def test_attendance_day_sheet_is_printable_with_signatures(db, month):
    from exports.attendance import day_sheets

    wb = build(day_sheets(month["facility"].id, dt.date(2026, 9, 9)))
    ws = wb.active
    assert ws["A1"].value.startswith("Pointage – ACM PITCHOUNET – mercredi 9 septembre 2026")
    header = [c.value for c in ws[4]]
    assert header[-1] == "Signature" and "Pointage" in header
    rows = table(ws, 4)
    assert len(rows) == 3 and {r[5] for r in rows} == {"Présent"}
    assert ws.print_title_rows == "$4:$4" and ws.freeze_panes == "A5"
    assert ws.row_dimensions[5].height == 28


def test_attendance_month_grid(db, month):
    from exports.attendance import month_sheets

    wb = build(month_sheets(month["facility"].id, 2026, 9))
    ws = wb.active
    header = [c.value for c in ws[4]]
    assert header[3:6] == ["02/09", "09/09", "16/09"]
    rows = table(ws, 4)
    assert [r[3:7] for r in rows[:3]] == [["P", "P", "AJ", 2]] * 3
    assert rows[-1][6] == 6


def test_caf_statistics_count_attended_actes_and_hours_by_age(db, month):
    from exports.caf import caf_sheets

    wb = build(caf_sheets(dt.date(2026, 9, 1), dt.date(2026, 9, 30)))
    rows = table(wb.active, 4)
    by_age = {r[3]: r for r in rows[:-1]}
    # Ana is 4; Léo is 5 on 2 September and 6 on the 9th; the third child is 8
    assert by_age["Moins de 6 ans"][4:7] == [2, 3, 30]
    assert by_age["6 ans et plus"][4:7] == [2, 3, 30]
    assert rows[-1][5] == 6 and rows[-1][6] == 60


def test_households_export_sheets_and_hostile_names_stay_text(db, month):
    from exports.lists import households_sheets

    wb = build(households_sheets())
    assert wb.sheetnames == ["Foyers", "Responsables", "Enfants des foyers"]
    guardians = wb["Responsables"]
    cell = guardians.cell(2, 5)
    assert cell.value == "+Parent" and cell.data_type == "s" and cell.quotePrefix
    children = table(wb["Enfants des foyers"], 1)
    assert children[1][2] == '=HYPERLINK("x")'
    assert wb["Enfants des foyers"].cell(3, 3).data_type == "s"


def test_background_export_belongs_to_its_requester(app, db, month, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    try:
        spec = registry.EXPORTS["presences"]
        values, errors = registry.parse(spec, {"start": "01/09/2026", "end": "30/09/2026"},
                                        None)
        assert errors == []
        token = jobs.start(app, 42, spec, values, None)
        jobs.wait(token)
        assert jobs.status(app, token, 43) is None
        assert jobs.owned_file(app, token, 43) is None
        status = jobs.status(app, token, 42)
        assert status["state"] == "done" and status["rows"] == 9
        path, name = jobs.owned_file(app, token, 42)
        assert name == "presences-2026-09-01-2026-09-30.xlsx"
        rows = table(openpyxl.load_workbook(path).active, 1)
        assert len(rows) == 9
        assert jobs.status(app, "../../etc/passwd", 42) is None
    finally:
        app.config.pop("EXPORT_FOLDER")


def test_parameters_are_checked_in_french(ctx):
    spec = registry.EXPORTS["caf"]
    _values, errors = registry.parse(spec, {"start": "31/02/2026", "end": "x",
                                            "facility": "abc"}, {1})
    text = " ".join(str(e) for e in errors)
    assert "Choisissez un établissement" in text and "JJ/MM/AAAA" in text
    _values, errors = registry.parse(spec, {"start": "10/09/2026", "end": "01/09/2026"}, {1})
    assert len(errors) == 1


def test_export_query_and_the_list_mixin(app, db):
    """The helpers other areas use to add "Exporter (Excel)" to their lists."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app import create_app
    from app.families.models import Household
    from exports.lists import ExcelExportMixin, export_query, register_export_route

    factories.make_household(city="=Mirande", quotient_familial=420)
    factories.make_household(city="Auch", quotient_familial=980)
    with app.test_request_context():
        response = export_query([(Col("Commune"), "city"), (Col("QF", "int"),
                                                            "quotient_familial")],
                                select(Household).order_by(Household.id), title="Foyers",
                                filename="foyers.xlsx")
        response.direct_passthrough = False
        wb = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert table(wb["Foyers"], 1) == [["=Mirande", 420], ["Auch", 980]]
    assert wb["Foyers"].cell(2, 1).data_type == "s"

    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "TESTING": True, "SERVER_NAME": "localhost",
                        "WTF_CSRF_ENABLED": False})

    @register_export_route
    class StaffHouseholdTestView(ExcelExportMixin, ModelView):
        datamodel = SQLAInterface(Household)
        list_columns = ["city", "quotient_familial"]
        label_columns = {"city": "Commune", "quotient_familial": "QF"}
        export_columns = [(Col("Commune"), "city"), (Col("QF", "int"), "quotient_familial")]

    with other.app_context():
        other.appbuilder.add_view_no_menu(StaffHouseholdTestView())
        agent = factories.make_user("Agent")
        agent_id = agent.id
    client = other.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(agent_id)
        session["_fresh"] = True
    response = client.get("/staffhouseholdtestview/export/xlsx?_flt_0_city=Auch")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert table(wb.active, 1) == [["Auch", 980]]
