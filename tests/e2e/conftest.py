"""End-to-end harness: the session app served on 127.0.0.1 by a real HTTP
server in a thread, and Debian's Chromium driven by Playwright.

Fixtures:
  live_server      .url, e.g. "http://127.0.0.1:40123" (session)
  browser          Chromium, headless (session)
  page             a fresh browser context and page for each test; relative
                   URLs go to the live server: page.goto("/")
  e2e_login        e2e_login(page, user, password=PASSWORD) logs in through
                   the real login form (/login/, fields username/password)

Every test in tests/e2e/ is marked ``e2e`` (``-m "not e2e"`` skips them).
The live server and the test share the database and the frozen clock; the
tables are emptied after each test as everywhere else.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    url: str
    port: int


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server",
                              daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}",
                         port=server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium est absent ({CHROMIUM}) : les tests de bout en bout en ont "
                    "besoin. Installez-le avec « apt-get install chromium » (bash "
                    "tools/test.sh le fait quand il est lancé en root).", pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        pytest.fail(f"Chromium ({CHROMIUM}) ne démarre pas : {error}", pytrace=False)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    context.set_default_timeout(TIMEOUT_MS)
    browser_page = context.new_page()
    try:
        yield browser_page
    finally:
        context.close()


def _username(app, user) -> str:
    """The login of ``user`` (a FAB user, even detached and expired, or a string)."""
    if isinstance(user, str):
        return user
    from sqlalchemy import inspect

    from app.extensions import db

    state = inspect(user)
    if "username" in state.dict:
        return state.dict["username"]
    with app.app_context():
        return db.session.get(app.appbuilder.sm.user_model, state.identity[0]).username


@pytest.fixture
def e2e_login(app):
    """``e2e_login(page, user)``: log ``user`` in through the real login form."""

    def _login(page, user, password: str = PASSWORD):
        username = _username(app, user)
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.press("input[name=password]", "Enter")
        assert "/login" not in page.url, (
            f"la connexion de {username} a échoué : toujours sur {page.url}")
        return page

    return _login
