"""The pointage screen: without JavaScript (form POST per row) and with it (JSON)."""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import event, select

from app.attendance.models import Attendance
from app.catalogue.models import StaffFacility, Unit
from tests import factories

DAY = dt.date(2026, 9, 9)


def _site(app, children=3):
    with app.app_context():
        facility = factories.make_facility("ACM PITCHOUNET")
        period = factories.make_period(facility=facility)
        household = factories.make_household()
        ids = []
        for n in range(children):
            child = factories.make_child(household, first_name=f"Enfant{n:03d}",
                                         allergies="gluten" if n == 0 else "")
            ids.append(factories.make_presence(child, period, day=DAY).id)
        factories.make_child(household, first_name="Surprise")
        from app.extensions import db

        surprise = db.session.scalar(select(factories.Child).where(
            factories.Child.first_name == "Surprise"))
        other_day = dt.date(2026, 9, 2)
        factories.make_presence(surprise, period, day=other_day)
        unit_id = db.session.scalar(select(Unit.id).where(Unit.period_id == period.id))
        return facility.id, ids, surprise.id, unit_id


def _statuses(app):
    with app.app_context():
        from app.extensions import db

        return dict(db.session.execute(select(Attendance.presence_id, Attendance.status)).all())


def test_agent_marks_rows_without_javascript(app, client, login_as, form_post, clock):
    clock.set(dt.datetime(2026, 9, 9, 8, 30))
    facility_id, ids, _surprise, _unit = _site(app)
    login_as("Agent")
    url = f"/pointage/?facility={facility_id}&day=09/09/2026"
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "mercredi 9 septembre 2026" in page and "3 attendu(s)" in page
    assert "Allergies : gluten" in page
    assert 'Tous présents (les <span id="unmarked-count">3</span> non pointés)' in page

    response = form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                               "presence": ids[0], "status": "absent"},
                         page=url)
    assert response.status_code == 302 and response.location.endswith(f"#p{ids[0]}")
    response = form_post("/pointage/tous-presents", {"facility": facility_id,
                                                     "day": "09/09/2026"},
                         page=url, follow_redirects=True)
    assert "2 enfant(s) pointé(s) présent(s)" in html.unescape(response.get_data(as_text=True))
    assert _statuses(app) == {ids[0]: "absent", ids[1]: "present", ids[2]: "present"}


def test_javascript_marking_answers_json(app, client, login_as, form_post):
    facility_id, ids, _surprise, _unit = _site(app)
    login_as("Agent")
    url = f"/pointage/?facility={facility_id}&day=09/09/2026"
    response = form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                               "presence": ids[1], "status": "excused"},
                         page=url, headers={"X-Requested-With": "fetch"})
    assert response.json == {"ok": True, "status": "excused", "label": "Absence justifiée"}
    response = form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                               "presence": ids[1], "status": "bof"},
                         page=url, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400 and "Choisissez présent" in response.json["message"]


def test_locked_day_asks_for_a_reason(app, client, login_as, form_post):
    facility_id, ids, _surprise, _unit = _site(app)
    login_as("Agent")
    url = f"/pointage/?facility={facility_id}&day=09/09/2026"
    form_post("/pointage/verrouiller", {"facility": facility_id, "day": "09/09/2026"}, page=url)
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "Cette journée est verrouillée" in page
    response = form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                               "presence": ids[0], "status": "present"},
                         page=url, follow_redirects=True)
    assert "indiquez le motif" in html.unescape(response.get_data(as_text=True))
    assert _statuses(app) == {}
    form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                    "presence": ids[0], "status": "present",
                                    "reason": "Arrivé en retard"}, page=url)
    assert _statuses(app) == {ids[0]: "present"}


