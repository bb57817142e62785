"""Tableau de bord: what waits for the agents, limited to their facilities,
and where staff land after logging in."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from app.catalogue.models import StaffFacility
from app.notifications.models import OutgoingEmail
from tests import factories
from tests.conftest import csrf_token_from

TODAY = dt.date(2026, 9, 9)  # a Wednesday
NOW = dt.datetime(2026, 9, 9, 8, 30)


def _text(response) -> str:
    html = response.get_data(as_text=True).replace("&#39;", "'")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _card(text: str, label: str) -> str:
    """The number shown under a card's title."""
    match = re.search(re.escape(label) + r" (\d+)", text)
    assert match, label
    return match.group(1)


@pytest.fixture
def desk(db, clock):
    clock.set(NOW)
    pitchounet = factories.make_facility("ACM PITCHOUNET")
    loups = factories.make_facility("ACM LES P'TITS LOUPS")
    here = factories.make_period(facility=pitchounet)
    there = factories.make_period(facility=loups)
    family = factories.make_household()
    factories.make_user("Famille", household=family)
    ana = factories.make_child(family, first_name="Ana")
    bob = factories.make_child(family, first_name="Bob")
    # today at PITCHOUNET: two expected, one already marked
    factories.make_presence(ana, here, day=TODAY, attendance="present")
    factories.make_presence(bob, here, day=TODAY, state="cancel_expired")
    # waiting for the agents
    factories.make_presence(ana, here, day=dt.date(2026, 9, 23), state="pending")
    factories.make_presence(bob, here, day=dt.date(2026, 9, 16), state="pending")
    factories.make_presence(ana, here, day=dt.date(2026, 9, 30), state="cancel_requested")
    factories.make_presence(bob, here, day=dt.date(2026, 9, 30), state="waitlisted")
    factories.make_presence(ana, there, day=dt.date(2026, 9, 16), state="pending")
    # a request of a day already passed still waits (until "portail expire")
    factories.make_presence(bob, here, day=dt.date(2026, 9, 2), state="pending")
    submitted = factories.make_household(status="submitted")
    factories.make_user("Famille", household=submitted)
    db.session.add(OutgoingEmail(to_address="x@exemple.test", subject="s", body_text="b",
                                 status="failed"))
    db.session.commit()
    return dict(pitchounet=pitchounet, loups=loups)


def test_the_dashboard_counts_what_waits(client, login_as, desk):
    login_as("Agent")
    response = client.get("/agents/")
    assert response.status_code == 200
    text = _text(response)
    assert "Tableau de bord Mercredi 9 septembre 2026" in text
    assert _card(text, "Dossiers famille en attente de validation") == "1"
    assert _card(text, "Jours de réservation en attente de traitement") == "4"
    assert "Premier jour concerné : mercredi 2 septembre 2026" in text
    assert _card(text, "Demandes d'annulation en attente de réponse") == "1"
    assert _card(text, "Jours en liste d'attente") == "1"
    assert _card(text, "E-mails non envoyés (nouvel essai prévu)") == "1"
    # today's attendance: PITCHOUNET only (nobody expected at LES P'TITS LOUPS)
    assert "ACM PITCHOUNET 2 1 Enfants restant à pointer : 1 Pointer" in text
    assert "P'TITS LOUPS 0" not in text
    assert 'href="/pointage/?facility=%d&amp;day=2026-09-09"' % desk["pitchounet"].id \
        in response.get_data(as_text=True)


def _dashboard_of(role, client, db, login_as, facility) -> str:
    """The dashboard's text for a new ``role`` user assigned to ``facility``."""
    user = login_as(role)
    db.session.add(StaffFacility(user_id=user.id, facility_id=facility.id))
    db.session.commit()
    return _text(client.get("/agents/"))


def test_an_agent_assigned_to_one_facility_counts_only_its_days(client, db, login_as, desk):
    text = _dashboard_of("Agent", client, db, login_as, desk["loups"])
    assert _card(text, "Jours de réservation en attente de traitement") == "1"
    assert _card(text, "Demandes d'annulation en attente de réponse") == "0"
    assert "Aucun enfant n'est attendu aujourd'hui dans vos établissements." in text


def test_an_empty_desk_says_nothing_waits(client, login_as, clock):
    clock.set(NOW)
    login_as("Agent")
    text = _text(client.get("/agents/"))
    assert "Rien en attente : tous les dossiers, demandes et e-mails ont été traités." in text


@pytest.mark.parametrize("role, status", [("Famille", 403), ("Comptable", 403)])
def test_families_and_accountants_do_not_open_it(client, login_as, role, status):
    login_as(role)
    assert client.get("/agents/").status_code == status


def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get("/agents/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role, home", [("Agent", "/agents/"), ("Admin", "/agents/"),
                                        ("Comptable", "/facturation/"),
                                        ("Famille", "/compte/")])
def test_each_role_lands_on_its_own_home_after_logging_in(app, client, role, home):
    with app.app_context():
        user = factories.make_user(role)
        username = user.username
    token = csrf_token_from(client.get("/login/").get_data(as_text=True))
    response = client.post("/login/", data={"username": username,
                                            "password": factories.PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(home)


def test_an_admin_sees_every_facility_even_with_one_assigned(client, db, login_as, desk):
    text = _dashboard_of("Admin", client, db, login_as, desk["loups"])
    assert _card(text, "Jours de réservation en attente de traitement") == "4"
    assert "ACM PITCHOUNET 2 1" in text
    # the queue and the pointage agree with the dashboard
    queue = _text(client.get("/agents/reservations/demandes/"))
    assert re.search(r"\b\d+ demandes", queue).group(0) == "4 demandes"
    assert "Pointage — ACM PITCHOUNET" in _text(client.get("/pointage/"))
