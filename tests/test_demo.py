"""`flask --app run portail demo`: a fictional, coherent demo that loads twice
without duplicates."""

from __future__ import annotations

import datetime as dt
import os

from sqlalchemy import func, select

from app.bookings.models import Presence, PresenceHistory, Request
from app.catalogue import services as catalogue_services
from app.catalogue.models import Facility, OpeningDay, Period, ServiceKind, Unit
from app.content.models import News, Page
from app.billing.models import Invoice
from app.core.models import Setting
from app.families.models import Child, Document, Guardian, Household, HouseholdChild

MERCREDI_UNITS = {
    "MERCREDI JOURNEE SANS REPAS": {"matin", "après-midi"},
    "MERCREDI MATIN SANS REPAS": {"matin"},
    "MERCREDI MATIN AVEC REPAS": {"matin", "repas"},
    "MERCREDI JOURNEE AVEC REPAS": {"matin", "repas", "après-midi"},
    "MERCREDI APRES MIDI AVEC REPAS": {"repas", "après-midi"},
    "MERCREDI APRES MIDI SANS REPAS": {"après-midi"},
}
COUNTED = (Facility, ServiceKind, Period, Unit, OpeningDay, Household, Guardian, Child,
           HouseholdChild, Document, Request, Presence, PresenceHistory, Page, News, Setting,
           Invoice)


def _counts(db):
    db.session.expire_all()
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in COUNTED}


def test_demo_loads_once_and_a_second_run_adds_nothing(app, db, clock):
    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portail", "demo"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000" in result.output
    assert "agent.demo@example.org" in result.output and "demo-agent" in result.output
    first = _counts(db)
    assert first["Facility"] == 3 and first["ServiceKind"] == 7
    assert first["Household"] == 6 and first["Presence"] > 100
    # September and October are billed and issued: every invoice has its number
    invoices = db.session.execute(select(Invoice.year, Invoice.month, Invoice.number,
                                         Invoice.status)).all()
    assert {(y, m) for y, m, _n, _s in invoices} == {(2026, 9), (2026, 10)}
    assert all(n.startswith("FAC-2026-") and s == "issued" for _y, _m, n, s in invoices)

    result = runner.invoke(args=["portail", "demo"])
    assert result.exit_code == 0, result.output
    assert "déjà" in result.output
    assert _counts(db) == first


def test_demo_catalogue_follows_the_guide(ctx, db, clock):
    from app.demo.data import load_demo

    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    load_demo()
    assert db.session.scalar(select(Facility).where(Facility.name == "ACM PITCHOUNET"))
    assert {f.school_zone for f in db.session.scalars(select(Facility))} == {"C"}
    cantine = db.session.scalar(select(ServiceKind).where(ServiceKind.code == "cantine"))
    assert not cantine.allows_cancellation and cantine.billing_basis == "attended"
    assert not any(k.allows_payment for k in db.session.scalars(select(ServiceKind)))

    for level in ("MATERNELLE", "ELEMENTAIRE"):
        period = db.session.scalar(select(Period).where(
            Period.name == f"ACM MERCREDI {level} 2026-2027"))
        assert period is not None and period.weekdays == "2" and period.term_time
        assert period.booking_deadline_mode == "days_before"
        assert period.cancel_deadline_mode == "weekday_before"
        assert period.cancel_deadline_weekday == 3
        units = {u.name: {s.name for s in u.slots} for u in period.units}
        assert units == MERCREDI_UNITS
        assert all(len(u.tariffs) >= 3 for u in period.units)

    canteen = db.session.scalar(select(Period).where(Period.name.like("CANTINE%")))
    assert canteen.requires_school_info and not canteen.requires_validation
    sejour = db.session.scalar(select(Period).where(Period.name.like("SÉJOUR%")))
    assert sejour.whole_booking and (sejour.end_date - sejour.start_date).days == 4
    assert sejour.slots[0].capacity == 12

    for period in db.session.scalars(select(Period)):
        days = catalogue_services.opening_dates(period.id)
        assert days, period.name
        zone = period.reception.facility.school_zone
        for day in days:
            assert not catalogue_services.is_public_holiday(day), (period.name, day)
            if period.term_time:
                assert not catalogue_services.is_school_holiday(day, zone), (period.name, day)
            assert str(day.weekday()) in period.weekdays.split(",")


