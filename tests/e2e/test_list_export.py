""""Exporter (Excel)" on an agent's list in a real browser: reached with the
keyboard alone, it downloads the rows of the filtered list, under the
enforced Content-Security-Policy."""

from __future__ import annotations

import datetime as dt

import openpyxl

from tests import factories
from tests.e2e.test_csp import Watch


def test_the_export_button_is_reached_with_the_keyboard_and_downloads_the_list(
        app, page, live_server, e2e_login, tmp_path):
    with app.app_context():
        agent = factories.make_user("Agent", first_name="Alex", last_name="Agent")
        factories.make_news("Inscriptions des vacances d'hiver",
                            published_from=dt.datetime(2026, 9, 1, 8, 0))
        factories.make_news("Menu de la cantine", published_from=dt.datetime(2026, 9, 2, 8, 0))
    watch = Watch(page, live_server.url)
    e2e_login(page, agent)
    page.goto("/contentnewsview/list/?_flt_2_title=vacances")
    watch.check("liste filtrée")
    button = page.get_by_role("link", name="Exporter (Excel)")
    assert button.is_visible()
    for _ in range(80):  # Tab through the page until the button has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Exporter (Excel)":
            break
    else:
        raise AssertionError("Exporter (Excel) is never reached with Tab")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.startswith("actualites-du-site-public-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[1]][0] == "Titre de l'actualité"
    assert [row[0].value for row in ws.iter_rows(min_row=2)] == [
        "Inscriptions des vacances d'hiver"]
    watch.check("après l'export")
    assert watch.problems == [], "\n".join(watch.problems)
