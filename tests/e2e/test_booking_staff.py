"""An agent accepts a family's requests from the queue, in Chromium."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests import factories

NOW = dt.datetime(2026, 9, 7, 9, 0)


def test_agent_accepts_pending_requests(app, page, e2e_login, clock):
    clock.set(NOW)
    from app.bookings import services
    from app.bookings.models import Presence
    from app.extensions import db
    from app.families.access import household_of

    with app.app_context():
        family = factories.make_user("Famille", first_name="Manon", last_name="Test")
        household = household_of(family)
        child = factories.make_child(household, first_name="Paul", last_name="Test")
        period = factories.make_period(name="ACM MERCREDI MATERNELLE", requires_documents=False)
        unit = period.units[0]
        services.book(family, NOW, household, child, period,
                      [(dt.date(2026, 9, 9), unit.id), (dt.date(2026, 9, 16), unit.id)])
        agent = factories.make_user("Agent", first_name="Alex", last_name="Agent")
    e2e_login(page, agent)
    page.goto("/agents/reservations/demandes/")
    assert page.get_by_role("heading", name="Demandes en attente").is_visible()
    assert page.locator("tbody tr").count() == 2
    page.locator("input.pf-check-all").check()
    assert page.locator("input[name=presence_ids]:checked").count() == 2
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter la sélection").click()
    assert page.get_by_text("2 demande(s) acceptée(s)").is_visible()
    assert page.get_by_text("Rien à traiter.").is_visible()
    with app.app_context():
        states = set(db.session.scalars(select(Presence.state)))
    assert states == {"accepted"}
