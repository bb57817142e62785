"""Billing screens (Comptable) and "Mes factures" (family)."""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import select

from app.billing import services
from app.billing.models import Invoice
from tests import factories

NOW = dt.datetime(2026, 10, 2, 10, 0)


def _september(app, parent_email="parent@exemple.test"):
    with app.app_context():
        period = factories.make_period(name="ACM MERCREDI", price_cents=1250)
        household = factories.make_household(quotient_familial=700)
        parent = factories.make_user("Famille", household=household, email=parent_email)
        child = factories.make_child(household, first_name="Lina")
        for day in (dt.date(2026, 9, 2), dt.date(2026, 9, 9)):
            factories.make_presence(child, period, day=day)
        return household.id, parent.id


def test_comptable_runs_then_issues_the_month(app, client, login_as, form_post, clock):
    clock.set(NOW)
    household_id, _parent = _september(app)
    login_as("Comptable")
    page = client.get("/facturation/?month=09/2026").get_data(as_text=True)
    assert "Facturation mensuelle" in page and "Septembre 2026" in page

    response = form_post("/facturation/lancer", {"month": "09/2026"},
                         page="/facturation/?month=09/2026", follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert "1 facture(s) en brouillon" in text
    assert "25,00" in text

    response = form_post("/facturation/emettre", {"month": "09/2026"},
                         page="/facturation/?month=09/2026", follow_redirects=True)
    assert "FAC-2026-000001" in html.unescape(response.get_data(as_text=True))

    listing = client.get("/facturation/factures/?month=09/2026").get_data(as_text=True)
    assert "FAC-2026-000001" in listing and "Émise" in listing
    with app.app_context():
        from app.extensions import db

        invoice_id = db.session.scalar(select(Invoice.id))
        line_id = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id)).lines[0].id
    detail = client.get(f"/facturation/factures/{invoice_id}").get_data(as_text=True)
    assert "Lina ESSAI" in detail and "Émettre un avoir" in detail

    response = form_post(f"/facturation/factures/{invoice_id}/avoir",
                         {f"line-{line_id}": "1", "reason": ""},
                         page=f"/facturation/factures/{invoice_id}", follow_redirects=True)
    assert "Indiquez le motif de l'avoir" in html.unescape(response.get_data(as_text=True))
    response = form_post(f"/facturation/factures/{invoice_id}/avoir",
                         {f"line-{line_id}": "1", "reason": "Journée fermée"},
                         page=f"/facturation/factures/{invoice_id}", follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert "AV-2026-000001" in text and "-12,50" in text.replace("\u2212", "-")


def test_a_bad_month_is_a_french_message(app, client, login_as, form_post):
    login_as("Comptable")
    response = form_post("/facturation/lancer", {"month": "13/2026"}, page="/facturation/",
                         follow_redirects=True)
    assert "Choisissez un mois valide" in html.unescape(response.get_data(as_text=True))


def test_families_and_agents_cannot_open_billing(app, client, login_as):
    login_as("Famille")
    assert client.get("/facturation/").status_code in (302, 403)
    login_as("Agent")
    assert client.get("/facturation/factures/").status_code in (302, 403)


def test_family_sees_only_its_issued_invoices(app, client, login_as):
    household_id, parent_id = _september(app)
    with app.app_context():
        from app.extensions import db

        other_household = factories.make_household()
        other_child = factories.make_child(other_household, first_name="Autre")
        period = db.session.scalar(select(Invoice.id))  # noqa: F841 - nothing yet
        from app.catalogue.models import Period

        acm = db.session.scalar(select(Period).where(Period.name == "ACM MERCREDI"))
        factories.make_presence(other_child, acm, day=dt.date(2026, 9, 2))
        comptable = factories.make_user("Comptable")
        services.run_billing(comptable, NOW, 2026, 9)
        mine = db.session.scalar(select(Invoice).where(Invoice.household_id == household_id))
        theirs = db.session.scalar(select(Invoice).where(
            Invoice.household_id == other_household.id))
        mine_id, theirs_id = mine.id, theirs.id
        user = db.session.get(app.appbuilder.sm.user_model, parent_id)

    from tests.conftest import login

    login(client, user)
    assert 'href="/compte/factures/"' in client.get("/compte/").get_data(as_text=True)
    page = client.get("/compte/factures/").get_data(as_text=True)
    assert "Mes factures" in page and "Vous n'avez pas encore de facture" in page
    assert client.get(f"/compte/factures/{mine_id}").status_code == 404   # still a draft

    with app.app_context():
        from app.extensions import db

        comptable = factories.make_user("Comptable")
        services.issue_invoices(comptable, NOW, 2026, 9)
    page = client.get("/compte/factures/").get_data(as_text=True)
    assert "FAC-2026-00000" in page and "25,00" in page
    detail = client.get(f"/compte/factures/{mine_id}").get_data(as_text=True)
    assert "Lina ESSAI" in detail and "25,00" in detail
    assert client.get(f"/compte/factures/{theirs_id}").status_code == 404
    assert client.get("/compte/factures/abc").status_code == 404
    assert client.get("/facturation/factures/").status_code in (302, 403)


def test_absurd_ids_are_not_found(app, client, login_as):
    login_as("Comptable")
    huge = "9" * 30
    assert client.get(f"/facturation/factures/{huge}").status_code == 404
    assert client.get(f"/facturation/factures/?page={huge}").status_code == 200
    login_as("Famille")
    assert client.get(f"/compte/factures/{huge}").status_code == 404
    assert client.get("/compte/factures/-3").status_code == 404
