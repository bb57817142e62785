"""Catalogue set-up screens: Admin edits, Agent reads, bad input writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.bookings.models import Presence, Request
from app.catalogue.models import (
    OpeningDay,
    Period,
    Reception,
    Slot,
    SlotDay,
    StaffFacility,
    Tariff,
    Unit,
    UnitSlot,
)
from tests import factories


def _reception(db):
    facility = factories.make_facility("ACM PITCHOUNET")
    kind = factories.make_service_kind()
    reception = Reception(facility_id=facility.id, service_kind_id=kind.id, name="MERCREDIS")
    db.session.add(reception)
    db.session.commit()
    return reception


def _period_form(reception_id, **overrides):
    data = {
        "reception": str(reception_id), "name": "ACM MERCREDI TEST 2026-2027",
        "description": "", "start_date": "09/11/2026", "end_date": "13/11/2026",
        "weekdays": ["0", "1", "2", "3", "4"], "min_age": "3", "max_age": "11",
        "school_levels": ["PS", "MS", "GS"], "booking_opens_at": "01/09/2026 09:00",
        "booking_deadline_mode": "days_before", "booking_deadline_days": "2",
        "booking_deadline_weekday": "0", "booking_deadline_weeks": "1",
        "booking_deadline_time": "12:00",
        "cancel_deadline_mode": "weekday_before", "cancel_deadline_days": "0",
        "cancel_deadline_weekday": "3", "cancel_deadline_weeks": "1",
        "cancel_deadline_time": "12:00",
        "requires_validation": "y", "waitlist_enabled": "y", "requires_documents": "y",
        "published": "y",
    }
    data.update(overrides)
    return data


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_admin_creates_a_period_and_generates_its_days(db, client, login_as, form_post, clock):
    reception = _reception(db)
    login_as("Admin")
    response = form_post("/catalogueperiodview/add", _period_form(reception.id),
                         follow_redirects=True)
    assert response.status_code == 200
    period = db.session.scalar(select(Period).where(Period.name == "ACM MERCREDI TEST 2026-2027"))
    assert period is not None
    assert period.start_date == dt.date(2026, 11, 9) and period.end_date == dt.date(2026, 11, 13)
    assert period.weekdays == "0,1,2,3,4"
    assert period.school_levels == "PS,MS,GS"
    assert period.booking_deadline_mode == "days_before" and period.booking_deadline_days == 2
    assert period.booking_deadline_time == dt.time(12, 0)
    assert period.cancel_deadline_mode == "weekday_before"
    assert period.cancel_deadline_weekday == 3
    assert period.booking_opens_at == dt.datetime(2026, 9, 1, 9, 0)
    db.session.add(Slot(period_id=period.id, name="matin", capacity=10))
    db.session.commit()

    response = form_post(f"/catalogueperiodview/action/generate_days/{period.id}", {},
                         page=f"/catalogueperiodview/show/{period.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 jour(s) d&#39;ouverture ajouté(s)" in page or "4 jour(s) d'ouverture ajouté(s)" in page
    days = db.session.scalars(select(OpeningDay.date).where(
        OpeningDay.period_id == period.id).order_by(OpeningDay.date)).all()
    assert dt.date(2026, 11, 11) not in days  # 11 novembre
    assert len(days) == 4
    assert _count(db, SlotDay) == 4
    # the show page lists the period's rules in French
    page = client.get(f"/catalogueperiodview/show/{period.id}").get_data(as_text=True)
    assert "Générer les jours d&#39;ouverture" in page or "Générer les jours d'ouverture" in page


def test_a_bad_date_is_refused_in_french_and_nothing_is_written(db, client, login_as,
                                                                form_post):
    reception = _reception(db)
    login_as("Admin")
    response = form_post("/catalogueperiodview/add",
                         _period_form(reception.id, end_date="30/02/2027"))
    page = response.get_data(as_text=True)
    assert "Date non valide" in page
    assert _count(db, Period) == 0

    response = form_post("/catalogueperiodview/add",
                         _period_form(reception.id, start_date="13/11/2026",
                                      end_date="09/11/2026"))
    page = response.get_data(as_text=True)
    assert "La date de fin doit être le même jour ou après la date de début." in page
    assert _count(db, Period) == 0

    response = form_post("/catalogueperiodview/add",
                         _period_form(reception.id, booking_deadline_time="25:99"))
    assert "Heure non valide" in response.get_data(as_text=True)
    assert _count(db, Period) == 0


def test_an_agent_reads_but_cannot_edit_a_period(db, client, login_as):
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027")
    login_as("Agent")
    assert client.get("/catalogueperiodview/list/").status_code == 200
    assert client.get(f"/catalogueperiodview/show/{period.id}").status_code == 200
    assert client.get(f"/catalogueperiodview/edit/{period.id}").status_code == 403
    response = client.post(f"/catalogueperiodview/edit/{period.id}", data={"name": "X"})
    assert response.status_code in (400, 403)
    db.session.expire_all()
    assert db.session.get(Period, period.id).name == "ACM MERCREDI MATERNELLE 2026-2027"
    assert client.get("/catalogueperiodview/add").status_code == 403


def test_a_tariff_typed_in_euros_is_stored_in_cents(db, client, login_as, form_post):
    period = factories.make_period()
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
    db.session.query(Tariff).filter(Tariff.unit_id == unit.id).delete()
    db.session.commit()
    login_as("Admin")
    form_post("/catalogue" "tariffview/add",
              {"unit": str(unit.id), "qf_min": "0", "qf_max": "600", "price_cents": "3,45"},
              follow_redirects=True)
    tariff = db.session.scalar(select(Tariff).where(Tariff.unit_id == unit.id))
    assert tariff is not None and tariff.price_cents == 345 and tariff.qf_max == 600
    page = client.get("/cataloguetariffview/list/").get_data(as_text=True)
    assert "3,45" in page

    # an overlapping bracket is refused in French, nothing written
    response = form_post("/cataloguetariffview/add",
                         {"unit": str(unit.id), "qf_min": "500", "qf_max": "900",
                          "price_cents": "4,00"}, follow_redirects=True)
    assert "chevauche" in response.get_data(as_text=True)
    assert _count(db, Tariff) == db.session.scalar(select(func.count(Tariff.id)))
    assert db.session.scalar(select(func.count(Tariff.id)).where(Tariff.unit_id == unit.id)) == 1

    # a price that is not an amount
    response = form_post("/cataloguetariffview/add",
                         {"unit": str(unit.id), "qf_min": "601", "qf_max": "",
                          "price_cents": "trois euros"})
    assert "Montant non valide" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Tariff.id)).where(Tariff.unit_id == unit.id)) == 1


def test_a_unit_cannot_take_a_slot_of_another_period(db, client, login_as, form_post):
    first = factories.make_period(name="PERIODE A")
    second = factories.make_period(name="PERIODE B")
    foreign_slot = db.session.scalar(select(Slot).where(Slot.period_id == second.id))
    own_slot = db.session.scalar(select(Slot).where(Slot.period_id == first.id))
    units_before = _count(db, Unit)
    links_before = _count(db, UnitSlot)
    login_as("Admin")
    response = form_post("/catalogueunitview/add", {
        "period": str(first.id), "name": "MERCREDI APRES MIDI SANS REPAS",
        "colour": "#39cccc", "start_time": "13:30", "end_time": "17:30",
        "slot_list": [str(foreign_slot.id)], "position": "3"}, follow_redirects=True)
    assert "appartient à une autre période" in response.get_data(as_text=True)
    assert _count(db, Unit) == units_before
    assert _count(db, UnitSlot) == links_before

    response = form_post("/catalogueunitview/add", {
        "period": str(first.id), "name": "MERCREDI APRES MIDI SANS REPAS",
        "colour": "#39cccc", "start_time": "13:30", "end_time": "17:30",
        "slot_list": [str(own_slot.id)], "position": "3"}, follow_redirects=True)
    unit = db.session.scalar(select(Unit).where(Unit.name == "MERCREDI APRES MIDI SANS REPAS"))
    assert unit is not None and [s.id for s in unit.slots] == [own_slot.id]
    assert unit.start_time == dt.time(13, 30)


def test_the_database_refuses_a_foreign_slot_too(db):
    """The composite foreign key (unit, period) / (slot, period) is the last guard:
    its IntegrityError comes out as a French message and nothing is written."""
    from types import SimpleNamespace

    from app.catalogue import services
    from app.core.errors import DomainError

    first = factories.make_period(name="PERIODE A")
    second = factories.make_period(name="PERIODE B")
    unit = db.session.scalar(select(Unit).where(Unit.period_id == first.id))
    foreign_slot = db.session.scalar(select(Slot).where(Slot.period_id == second.id))
    links_before = _count(db, UnitSlot)
    with pytest.raises(DomainError) as error:
        services.set_unit_slots(unit, [foreign_slot])
    assert "autre période" in str(error.value)
    # a slot that claims the right period but is not: the database refuses it
    disguised = SimpleNamespace(id=foreign_slot.id, period_id=first.id, name="intrus")
    with pytest.raises(DomainError) as error:
        services.set_unit_slots(unit, [disguised])
    assert "n'ont pas pu être données au régime" in str(error.value)
    db.session.rollback()
    assert _count(db, UnitSlot) == links_before


def test_an_opening_day_holding_places_cannot_be_removed(db, client, login_as, form_post):
    period = factories.make_period(start=dt.date(2026, 11, 16), end=dt.date(2026, 11, 20),
                                   weekdays="0,1,2,3,4")
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
    household = factories.make_household()
    child = factories.make_child(household)
    day = db.session.scalar(select(OpeningDay).where(
        OpeningDay.period_id == period.id, OpeningDay.date == dt.date(2026, 11, 18)))
    free_day = db.session.scalar(select(OpeningDay).where(
        OpeningDay.period_id == period.id, OpeningDay.date == dt.date(2026, 11, 19)))
    request = Request(household_id=household.id, child_id=child.id, period_id=period.id)
    db.session.add(request)
    db.session.flush()
    db.session.add(Presence(request_id=request.id, household_id=household.id,
                            child_id=child.id, period_id=period.id, unit_id=unit.id,
                            date=day.date, state="accepted"))
    db.session.commit()
    day_id, free_id = day.id, free_day.id
    login_as("Admin")
    response = form_post(f"/catalogueopeningdayview/delete/{day_id}", {},
                         page="/catalogueopeningdayview/list/", follow_redirects=True)
    assert "ne peut pas être retiré" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OpeningDay, day_id) is not None

    form_post(f"/catalogueopeningdayview/delete/{free_id}", {},
              page="/catalogueopeningdayview/list/", follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(OpeningDay, free_id) is None
    assert db.session.scalar(select(func.count(SlotDay.id)).where(
        SlotDay.date == dt.date(2026, 11, 19))) == 0

    # add a day back, with its slot days; a day outside the period is refused
    form_post("/catalogueopeningdayview/add",
              {"period": str(period.id), "date": "19/11/2026"}, follow_redirects=True)
    assert db.session.scalar(select(func.count(OpeningDay.id)).where(
        OpeningDay.period_id == period.id, OpeningDay.date == dt.date(2026, 11, 19))) == 1
    assert db.session.scalar(select(func.count(SlotDay.id)).where(
        SlotDay.date == dt.date(2026, 11, 19))) > 0
    response = form_post("/catalogueopeningdayview/add",
                         {"period": str(period.id), "date": "30/11/2026"},
                         follow_redirects=True)
    assert "en dehors des dates de la période" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OpeningDay.id)).where(
        OpeningDay.date == dt.date(2026, 11, 30))) == 0


def test_admin_assigns_agents_to_facilities_and_agents_only_read(app, db, client, login_as,
                                                                 form_post):
    facility = factories.make_facility("ACM PITCHOUNET")
    other = factories.make_facility("ACM LES P'TITS LOUPS")
    agent = factories.make_user("Agent", first_name="Sacha", last_name="Delmotte")
    agent_id = agent.id
    login_as("Admin")
    page = client.get("/catalogue/agents/").get_data(as_text=True)
    assert "Établissements des agents" in page and "DELMOTTE" in page
    form_post(f"/catalogue/agents/{agent_id}", {"facility_id": [str(facility.id)]},
              page="/catalogue/agents/", follow_redirects=True)
    assert db.session.scalars(select(StaffFacility.facility_id).where(
        StaffFacility.user_id == agent_id)).all() == [facility.id]
    response = form_post(f"/catalogue/agents/{agent_id}", {"facility_id": ["999999"]},
                         page="/catalogue/agents/", follow_redirects=True)
    assert "Établissement inconnu" in response.get_data(as_text=True)
    assert other.id not in db.session.scalars(select(StaffFacility.facility_id)).all()

    login_as("Agent")
    assert client.get("/catalogue/agents/").status_code == 200
    response = client.post(f"/catalogue/agents/{agent_id}", data={"facility_id": []})
    assert response.status_code in (400, 403)
    assert db.session.scalars(select(StaffFacility.facility_id).where(
        StaffFacility.user_id == agent_id)).all() == [facility.id]


def test_catalogue_lists_open_for_admin(db, client, login_as):
    factories.make_period()
    login_as("Admin")
    for url in ("/cataloguefacilityview/list/", "/catalogueservicekindview/list/",
                "/cataloguereceptionview/list/", "/catalogueperiodview/list/",
                "/catalogueslotview/list/", "/catalogueunitview/list/",
                "/cataloguetariffview/list/", "/catalogueopeningdayview/list/",
                "/catalogueperiodview/add", "/catalogueunitview/add",
                "/cataloguetariffview/add", "/catalogueopeningdayview/add",
                "/catalogueslotview/add", "/cataloguefacilityview/add",
                "/catalogueservicekindview/add", "/cataloguereceptionview/add"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["Agent", "Comptable"])
def test_agents_and_accountants_read_without_the_generate_action(db, client, login_as,
                                                                 form_post, role):
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                   start=dt.date(2026, 11, 9), end=dt.date(2026, 11, 13),
                                   weekdays="0,1,2,3,4")
    db.session.query(OpeningDay).filter(OpeningDay.period_id == period.id).delete()
    db.session.commit()
    login_as(role)
    response = client.get(f"/catalogueperiodview/show/{period.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "ACM MERCREDI MATERNELLE 2026-2027" in page
    assert "Générer les jours" not in page
    response = form_post(f"/catalogueperiodview/action/generate_days/{period.id}", {},
                         page=f"/catalogueperiodview/show/{period.id}")
    assert response.status_code in (302, 403)
    assert _count(db, OpeningDay) == 0
    assert client.get("/cataloguetariffview/list/").status_code == 200
    expected = 200 if role == "Agent" else 403
    assert client.get("/cataloguefacilityview/list/").status_code == expected


def test_a_period_with_bookings_cannot_be_deleted(db, client, login_as, form_post):
    period = factories.make_period()
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
    household = factories.make_household()
    child = factories.make_child(household)
    request = Request(household_id=household.id, child_id=child.id, period_id=period.id)
    db.session.add(request)
    db.session.flush()
    db.session.add(Presence(request_id=request.id, household_id=household.id,
                            child_id=child.id, period_id=period.id, unit_id=unit.id,
                            date=period.start_date, state="refused"))
    db.session.commit()
    period_id = period.id
    login_as("Admin")
    response = form_post(f"/catalogueperiodview/delete/{period_id}", {},
                         page="/catalogueperiodview/list/", follow_redirects=True)
    assert "Suppression impossible" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Period, period_id) is not None


def test_inactive_facilities_are_not_offered_for_new_receptions(db, client, login_as):
    factories.make_facility("ACM OUVERTE")
    factories.make_facility("ACM FERMEE", active=False)
    login_as("Admin")
    page = client.get("/cataloguereceptionview/add").get_data(as_text=True)
    assert "ACM OUVERTE" in page and "ACM FERMEE" not in page


def test_catalogue_screens_serve_no_uploaded_file(app, db, client, login_as):
    import os

    with open(os.path.join(app.config["UPLOAD_FOLDER"], "secret.pdf"), "wb") as handle:
        handle.write(b"%PDF-1.4 private")
    login_as("Admin")
    response = client.get("/catalogueperiodview/download/secret.pdf")
    assert response.status_code in (403, 404)


def test_shortening_a_period_removes_its_days_unless_they_hold_places(db, client, login_as,
                                                                       form_post):
    from sqlalchemy import update

    reception = _reception(db)
    login_as("Admin")
    form_post("/catalogueperiodview/add", _period_form(reception.id, start_date="16/11/2026",
                                                       end_date="27/11/2026"))
    period = db.session.scalar(select(Period))
    db.session.add(Slot(period_id=period.id, name="matin", capacity=10))
    db.session.commit()
    form_post(f"/catalogueperiodview/action/generate_days/{period.id}", {},
              page=f"/catalogueperiodview/show/{period.id}")
    assert _count(db, OpeningDay) == 10
    unit = Unit(period_id=period.id, name="MATIN", colour="#3c8dbc")
    household = factories.make_household()
    child = factories.make_child(household)
    db.session.add(unit)
    db.session.flush()
    request = Request(household_id=household.id, child_id=child.id, period_id=period.id)
    db.session.add(request)
    db.session.flush()
    presence = Presence(request_id=request.id, household_id=household.id, child_id=child.id,
                        period_id=period.id, unit_id=unit.id, date=dt.date(2026, 11, 26),
                        state="pending")
    db.session.add(presence)
    db.session.commit()
    presence_id = presence.id

    data = _period_form(reception.id, start_date="16/11/2026", end_date="20/11/2026")
    response = form_post(f"/catalogueperiodview/edit/{period.id}", data,
                         follow_redirects=True)
    assert "occupent encore des places" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Period, period.id).end_date == dt.date(2026, 11, 27)
    assert _count(db, OpeningDay) == 10

    db.session.execute(update(Presence).where(Presence.id == presence_id)
                       .values(state="refused"))
    db.session.commit()
    response = form_post(f"/catalogueperiodview/edit/{period.id}", data,
                         follow_redirects=True)
    assert "5 jour(s) d&#39;ouverture" in response.get_data(as_text=True) or \
        "5 jour(s) d'ouverture" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Period, period.id).end_date == dt.date(2026, 11, 20)
    assert _count(db, OpeningDay) == 5 and _count(db, SlotDay) == 5
