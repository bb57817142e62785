"""An export prepared in the background: the page polls its status, then
offers the download (under the Content-Security-Policy), in Chromium."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from tests import factories


def test_accounting_export_page_polls_then_offers_the_file(app, page, e2e_login, tmp_path):
    app.config["EXPORT_FOLDER"] = str(tmp_path)
    try:
        with app.app_context():
            period = factories.make_period()
            child = factories.make_child(factories.make_household())
            factories.make_presence(child, period, day=dt.date(2026, 9, 9))
            comptable = factories.make_user("Comptable")
        errors = []
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        e2e_login(page, comptable)
        page.goto("/facturation/exports/")
        panel = page.locator("#export-billing_detail")
        panel.locator("input[name=month]").fill("09/2026")
        with page.expect_navigation():
            panel.get_by_role("button", name="Exporter (Excel)").click()
        link = page.get_by_role("link", name="Télécharger jours-factures-2026-09.xlsx")
        expect(link).to_be_visible()
        with page.expect_download() as download:
            link.click()
        assert download.value.suggested_filename == "jours-factures-2026-09.xlsx"
        assert [e for e in errors if "Content Security Policy" in e] == []
    finally:
        app.config.pop("EXPORT_FOLDER", None)
