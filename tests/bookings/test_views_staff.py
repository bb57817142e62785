"""Agents' queues: pending requests and cancellation requests, bulk accept /
refuse with a reason, facility scope; occupancy; who may open them."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from app.bookings.models import Presence
from app.catalogue.models import StaffFacility
from tests import factories
from tests.bookings.conftest import NOW, WED, WED2, journee, make_family, outbox
from tests.conftest import csrf_token_from, login

QUEUE = "/agents/reservations/demandes/"
CANCELS = "/agents/reservations/annulations/"
OCCUPANCY = "/agents/reservations/occupation/"


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _book(family, period, days):
    from app.bookings import services

    return services.book(family.user, NOW, family.household, family.child, period,
                         [(d, journee(period).id) for d in days])


def _act(client, url, ids, action, reason="", page=None):
    token = csrf_token_from(_text(client.get(page or url)))
    return client.post(url + "action", data={"csrf_token": token, "presence_ids": ids,
                                             "action": action, "reason": reason},
                       follow_redirects=True)


def test_agent_bulk_accepts_and_the_family_is_emailed(db, client, now, family, agent, period):
    result = _book(family, period, [WED, WED2])
    ids = [p.id for p in result.pending]
    login(client, agent)
    page = _text(client.get(QUEUE))
    assert "Demandes en attente" in page and "Paul ESSAI" in page
    assert "mercredi 9 septembre 2026" in page and "Places restantes" in page
    assert '<td class="pf-places">19</td>' in page
    before = len(outbox())
    page = _text(_act(client, QUEUE, ids, "accept"))
    assert "2 demande(s) acceptée(s)" in page
    db.session.expire_all()
    assert {db.session.get(Presence, i).state for i in ids} == {"accepted"}
    assert len(outbox()) > before
    assert "Rien à traiter." in _text(client.get(QUEUE))


def test_refusal_needs_a_reason(db, client, now, family, agent, period):
    result = _book(family, period, [WED])
    presence_id = result.pending[0].id
    login(client, agent)
    page = _text(_act(client, QUEUE, [presence_id], "refuse"))
    assert "Veuillez indiquer à la famille le motif du refus." in page
    db.session.expire_all()
    assert db.session.get(Presence, presence_id).state == "pending"
    _act(client, QUEUE, [presence_id], "refuse", reason="Groupe complet ce jour-là")
    db.session.expire_all()
    presence = db.session.get(Presence, presence_id)
    assert presence.state == "refused" and presence.reason == "Groupe complet ce jour-là"


def test_filters_by_facility_period_day_and_child(db, client, now, agent, period):
    one = make_family(first_name="Aline", child_name="Zoé")
    two = make_family(first_name="Bruno", child_name="Hugo")
    _book(one, period, [WED])
    _book(two, period, [WED2])
    login(client, agent)
    page = _text(client.get(QUEUE + "?enfant=zoé"))
    assert "Zoé ESSAI" in page and "Hugo ESSAI" not in page
    page = _text(client.get(QUEUE + f"?jour={WED2.isoformat()}"))
    assert "Hugo ESSAI" in page and "Zoé ESSAI" not in page
    page = _text(client.get(QUEUE + f"?periode={period.id}&etablissement="
                            f"{period.reception.facility_id}"))
    assert "Hugo ESSAI" in page and "Zoé ESSAI" in page
    assert client.get(QUEUE + "?jour=pas-une-date").status_code == 200


def test_agent_assigned_to_facilities_sees_and_acts_on_those_only(db, client, now, family,
                                                                  agent, period):
    other_period = factories.make_period(name="AUTRE ACM", facility=factories.make_facility(
        "ACM LOINTAIN"), requires_documents=False)
    mine = _book(family, period, [WED]).pending[0]
    other = make_family(first_name="Dominique", child_name="Lina")
    theirs = _book(other, other_period, [WED]).pending[0]
    db.session.add(StaffFacility(user_id=agent.id, facility_id=period.reception.facility_id))
    db.session.commit()
    login(client, agent)
    page = _text(client.get(QUEUE))
    assert "Paul ESSAI" in page and "Lina ESSAI" not in page and "ACM LOINTAIN" not in page
    _act(client, QUEUE, [mine.id, theirs.id], "accept")
    db.session.expire_all()
    assert db.session.get(Presence, mine.id).state == "accepted"
    assert db.session.get(Presence, theirs.id).state == "pending"
    assert client.get(OCCUPANCY + f"?periode={other_period.id}").status_code == 404


def test_cancellation_queue_accepts_and_refuses(db, client, now, family, agent, period):
    from app.bookings import services

    a = factories.make_presence(family.child, period=period, unit=journee(period), day=WED2,
                                state="accepted", household=family.household)
    b = factories.make_presence(family.child, period=period, unit=journee(period),
                                day=WED2.replace(day=23), state="accepted",
                                household=family.household)
    services.ask_cancellation(family.user, NOW, [db.session.get(Presence, a.id),
                                                 db.session.get(Presence, b.id)])
    login(client, agent)
    page = _text(client.get(CANCELS))
    assert "Demandes d'annulation" in page and "mercredi 16 septembre 2026" in page
    _act(client, CANCELS, [a.id], "accept")
    _act(client, CANCELS, [b.id], "refuse", reason="Délai dépassé")
    db.session.expire_all()
    assert db.session.get(Presence, a.id).state == "cancelled"
    assert db.session.get(Presence, b.id).state == "accepted"


def test_occupancy_shows_places_and_waiting_list(db, client, now, family, agent, db_period=None):
    from tests.bookings.conftest import fill, set_capacity

    period = factories.make_period(name="PETIT ACM", requires_documents=False, capacity=1)
    fill(period, WED, 1)
    set_capacity(period, 1)
    _book(family, period, [WED])
    login(client, agent)
    page = _text(client.get(OCCUPANCY + f"?periode={period.id}&mois=2026-09"))
    assert "Occupation" in page and "Septembre 2026" in page
    assert "mercredi 9 septembre 2026" in page
    assert "1 / 1" in page and "Liste d'attente" in page and "1. Paul ESSAI" in page


@pytest.mark.parametrize("role", ["Famille", "Comptable"])
def test_family_and_accountant_cannot_open_the_staff_queues(db, client, login_as, role):
    login_as(role)
    for url in (QUEUE, CANCELS, OCCUPANCY):
        response = client.get(url)
        assert response.status_code == 403, (url, response.status_code)
    response = client.post(QUEUE + "action", data={"presence_ids": [1], "action": "accept"})
    assert response.status_code in (400, 403)


def test_agent_cannot_open_family_screens(db, client, agent):
    login(client, agent)
    assert client.get("/compte/planning/").status_code == 403
    assert client.get("/compte/reservations/nouvelle").status_code == 403
