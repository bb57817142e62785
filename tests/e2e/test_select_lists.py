"""FAB's searchable lists (select2) speak French: placeholder and the
"nothing found" line, under the enforced Content-Security-Policy."""

from __future__ import annotations

from tests import factories
from tests.e2e.test_csp import Watch


def test_a_searchable_list_says_choose_and_nothing_found_in_french(app, page, live_server,
                                                                   e2e_login):
    with app.app_context():
        admin = factories.make_user("Admin")
    watch = Watch(page, live_server.url)
    e2e_login(page, admin)
    page.goto("/users/add")
    watch.check("ajout d'un utilisateur")
    assert page.locator(".select2-search__field[placeholder='Choisir dans la liste']").count() >= 1
    page.locator(".select2-search__field").first.click()
    page.keyboard.type("zzzz")
    page.get_by_text("Aucun choix ne correspond").wait_for()
    assert "Select a State" not in page.content()
    assert "No results found" not in page.content()
