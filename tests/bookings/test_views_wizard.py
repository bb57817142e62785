"""The booking wizard: child -> period -> day -> régime -> récapitulatif ->
Valider; nothing is written before the last Valider; cantine; recopy."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import func, select

from app.bookings.models import Presence, Request
from tests import factories
from tests.bookings.conftest import NOW, WED, WED2, journee, make_family, matin
from tests.conftest import csrf_token_from, login

W = "/compte/reservations/nouvelle"


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, url, data, page=None):
    token = csrf_token_from(_text(client.get(page or url)))
    return client.post(url, data=dict(data, csrf_token=token))


def _start(client, family, period):
    _post(client, W, {"child": family.child.id})
    return _post(client, W + "/periode", {"period": period.id})


def test_wizard_end_to_end_records_one_request_only_at_the_last_validate(db, client, now,
                                                                         family, period):
    login(client, family.user)
    page = _text(client.get(W))
    assert "Accueil" in page and "Mon compte" in page and "Réservations" in page
    assert "Nouvelle Réservation : Paul ESSAI" in page
    for step in ("Sélectionner l'usager", "Choix établissement et période", "Planning",
                 "Récapitulatif"):
        assert step in page
    assert "Usager : Paul ESSAI (5 ans)" in page
    assert 'checked' in page  # the only child is chosen by default
    assert "Suivant →" in page
    response = _post(client, W, {"child": family.child.id})
    assert response.headers["Location"].endswith("/nouvelle/periode")
    page = _text(client.get(W + "/periode"))
    assert ("Sélectionner l'établissement, le mode d'accueil et la période d'ouverture dans "
            "lesquels vous souhaitez réserver :") in page
    assert ">Tous<" in page and period.reception.facility.name in page
    assert "ACM MERCREDI MATERNELLE 2026-2027" in page and "← Précédent" in page
    response = _post(client, W + "/periode", {"period": period.id})
    assert response.headers["Location"].endswith("/nouvelle/planning")
    page = _text(client.get(W + "/planning"))
    assert "Nouvelle Réservation : Paul ESSAI - ACM MERCREDI MATERNELLE 2026-2027" in page
    assert "Septembre 2026" in page
    assert f"/nouvelle/jour/{WED2.isoformat()}" in page
    page = _text(client.get(W + f"/jour/{WED2.isoformat()}"))
    assert "Présences du mercredi 16 septembre 2026" in page
    assert "Aucune présence sur cette journée." in page
    assert "Nouvelle réservation (+)" in page
    assert "MERCREDI JOURNEE AVEC REPAS" in page and "MERCREDI MATIN SANS REPAS" in page
    assert "20 places restantes" in page and "Valider" in page
    _post(client, W + f"/jour/{WED2.isoformat()}", {"unit": journee(period).id})
    _post(client, W + f"/jour/{WED.isoformat()}", {"unit": matin(period).id})
    page = _text(client.get(W + "/planning?mois=2026-09"))
    assert "pf-draft" in page and "2 jour(s) dans votre demande" in page
    assert _count(db, Presence) == 0 and _count(db, Request) == 0
    page = _text(client.get(W + "/recapitulatif"))
    assert "Récapitulatif de votre demande." in page
    assert "Mercredi 9 Septembre 2026" in page and "Mercredi 16 Septembre 2026" in page
    assert page.index("Mercredi 9 Septembre 2026") < page.index("Mercredi 16 Septembre 2026")
    assert "← Précédent" in page and "Valider ✓" in page
    assert _count(db, Presence) == 0 and _count(db, Request) == 0
    response = _post(client, W + "/valider", {}, page=W + "/recapitulatif")
    page = _text(response)
    assert "Votre demande a été enregistrée" in page
    assert "Jours en attente de traitement par nos services (2)" in page
    assert _count(db, Request) == 1 and _count(db, Presence) == 2
    states = {(p.date, p.unit_id, p.state) for p in db.session.scalars(select(Presence))}
    assert states == {(WED, matin(period).id, "pending"), (WED2, journee(period).id, "pending")}
    # the draft is gone: a second Valider records nothing more
    _post(client, W + "/valider", {}, page=W)
    assert _count(db, Request) == 1


def test_abandoning_records_nothing(db, client, now, family, period):
    login(client, family.user)
    _start(client, family, period)
    _post(client, W + f"/jour/{WED2.isoformat()}", {"unit": journee(period).id})
    response = _post(client, W + "/abandonner", {}, page=W + "/planning")
    assert response.status_code == 302
    assert "rien n'a été enregistré" in _text(client.get(response.headers["Location"]))
    assert _count(db, Presence) == 0 and _count(db, Request) == 0
    assert client.get(W + "/recapitulatif").headers["Location"].endswith(W)


def test_skipped_and_full_days_are_reported(db, client, now, family, period):
    from app.bookings import services
    from tests.bookings.conftest import fill, set_capacity

    services.book(family.user, NOW, family.household, family.child, period,
                  [(WED, journee(period).id)])
    set_capacity(period, 1)
    fill(period, WED2, 1)
    login(client, family.user)
    _start(client, family, period)
    page = _text(client.get(W + f"/jour/{WED2.isoformat()}"))
    assert "Complet : liste d'attente" in page
    _post(client, W + f"/jour/{WED2.isoformat()}", {"unit": journee(period).id})
    page = _text(_post(client, W + "/valider", {}, page=W + "/recapitulatif"))
    assert "Jours en liste d'attente (plus de place) (1)" in page


def test_other_households_child_and_forged_drafts_are_404(db, client, now, family, period):
    other = make_family(first_name="Dominique", child_name="Lina")
    login(client, family.user)
    token = csrf_token_from(_text(client.get(W)))
    response = client.post(W, data={"csrf_token": token, "child": other.child.id})
    assert response.status_code == 200 and "Lina" not in _text(response)
    assert client.get(W + f"?usager={other.child.id}").status_code == 404
    # a forged draft (another household's child, or a period the child may not book)
    with client.session_transaction() as session:
        session["booking_draft"] = {"child": other.child.id, "period": period.id, "days": []}
    for url in (W + "/periode", W + "/planning", W + "/recapitulatif",
                W + f"/jour/{WED.isoformat()}"):
        assert client.get(url).status_code == 404, url
    closed = factories.make_period(name="FERMEE", published=False, requires_documents=False)
    with client.session_transaction() as session:
        session["booking_draft"] = {"child": family.child.id, "period": closed.id, "days": []}
    assert client.get(W + "/planning").status_code == 404
    # a day that is not an opening day of the period
    with client.session_transaction() as session:
        session["booking_draft"] = {"child": family.child.id, "period": period.id, "days": []}
    assert client.get(W + "/jour/2026-09-10").status_code == 404
    assert client.get(W + "/jour/pas-une-date").status_code == 404
    # a unit of another period is refused without a 500
    foreign = factories.make_period(name="AUTRE", requires_documents=False)
    token = csrf_token_from(_text(client.get(W + f"/jour/{WED.isoformat()}")))
    response = client.post(W + f"/jour/{WED.isoformat()}",
                           data={"csrf_token": token, "unit": foreign.units[0].id})
    assert response.status_code == 200 and "Veuillez choisir un régime." in _text(response)
    assert _count(db, Presence) == 0


def test_cantine_proposes_the_whole_year_and_days_can_be_removed(db, client, now, family):
    kind = factories.make_service_kind(code="cantine", name="Cantines", allows_cancellation=False)
    period = factories.make_period(
        name="CANTINE 2026-2027", service_kind=kind, weekdays="0,1,3,4", term_time=True,
        requires_documents=False,
        units=(("REPAS", "#27ae60", ("repas",)),))
    login(client, family.user)
    _post(client, W, {"child": family.child.id})
    response = _post(client, W + "/periode", {"period": period.id})
    assert response.headers["Location"].endswith("/nouvelle/cantine")
    page = _text(client.get(W + "/cantine"))
    assert ("Pour la restauration scolaire, la réservation se fait par défaut pour l'année "
            "entière. Seuls les jours de présence seront facturés.") in page
    assert "Lundi" in page and "Jeudi" in page and "Mercredi" not in page.split("pf-steps")[-1]
    _post(client, W + "/cantine", {"weekdays": ["0", "3"], "unit": period.units[0].id})
    with client.session_transaction() as session:
        days = session["booking_draft"]["days"]
    from app.catalogue.services import opening_dates

    expected = [d for d in opening_dates(period.id) if d.weekday() in (0, 3) and d >= NOW.date()]
    assert len(days) == len(expected) > 50
    assert [d for d, _u in days] == [d.isoformat() for d in expected]
    assert days[-1][0] >= "2027-06-01"
    assert _count(db, Presence) == 0
    # the parent removes a day before the récapitulatif
    first = expected[0]
    page = _text(client.get(W + "/recapitulatif"))
    assert f"{len(expected)} jours" in page
    _post(client, W + "/retirer", {"day": first.isoformat(), "unit": period.units[0].id,
                                  "next": "summary"}, page=W + "/recapitulatif")
    page = _text(client.get(W + "/recapitulatif"))
    assert f"{len(expected) - 1} jours" in page
    _post(client, W + "/valider", {}, page=W + "/recapitulatif")
    assert _count(db, Request) == 1 and _count(db, Presence) == len(expected) - 1


def test_cantine_draft_stays_small_in_the_session_cookie(db, client, now, family):
    kind = factories.make_service_kind(code="cantine", name="Cantines")
    period = factories.make_period(name="CANTINE", service_kind=kind, weekdays="0,1,3,4",
                                   requires_documents=False,
                                   units=(("REPAS", "#27ae60", ("repas",)),))
    login(client, family.user)
    _start(client, family, period)
    response = _post(client, W + "/cantine", {"weekdays": ["0", "1", "3", "4"],
                                             "unit": period.units[0].id})
    cookie = response.headers.get("Set-Cookie", "")
    with client.session_transaction() as session:
        assert len(session["booking_draft"]["days"]) > 130
    assert 0 < len(cookie) < 4000


def test_recopy_one_week_in_two_preview_then_validate(db, client, now, family, period):
    login(client, family.user)
    _start(client, family, period)
    _post(client, W + f"/jour/{WED.isoformat()}", {"unit": journee(period).id})
    url = W + f"/recopier/{WED.isoformat()}"
    page = _text(client.get(url))
    for label in ("Recopier la journée", "Recopier sur un autre jour",
                  "Recopier sur une semaine entière", "Dates cibles", "1 semaine sur 2",
                  "Toutes les semaines"):
        assert label in page, label
    data = {"mode": "targets", "date_from": "2026-09-09", "date_to": "2026-10-31",
            "weekdays": ["2"], "every": "2"}
    page = _text(_post(client, url, data))
    assert "Aperçu" in page
    preview = page[page.index("pf-preview-add"):page.index("</ul>", page.index("pf-preview-add"))]
    assert "Mercredi 23 Septembre 2026" in preview and "Mercredi 7 Octobre 2026" in preview
    assert "Mercredi 21 Octobre 2026" in preview
    assert "Mercredi 16 Septembre 2026" not in preview and "Mercredi 30 Septembre 2026" not in preview
    with client.session_transaction() as session:
        assert len(session["booking_draft"]["days"]) == 1  # the preview adds nothing
    _post(client, url, dict(data, confirm="1"))
    with client.session_transaction() as session:
        days = [d for d, _u in session["booking_draft"]["days"]]
    assert days == ["2026-09-09", "2026-09-23", "2026-10-07", "2026-10-21"]
    assert _count(db, Presence) == 0


def test_recopy_from_an_existing_booking_skips_booked_days(db, client, now, family, period):
    from app.bookings import services

    unit = journee(period)
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, unit.id), (WED2, unit.id)])
    login(client, family.user)
    edit = f"/compte/planning/presence/{result.pending[0].id}/modifier"
    response = _post(client, f"/compte/planning/presence/{result.pending[0].id}/recopier", {},
                     page=edit)
    assert response.headers["Location"].endswith(f"/nouvelle/recopier/{WED.isoformat()}")
    url = W + f"/recopier/{WED.isoformat()}"
    page = _text(_post(client, url, {"mode": "week", "week_day": "2026-09-16"}))
    assert "Aucun jour à ajouter." in page
    skipped = page[page.index("pf-preview-skipped"):]
    assert "Mercredi 16 Septembre 2026" in skipped and "déjà réservé" in skipped
    page = _text(_post(client, url, {"mode": "day", "target_day": "2026-09-30"}))
    _post(client, url, {"mode": "day", "target_day": "2026-09-30", "confirm": "1"})
    page = _text(_post(client, W + "/valider", {}, page=W + "/recapitulatif"))
    assert "Votre demande a été enregistrée" in page
    assert _count(db, Request) == 2 and _count(db, Presence) == 3


def test_bad_recopy_input_gives_a_french_message(db, client, now, family, period):
    login(client, family.user)
    _start(client, family, period)
    _post(client, W + f"/jour/{WED.isoformat()}", {"unit": journee(period).id})
    url = W + f"/recopier/{WED.isoformat()}"
    page = _text(_post(client, url, {"mode": "targets", "date_from": "2026-10-31",
                                     "date_to": "2026-09-01"}))
    assert "La date de fin ne doit pas précéder la date de début." in page
    page = _text(_post(client, url, {"mode": "day"}))
    assert "Veuillez choisir une date valide." in page
    response = _post(client, url, {"mode": "day", "target_day": "n'importe quoi"})
    assert response.status_code == 200
