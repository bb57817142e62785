"""Mon planning, history, presence details, withdrawal and cancellation screens."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from app.bookings.models import Presence, Request
from app.core.states import HouseholdStatus
from tests import factories
from tests.bookings.conftest import NOW, WED, WED2, WED3, journee, make_family, matin, outbox
from tests.conftest import csrf_token_from, login

PLANNING = "/compte/planning/"


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


def _login(client, family):
    login(client, family.user)


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def test_not_validated_household_sees_a_french_message_and_a_link_back(db, client, now):
    fam = make_family(status=HouseholdStatus.SUBMITTED.value)
    _login(client, fam)
    page = _text(client.get(PLANNING))
    assert "n'a pas encore été validé" in page
    assert 'href="/compte/"' in page
    assert "Légende" not in page
    # the wizard is closed too
    assert "n'a pas encore été validé" in _text(client.get("/compte/reservations/nouvelle"))


def test_month_page_shows_bars_colours_legend_filters(db, client, now, family, period):
    factories.make_presence(family.child, period=period, unit=journee(period), day=WED,
                            state="accepted", household=family.household)
    factories.make_presence(family.child, period=period, unit=matin(period), day=WED2,
                            state="pending", household=family.household)
    factories.make_presence(family.child, period=period, unit=matin(period), day=WED3,
                            state="refused", household=family.household)
    _login(client, family)
    response = client.get(PLANNING + "?mois=2026-09")
    page = _text(response)
    assert response.status_code == 200
    assert "Accueil" in page and "Mon compte" in page and "Mon planning" in page
    assert "Septembre 2026" in page
    # Monday first, the leading days of August greyed
    heads = [re.sub(r"<[^>]+>", " ", cell).split()[0]
             for cell in re.findall(r'<th scope="col">(.*?)</th>', page)]
    assert heads[:7] == ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche"]
    assert 'class="pf-day pf-outside" data-date="2026-08-31"' in page
    assert page.count('<td class="pf-day') == 42
    # bars in the unit's colour with their state icon and a text alternative
    assert "border-left-color: #e67e22" in page and "border-left-color: #3498db" in page
    assert "fa-circle-check" in page and "fa-hourglass-half" in page
    assert "Présence acceptée" in page and "Présence en attente de traitement" in page
    # refused days hidden by default
    assert "pf-state-refused" not in page
    # legend and filters, word for word
    for label in ("Légende", "Icônes d'état :", "Présence en attente de traitement",
                  "Demande d'annulation", "Présence annulée", "Présence refusée",
                  "Présence acceptée", "Expirée", "Demande d'annulation expirée",
                  "Réservation liée à un autre compte", "Options d'affichage",
                  "Afficher les annulations et refus",
                  "Afficher les réservations liées à d'autre compte",
                  "Voir les réservations des usagers :", "Paul ESSAI", "</i> Ajouter<",
                  "Historique"):
        assert label in page, label
    # the filter shows refusals
    page = _text(client.get(PLANNING + "?mois=2026-09&filtre=1&annulations=1&usager=%d"
                            % family.child.id))
    assert "pf-state-refused" in page
    # unticking the child hides its bars
    page = _text(client.get(PLANNING + "?mois=2026-09&filtre=1"))
    assert "pf-bar" not in page


def test_previous_and_next_month_links(db, client, now, family, period):
    _login(client, family)
    page = _text(client.get(PLANNING + "?mois=2026-01"))
    assert "Janvier 2026" in page
    assert "mois=2025-12" in page and "mois=2026-02" in page


def test_shared_child_shows_other_accounts_booking_without_its_link(db, client, now, family,
                                                                    period):
    other = make_family(first_name="Dominique", child_name="Autre")
    factories.link_child(other.household, family.child)
    factories.make_presence(family.child, period=period, unit=journee(period), day=WED,
                            state="accepted", household=other.household)
    _login(client, family)
    page = _text(client.get(PLANNING + "?mois=2026-09"))
    assert "pf-other" in page and "fa-link" in page
    bar = page[page.index("pf-other"):]
    bar = bar[:bar.index("</span>\n</span>") if "</span>\n</span>" in bar else 400]
    assert "/compte/planning/presence/" not in bar
    page = _text(client.get(PLANNING + "?mois=2026-09&filtre=1&usager=%d" % family.child.id))
    assert "pf-other" not in page


def test_presence_details_and_view_edit(db, client, now, family, period):
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED, state="accepted", household=family.household)
    _login(client, family)
    page = _text(client.get(PLANNING + "?mois=2026-09"))
    assert f"/compte/planning/presence/{presence.id}" in page
    page = _text(client.get(f"/compte/planning/presence/{presence.id}"))
    assert "mercredi 9 septembre 2026" in page
    assert "MERCREDI JOURNEE AVEC REPAS" in page and "Voir/Modifier cette réservation" in page
    page = _text(client.get(f"/compte/planning/presence/{presence.id}/modifier"))
    assert "Demander l'annulation" in page and "Recopier la journée" in page
    assert "Retirer ma demande" not in page


def test_history_lists_requests_with_paging_and_details(db, client, now, family, period):
    from app.bookings import services

    unit = journee(period)
    first = services.book(family.user, NOW, family.household, family.child, period,
                          [(WED, unit.id)])
    second = services.book(family.user, NOW + dt.timedelta(minutes=16), family.household,
                           family.child, period, [(WED2, unit.id), (WED3, unit.id)])
    agent = factories.make_user("Agent")
    services.accept(agent, NOW, first.pending[0])
    _login(client, family)
    page = _text(client.get("/compte/planning/historique"))
    for label in ("N° dossier", "Création", "Référent", "Etablissement > Accueil > Période",
                  "Dates", "État", "Détails", "Éléments par page:", "1 - 2 sur 2"):
        assert label in page, label
    assert "07/09/2026 à 09:00" in page and "07/09/2026 à 09:16" in page
    assert f"> {period.reception.facility.name} > ACM DES MERCREDIS > " \
           f"ACM MERCREDI MATERNELLE 2026-2027" in page
    assert "✓" in page
    assert "ESSAI Camille" in page
    page = _text(client.get("/compte/planning/historique?par_page=5&page=1"))
    assert f"/compte/planning/historique/{second.request.id}" in page
    page = _text(client.get(f"/compte/planning/historique/{second.request.id}"))
    assert "Mercredi 16 Septembre 2026" in page and "Mercredi 23 Septembre 2026" in page
    assert "Présence en attente de traitement" in page


def test_other_households_ids_are_404_everywhere(db, client, now, family, period):
    other = make_family(first_name="Dominique", child_name="Lina")
    theirs = factories.make_presence(other.child, period=period, unit=journee(period), day=WED,
                                     state="pending", household=other.household)
    _login(client, family)
    for url in (f"/compte/planning/presence/{theirs.id}",
                f"/compte/planning/presence/{theirs.id}/modifier",
                f"/compte/planning/presence/{theirs.id}/annulation",
                f"/compte/planning/historique/{theirs.request_id}",
                "/compte/planning/historique/999999",
                f"/compte/reservations/nouvelle?usager={other.child.id}"):
        assert client.get(url).status_code == 404, url
    token = csrf_token_from(_text(client.get("/compte/reservations/nouvelle")))
    for url in (f"/compte/planning/presence/{theirs.id}/retirer",
                f"/compte/planning/presence/{theirs.id}/recopier",
                f"/compte/planning/presence/{theirs.id}/annulation"):
        assert client.post(url, data={"csrf_token": token, "scope": "one",
                                      "confirm": "1"}).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Presence, theirs.id).state == "pending"
    # the calendar never shows another household's child, even when asked for
    page = _text(client.get(PLANNING + f"?mois=2026-09&filtre=1&usager={other.child.id}"))
    assert "pf-bar" not in page and "Lina" not in page


def test_withdraw_a_pending_day(db, client, now, family, period, form_post):
    from app.bookings import services

    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, journee(period).id)])
    presence = result.pending[0]
    _login(client, family)
    page_url = f"/compte/planning/presence/{presence.id}/modifier"
    assert "Retirer ma demande" in _text(client.get(page_url))
    response = form_post(f"/compte/planning/presence/{presence.id}/retirer", {}, page=page_url,
                         follow_redirects=True)
    assert "a été retirée" in _text(response)
    db.session.expire_all()
    assert db.session.get(Presence, presence.id).state == "withdrawn"


def test_cancel_one_day(db, client, now, family, period, form_post):
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state="accepted", household=family.household)
    _login(client, family)
    url = f"/compte/planning/presence/{presence.id}/annulation"
    page = _text(client.get(url))
    assert "Cette demande" in page and "Plusieurs jours" in page and "Suivant" in page
    step2 = _text(form_post(url, {"scope": "one"}))
    assert "Mercredi 16 Septembre 2026" in step2 and "Valider" in step2
    db.session.expire_all()
    assert db.session.get(Presence, presence.id).state == "accepted"  # nothing yet
    response = form_post(url, {"scope": "one", "confirm": "1"}, follow_redirects=True)
    assert "Votre demande d'annulation a été enregistrée" in _text(response)
    db.session.expire_all()
    assert db.session.get(Presence, presence.id).state == "cancel_requested"
    assert db.session.scalar(select(Request).where(Request.kind == "cancellation")) is not None


def test_cancel_several_days(db, client, now, family, period, form_post):
    unit = journee(period)
    days = [WED, WED2, WED3, dt.date(2026, 9, 30), dt.date(2026, 10, 7)]
    presences = [factories.make_presence(family.child, period=period, unit=unit, day=d,
                                         state="accepted", household=family.household)
                 for d in days]
    _login(client, family)
    url = f"/compte/planning/presence/{presences[1].id}/annulation"
    data = {"scope": "many", "date_from": "2026-09-16", "date_to": "2026-09-30"}
    step2 = _text(form_post(url, data))
    for label in ("Mercredi 16 Septembre 2026", "Mercredi 23 Septembre 2026",
                  "Mercredi 30 Septembre 2026"):
        assert label in step2
    assert "Mercredi 7 Octobre 2026" not in step2 and "Mercredi 9 Septembre 2026" not in step2
    form_post(url, dict(data, confirm="1"))
    db.session.expire_all()
    states = [db.session.get(Presence, p.id).state for p in presences]
    assert states == ["accepted", "cancel_requested", "cancel_requested", "cancel_requested",
                      "accepted"]
    assert len(outbox()) >= 1


def test_cancel_past_the_deadline_says_why(db, client, clock, family):
    period = factories.make_period(requires_documents=False, cancel_deadline_mode="days_before",
                                   cancel_deadline_days=7, cancel_deadline_time=dt.time(12, 0))
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED, state="accepted", household=family.household)
    clock.set(NOW)
    _login(client, family)
    url = f"/compte/planning/presence/{presence.id}/annulation"
    token = csrf_token_from(_text(client.get(url)))
    page = _text(client.post(url, data={"csrf_token": token, "scope": "one", "confirm": "1"}))
    assert "alert-danger" in page
    db.session.expire_all()
    assert db.session.get(Presence, presence.id).state == "accepted"


def test_cantine_cannot_be_cancelled_online_and_the_page_says_whom_to_call(db, client, now,
                                                                          family):
    kind = factories.make_service_kind(code="cantine", name="Cantines", allows_cancellation=False)
    period = factories.make_period(name="CANTINE", service_kind=kind, weekdays="0,1,3,4",
                                   requires_documents=False,
                                   units=(("REPAS", "#27ae60", ("repas",)),))
    day = dt.date(2026, 9, 14)
    presence = factories.make_presence(family.child, period=period, day=day, state="accepted",
                                       household=family.household)
    _login(client, family)
    url = f"/compte/planning/presence/{presence.id}/annulation"
    token = csrf_token_from(_text(client.get(url)))
    page = _text(client.post(url, data={"csrf_token": token, "scope": "one", "confirm": "1"}))
    alert = page[page.index("alert-danger"):page.index("</div>", page.index("alert-danger"))]
    assert period.reception.facility.phone in alert or period.reception.facility.name in alert
    db.session.expire_all()
    assert db.session.get(Presence, presence.id).state == "accepted"
