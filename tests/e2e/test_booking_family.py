"""The guide's booking, recopy and cancellation, in Chromium, as a parent does them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests import factories

NOW = dt.datetime(2026, 9, 7, 9, 0)


@pytest.fixture
def setup(app, clock):
    clock.set(NOW)
    with app.app_context():
        user = factories.make_user("Famille", first_name="Manon", last_name="Test")
        from app.families.access import household_of

        household = household_of(user)
        child = factories.make_child(household, first_name="Paul", last_name="Test",
                                     birth_date=dt.date(2021, 3, 14))
        facility = factories.make_facility("ACM PITCHOUNET")
        period = factories.make_period(name="ACM MERCREDI MATERNELLE", facility=facility,
                                       requires_documents=False)
        units = {u.name: u.id for u in period.units}
        return {"user": user, "user_id": user.id, "child_id": child.id, "period_id": period.id,
                "household_id": household.id, "units": units}


def _presences(app, household_id):
    from app.bookings.models import Presence
    from app.extensions import db

    with app.app_context():
        return [(p.date, p.state) for p in db.session.scalars(
            select(Presence).where(Presence.household_id == household_id)
            .order_by(Presence.date))]


def _click(page, text):
    with page.expect_navigation():
        page.get_by_role("button", name=text).or_(page.get_by_role("link", name=text)).first.click()


def test_the_guides_booking(app, page, e2e_login, setup):
    e2e_login(page, setup["user"])
    page.goto("/compte/planning/?mois=2026-09")
    assert page.get_by_role("heading", name="Septembre 2026").is_visible()
    _click(page, "Ajouter")
    assert page.get_by_text("Usager : Paul TEST (5 ans)").is_visible()
    assert page.locator("input[name=child]").is_checked()
    _click(page, "Suivant →")
    page.get_by_text("Tous", exact=True).wait_for()
    page.get_by_text("ACM MERCREDI MATERNELLE").click()
    _click(page, "Suivant →")
    assert page.get_by_role("heading", name="Nouvelle Réservation : Paul TEST - "
                                           "ACM MERCREDI MATERNELLE").is_visible()
    with page.expect_navigation():
        page.locator("td[data-date='2026-09-16'] .pf-day-num a").click()
    assert page.get_by_text("Présences du mercredi 16 septembre 2026").is_visible()
    assert page.get_by_text("Aucune présence sur cette journée.").is_visible()
    page.get_by_label("MERCREDI JOURNEE AVEC REPAS").check()
    _click(page, "Valider")
    assert page.locator("td[data-date='2026-09-16'] .pf-draft").is_visible()
    assert _presences(app, setup["household_id"]) == []
    _click(page, "Suivant →")
    assert page.get_by_text("Récapitulatif de votre demande.").is_visible()
    assert page.get_by_text("Mercredi 16 Septembre 2026").is_visible()
    _click(page, "Valider ✓")
    assert page.get_by_text("Votre demande a été enregistrée").is_visible()
    assert _presences(app, setup["household_id"]) == [(dt.date(2026, 9, 16), "pending")]
    _click(page, "Retour à Mon planning")
    bar = page.locator("td[data-date='2026-09-16'] a.pf-bar")
    assert "Présence en attente de traitement" in bar.text_content()


def test_recopy_one_week_in_two(app, page, e2e_login, setup):
    from app.bookings import services
    from app.extensions import db

    with app.app_context():
        from app.catalogue.models import Period
        from app.families.models import Child, Household

        services.book(db.session.get(app.appbuilder.sm.user_model, setup["user_id"]),
                      NOW, db.session.get(Household, setup["household_id"]),
                      db.session.get(Child, setup["child_id"]),
                      db.session.get(Period, setup["period_id"]),
                      [(dt.date(2026, 9, 9), setup["units"]["MERCREDI JOURNEE AVEC REPAS"])])
    e2e_login(page, setup["user"])
    page.goto("/compte/planning/?mois=2026-09")
    with page.expect_navigation():
        page.locator("td[data-date='2026-09-09'] a.pf-bar").click()
    _click(page, "Voir/Modifier cette réservation")
    _click(page, "Recopier la journée")
    page.get_by_label("Dates cibles").check()
    page.locator(".pf-targets").wait_for(state="visible")
    page.fill("input[name=date_from]", "2026-09-09")
    page.fill("input[name=date_to]", "2026-10-31")
    page.get_by_label("Mercredi").check()
    page.get_by_label("1 semaine sur 2").check()
    _click(page, "Aperçu")
    added = page.locator(".pf-preview-add li")
    assert added.all_inner_texts() == [
        "Mercredi 23 Septembre 2026 – MERCREDI JOURNEE AVEC REPAS",
        "Mercredi 7 Octobre 2026 – MERCREDI JOURNEE AVEC REPAS",
        "Mercredi 21 Octobre 2026 – MERCREDI JOURNEE AVEC REPAS"]
    _click(page, "Valider")
    _click(page, "Suivant →")
    _click(page, "Valider ✓")
    assert page.get_by_text("Votre demande a été enregistrée").is_visible()
    assert [d for d, _s in _presences(app, setup["household_id"])] == [
        dt.date(2026, 9, 9), dt.date(2026, 9, 23), dt.date(2026, 10, 7), dt.date(2026, 10, 21)]


def test_cancellation_of_several_days(app, page, e2e_login, setup):
    with app.app_context():
        from app.catalogue.models import Period
        from app.extensions import db
        from app.families.models import Child, Household

        period = db.session.get(Period, setup["period_id"])
        child = db.session.get(Child, setup["child_id"])
        household = db.session.get(Household, setup["household_id"])
        for day in (9, 16, 23, 30):
            factories.make_presence(child, period=period, day=dt.date(2026, 9, day),
                                    state="accepted", household=household)
    e2e_login(page, setup["user"])
    page.goto("/compte/planning/?mois=2026-09")
    with page.expect_navigation():
        page.locator("td[data-date='2026-09-16'] a.pf-bar").click()
    _click(page, "Voir/Modifier cette réservation")
    _click(page, "Demander l'annulation")
    assert not page.locator(".pf-range-fields").is_visible()
    page.get_by_label("Plusieurs jours").check()
    page.locator(".pf-range-fields").wait_for(state="visible")
    page.fill("input[name=date_from]", "2026-09-16")
    page.fill("input[name=date_to]", "2026-09-23")
    _click(page, "Suivant →")
    assert page.locator(".pf-cancel-list li").count() == 2
    _click(page, "Valider ✓")
    assert page.get_by_text("Votre demande d'annulation a été enregistrée").is_visible()
    assert _presences(app, setup["household_id"]) == [
        (dt.date(2026, 9, 9), "accepted"), (dt.date(2026, 9, 16), "cancel_requested"),
        (dt.date(2026, 9, 23), "cancel_requested"), (dt.date(2026, 9, 30), "accepted")]
    bar = page.locator("td[data-date='2026-09-23'] a.pf-bar")
    assert "Demande d'annulation" in bar.text_content()
