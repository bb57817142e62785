"""The public home page in a real browser."""

from __future__ import annotations

from tests import factories


def test_the_public_home_page_offers_to_create_an_account(page):
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "fr"
    create = page.get_by_text("Créer mon compte").first
    create.wait_for(state="visible")
    assert create.is_visible()


def test_a_family_logs_in_through_the_real_login_form(app, page, e2e_login):
    with app.app_context():
        user = factories.make_user("Famille")
    e2e_login(page, user)
    assert "/login" not in page.url