def test_demo_families_bookings_and_documents_are_coherent(app, ctx, db, clock):
    from app.demo.data import load_demo
    from app.demo.fiction import PASSWORDS

    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    result = load_demo()
    statuses = dict(db.session.execute(
        select(Household.status, func.count()).group_by(Household.status)).all())
    assert statuses == {"draft": 1, "submitted": 1, "validated": 4}
    states = set(db.session.scalars(select(Presence.state).distinct()))
    assert {"pending", "accepted", "refused", "cancel_requested", "cancelled",
            "waitlisted"} <= states
    # a child shared by two households (separated parents)
    shared = db.session.scalar(select(HouseholdChild.child_id).group_by(
        HouseholdChild.child_id).having(func.count() == 2))
    assert shared is not None
    # validated households: quotient familial, accepted documents on disk
    for household in db.session.scalars(select(Household).where(Household.status == "validated")):
        assert household.quotient_familial and household.qf_checked
        states = {d.state for d in db.session.scalars(select(Document).where(
            Document.household_id == household.id))}
        assert "accepted" in states
    for document in db.session.scalars(select(Document)):
        path = os.path.join(app.config["UPLOAD_FOLDER"], document.stored_name)
        with open(path, "rb") as handle:
            content = handle.read()
        assert content.startswith(b"%PDF") and len(content) == document.size
    # children booked at the canteen have school info
    canteen = db.session.scalar(select(Period).where(Period.name.like("CANTINE%")))
    for child_id in db.session.scalars(select(Presence.child_id).where(
            Presence.period_id == canteen.id).distinct()):
        assert db.session.get(Child, child_id).school_infos
    # at most one presence holding a place per child, unit and day
    duplicates = db.session.execute(
        select(Presence.child_id, Presence.unit_id, Presence.date).where(
            Presence.state.in_(("pending", "accepted", "cancel_requested")))
        .group_by(Presence.child_id, Presence.unit_id, Presence.date)
        .having(func.count() > 1)).all()
    assert duplicates == []
    # every printed login works with its printed password; nothing real in them
    sm = app.appbuilder.sm
    assert {login.role for login in result.logins} == {"Admin", "Agent", "Comptable", "Famille"}
    for login in result.logins:
        assert login.login.endswith("@example.org")
        assert login.password == PASSWORDS[login.role]
        user = sm.auth_user_db(login.login, login.password)
        assert user, login.login
        assert login.role in {r.name for r in user.roles}
    assert sm.auth_user_db(result.logins[0].login, "wrong password") is None
    # pointage of the past days, yesterday left for the agents
    from app.attendance.models import Attendance

    marks = dict(db.session.execute(select(Attendance.status, func.count()).group_by(
        Attendance.status)).all())
    assert marks.get("present", 0) > 50 and "absent" in marks
    assert db.session.scalar(select(func.max(Presence.date)).join(
        Attendance, Attendance.presence_id == Presence.id)) < dt.date(2026, 11, 25)
    settings = {s.key: s.value for s in db.session.scalars(select(Setting))}
    assert settings["service_name"] == "Service Enfance et Jeunesse"
    assert settings["service_phone"].startswith("01 02")
    assert db.session.scalar(select(func.count(News.id))) == 3
    assert db.session.scalar(select(Page).where(Page.section == "menus")) is not None
    for guardian in db.session.scalars(select(Guardian)):
        assert guardian.email.endswith("@example.org")
        assert guardian.mobile_phone.startswith("06 01 02")