def test_walk_in_through_the_search(app, client, login_as, form_post):
    facility_id, ids, surprise_id, unit_id = _site(app)
    login_as("Agent")
    url = f"/pointage/?facility={facility_id}&day=09/09/2026&q=surp"
    page = client.get(url).get_data(as_text=True)
    assert "Surprise" in page and 'id="walk-in"' in page
    response = form_post("/pointage/sans-reservation",
                         {"facility": facility_id, "day": "09/09/2026", "child": surprise_id,
                          "unit": unit_id}, page=url, follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert "Enfant ajouté et pointé présent" in text and "4 attendu(s)" in text


def test_page_cost_does_not_grow_with_the_number_of_children(app, client, login_as):
    facility_id, _ids, _s, _u = _site(app, children=40)
    login_as("Agent")
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(f"/pointage/?facility={facility_id}&day=09/09/2026")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert "40 attendu(s)" in html.unescape(response.get_data(as_text=True))
    assert len(counted) <= 15


def test_assigned_agent_cannot_open_another_facility(app, client, login_as, form_post):
    facility_id, ids, _s, _u = _site(app)
    agent = login_as("Agent")
    with app.app_context():
        from app.extensions import db

        other = factories.make_facility("ACM AILLEURS")
        db.session.add(StaffFacility(user_id=agent.id, facility_id=other.id))
        db.session.commit()
    assert client.get(f"/pointage/?facility={facility_id}&day=09/09/2026").status_code == 403
    page = client.get("/pointage/").get_data(as_text=True)
    assert "ACM AILLEURS" in page and "ACM PITCHOUNET" not in page
    response = form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                               "presence": ids[0], "status": "present"},
                         page="/pointage/")
    assert response.status_code == 403
    assert _statuses(app) == {}


def test_families_cannot_open_the_pointage(app, client, login_as):
    login_as("Famille")
    assert client.get("/pointage/").status_code in (302, 403)


def test_printable_sheet_of_the_day_from_the_pointage(app, client, login_as, form_post,
                                                     tmp_path):
    import io

    import openpyxl

    from exports import jobs

    facility_id, _ids, _s, _u = _site(app)
    login_as("Agent")
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    try:
        url = f"/pointage/?facility={facility_id}&day=09/09/2026"
        response = form_post("/exports/lancer/attendance_day",
                             {"facility": facility_id, "day": "09/09/2026"}, page=url)
        token = response.location.rstrip("/").split("/")[-1]
        jobs.wait(token)
        download = client.get(f"/exports/suivi/{token}/fichier")
        wb = openpyxl.load_workbook(io.BytesIO(download.data))
        assert wb.active["A1"].value.startswith("Pointage – ACM PITCHOUNET")
    finally:
        app.config.pop("EXPORT_FOLDER")


def test_absurd_ids_and_dates_are_refused_cleanly(app, client, login_as, form_post):
    facility_id, ids, _s, _u = _site(app)
    login_as("Agent")
    huge = "9" * 30
    assert client.get(f"/pointage/?facility={huge}").status_code == 404
    page = client.get(f"/pointage/?facility={facility_id}&day=01/01/0001")
    assert page.status_code == 200
    url = f"/pointage/?facility={facility_id}&day=09/09/2026"
    response = form_post("/pointage/pointer", {"facility": facility_id, "day": "09/09/2026",
                                               "presence": huge, "status": "present"},
                         page=url, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 400
    response = form_post("/pointage/sans-reservation",
                         {"facility": facility_id, "day": "09/09/2026", "child": huge,
                          "unit": "-1"}, page=url, follow_redirects=True)
    assert "Choisissez l'enfant et le régime" in html.unescape(response.get_data(as_text=True))
    assert _statuses(app) == {}


def test_without_a_facility_chosen_the_screen_opens_where_children_are_expected(
        app, client, login_as, clock):
    clock.set(dt.datetime(2026, 9, 9, 8, 30))
    with app.app_context():
        factories.make_facility("ACM AAA VIDE")  # first by name, nobody expected
    _site(app)
    login_as("Agent")
    page = html.unescape(client.get("/pointage/").get_data(as_text=True))
    assert "Pointage — ACM PITCHOUNET" in page and "3 attendu(s)" in page
    # another day with nobody expected anywhere: the first facility by name
    page = html.unescape(client.get("/pointage/?day=10/09/2026").get_data(as_text=True))
    assert "Pointage — ACM AAA VIDE" in page
