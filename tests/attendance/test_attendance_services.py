"""Pointage services: roster, marking, lock, walk-in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.attendance import services
from app.attendance.models import Attendance
from app.bookings.models import Presence, PresenceHistory
from app.catalogue.models import StaffFacility, Unit
from app.core.errors import DomainError, Forbidden
from app.core.models import AuditLog
from app.notifications.models import OutgoingEmail
from tests import factories

DAY = dt.date(2026, 9, 9)
NOW = dt.datetime(2026, 9, 9, 8, 45)


@pytest.fixture
def site(db):
    agent = factories.make_user("Agent")
    facility = factories.make_facility("ACM PITCHOUNET")
    period = factories.make_period(facility=facility)
    household = factories.make_household()
    factories.make_user("Famille", household=household, email="parent@exemple.test")
    ana = factories.make_child(household, first_name="Ana", allergies="arachide")
    bob = factories.make_child(household, first_name="Bob", pai=True)
    eve = factories.make_child(household, first_name="Eve")
    zed = factories.make_child(household, first_name="Zed")
    p_ana = factories.make_presence(ana, period, day=DAY)
    p_bob = factories.make_presence(bob, period, day=DAY, state="cancel_requested")
    p_eve = factories.make_presence(eve, period, day=DAY, state="cancel_expired")
    factories.make_presence(zed, period, day=DAY, state="cancelled")
    factories.make_presence(zed, period, day=DAY, state="pending",
                            unit=db.session.scalar(select(Unit).where(
                                Unit.period_id == period.id, Unit.position == 1)))
    return dict(agent=agent, facility=facility, period=period, ana=ana, bob=bob, eve=eve,
                zed=zed, presences=(p_ana, p_bob, p_eve))


def test_roster_lists_children_whose_booking_holds(site):
    rows = services.roster(site["facility"].id, DAY)
    assert sorted(r.first_name for r in rows) == ["Ana", "Bob", "Eve"]
    flagged = {r.first_name: r.flagged for r in rows}
    assert flagged == {"Ana": True, "Bob": True, "Eve": False}


def test_mark_then_all_present(db, site):
    p_ana, p_bob, p_eve = site["presences"]
    facility = site["facility"].id
    assert services.mark(site["agent"], NOW, facility, DAY, {p_ana.id: "absent"}) == 1
    assert services.mark_all_present(site["agent"], NOW, facility, DAY) == 2
    statuses = dict(db.session.execute(select(Attendance.presence_id, Attendance.status)).all())
    assert statuses == {p_ana.id: "absent", p_bob.id: "present", p_eve.id: "present"}
    # marking again with the same status changes nothing
    assert services.mark(site["agent"], NOW, facility, DAY, {p_ana.id: "absent"}) == 0


def test_marking_a_child_not_expected_is_refused(db, site):
    zed_cancelled = db.session.scalar(select(Presence).where(
        Presence.child_id == site["zed"].id, Presence.state == "cancelled"))
    with pytest.raises(DomainError) as error:
        services.mark(site["agent"], NOW, site["facility"].id, DAY, {zed_cancelled.id: "present"})
    assert "n'est pas attendu" in str(error.value)
    with pytest.raises(DomainError):
        services.mark(site["agent"], NOW, site["facility"].id, DAY,
                      {site["presences"][0].id: "maybe"})
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_locked_day_needs_a_reason_and_is_audited(db, site):
    p_ana = site["presences"][0]
    facility = site["facility"].id
    services.mark(site["agent"], NOW, facility, DAY, {p_ana.id: "present"})
    services.lock_day(site["agent"], NOW, facility, DAY)
    with pytest.raises(DomainError) as error:
        services.mark(site["agent"], NOW, facility, DAY, {p_ana.id: "excused"})
    assert "verrouillé" in str(error.value)
    services.mark(site["agent"], NOW, facility, DAY, {p_ana.id: "excused"},
                  reason="Certificat médical reçu")
    entry = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "attendance.change_locked"))
    assert "Certificat médical reçu" in entry.details and '"present", "excused"' in entry.details
    with pytest.raises(DomainError):
        services.lock_day(site["agent"], NOW, facility, DAY)


def test_walk_in_creates_an_accepted_presence_marked_present(db, site):
    facility = site["facility"].id
    unit = db.session.scalar(select(Unit).where(Unit.period_id == site["period"].id,
                                                Unit.position == 0))
    assert [c.first_name for c in services.known_children(facility, "ze")] == ["Zed"]
    presence = services.add_walk_in(site["agent"], NOW, facility, DAY, site["zed"].id, unit.id)
    assert presence.state == "accepted"
    assert db.session.scalar(select(Attendance.status).where(
        Attendance.presence_id == presence.id)) == "present"
    history = db.session.scalar(select(PresenceHistory).where(
        PresenceHistory.presence_id == presence.id))
    assert history.to_state == "accepted" and "sans réservation" in history.reason
    assert "Zed" in [r.first_name for r in services.roster(facility, DAY)]
    email = db.session.scalar(select(OutgoingEmail))
    assert "sans réservation" in email.subject
    # the same again is refused
    with pytest.raises(DomainError):
        services.add_walk_in(site["agent"], NOW, facility, DAY, site["zed"].id, unit.id)


def test_walk_in_of_an_unknown_child_or_closed_day_is_refused(db, site):
    stranger = factories.make_child(factories.make_household(), first_name="Inconnu")
    unit = db.session.scalar(select(Unit).where(Unit.period_id == site["period"].id))
    with pytest.raises(DomainError):
        services.add_walk_in(site["agent"], NOW, site["facility"].id, DAY, stranger.id, unit.id)
    with pytest.raises(DomainError) as error:
        services.add_walk_in(site["agent"], NOW, site["facility"].id, dt.date(2026, 9, 10),
                             site["ana"].id, unit.id)
    assert "ouvert" in str(error.value)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_an_assigned_agent_sees_only_their_facilities(db, site):
    other = factories.make_facility("ACM AUTRE")
    agent = site["agent"]
    assert {f.name for f in services.facilities_for(agent)} >= {"ACM PITCHOUNET", "ACM AUTRE"}
    db.session.add(StaffFacility(user_id=agent.id, facility_id=site["facility"].id))
    db.session.commit()
    assert [f.name for f in services.facilities_for(agent)] == ["ACM PITCHOUNET"]
    with pytest.raises(Forbidden):
        services.check_facility(agent, other.id)


def test_walk_in_on_a_locked_day_needs_a_reason(db, site):
    facility = site["facility"].id
    unit = db.session.scalar(select(Unit).where(Unit.period_id == site["period"].id,
                                                Unit.position == 0))
    services.lock_day(site["agent"], NOW, facility, DAY)
    with pytest.raises(DomainError) as error:
        services.add_walk_in(site["agent"], NOW, facility, DAY, site["zed"].id, unit.id)
    assert "verrouillée" in str(error.value)
    services.add_walk_in(site["agent"], NOW, facility, DAY, site["zed"].id, unit.id,
                         reason="Arrivé avec sa sœur")
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "attendance.walk_in"))
    assert "Arrivé avec sa sœur" in entry.details
