"""Content-Security-Policy in a real browser: the portal's pages and FAB's
scripts run under the enforced policy without a single violation, console
error or request to another host.

Visited: the home page (anonymous), "Mon planning" with its display options,
the history with "Éléments par page", the booking wizard up to its summary,
and an agent's FAB list page with its filters (text, relation with select2),
its page size menu and a show page.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories

NOW = dt.datetime(2026, 9, 7, 9, 0)

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
                              " " + (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


class Watch:
    """Console errors, page errors, CSP violations and foreign requests of a page."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def _request(self, request):
        url = request.url
        if not (url.startswith(self.base_url) or url.startswith(("data:", "about:"))):
            self.problems.append(f"request to another host: {url}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")

    def check(self, where: str) -> None:
        """Collect the violations the current page saw (call before leaving it)."""
        self.page.wait_for_load_state("load")
        found = self.page.evaluate("window.__cspViolations || []")
        self.problems += [f"{where}: CSP violation {v}" for v in found]
        policy = self.page.evaluate(
            "fetch(location.href, {method: 'HEAD'}).then(r => "
            "r.headers.get('content-security-policy'))")
        if not policy or "'unsafe-inline'" in policy.split("script-src")[1].split(";")[0]:
            self.problems.append(f"{where}: no enforced script policy ({policy!r})")


def _click(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).or_(
            page.get_by_role("link", name=name)).first.click()


@pytest.fixture
def family(app, clock):
    clock.set(NOW)
    with app.app_context():
        from app.families.access import household_of

        user = factories.make_user("Famille", first_name="Manon", last_name="Test")
        child = factories.make_child(household_of(user), first_name="Paul", last_name="Test")
        period = factories.make_period(name="ACM MERCREDI MATERNELLE",
                                       facility=factories.make_facility("ACM PITCHOUNET"),
                                       requires_documents=False)
        factories.make_presence(child, period=period, day=dt.date(2026, 9, 9))
        factories.make_news()
        return user


def test_home_planning_and_booking_wizard_run_under_the_policy(page, live_server, e2e_login,
                                                               family):
    watch = Watch(page, live_server.url)
    page.goto("/")
    watch.check("accueil")
    e2e_login(page, family)
    page.goto("/compte/planning/?mois=2026-09")
    assert page.get_by_role("heading", name="Septembre 2026").is_visible()
    watch.check("Mon planning")
    # the display options (a GET form) and the history with "Éléments par page"
    page.locator("form[action$='/compte/planning/'] button[type=submit]").first.click()
    page.wait_for_load_state("load")
    watch.check("Mon planning, options d'affichage")
    page.goto("/compte/planning/historique")
    autosubmit = page.locator("select.pf-autosubmit")
    if autosubmit.count():
        with page.expect_navigation():
            autosubmit.first.select_option("10")
    watch.check("Historique des réservations")
    # the booking wizard to its summary
    page.goto("/compte/planning/?mois=2026-09")
    _click(page, "Ajouter")
    watch.check("assistant, étape 1")
    _click(page, "Suivant →")
    page.get_by_text("ACM MERCREDI MATERNELLE").click()
    watch.check("assistant, étape 2")
    _click(page, "Suivant →")
    watch.check("assistant, planning")
    with page.expect_navigation():
        page.locator("td[data-date='2026-09-16'] .pf-day-num a").click()
    page.get_by_label("MERCREDI JOURNEE AVEC REPAS").check()
    watch.check("assistant, journée")
    _click(page, "Valider")
    _click(page, "Suivant →")
    assert page.get_by_text("Récapitulatif de votre demande.").is_visible()
    watch.check("assistant, récapitulatif")
    # a presence's page, its cancellation form (script-driven date range)
    page.goto("/compte/planning/?mois=2026-09")
    with page.expect_navigation():
        page.locator("td[data-date='2026-09-09'] a.pf-bar").click()
    watch.check("présence")
    assert watch.problems == [], "\n".join(watch.problems)


def test_an_agents_fab_list_with_its_filters_runs_under_the_policy(app, page, live_server,
                                                                   e2e_login, family):
    with app.app_context():
        agent = factories.make_user("Agent", first_name="Alex", last_name="Agent")
        from app.catalogue.models import Facility
        from app.extensions import db
        from sqlalchemy import select

        facility_id = db.session.scalar(select(Facility.id).where(
            Facility.name == "ACM PITCHOUNET"))
        factories.make_news(title="Inscriptions des vacances d'hiver", facility_id=facility_id)
    watch = Watch(page, live_server.url)
    e2e_login(page, agent)
    page.goto("/contentnewsview/list/")
    watch.check("liste des actualités")
    # the "Rechercher" panel opens (Bootstrap's collapse), then a text filter:
    # FAB's ab_filters.js adds the row
    page.locator("a.accordion-toggle").first.click()
    page.locator("#filter_form .dropdown-toggle").first.wait_for(state="visible")
    page.locator("#filter_form .dropdown-toggle").first.click()
    page.locator("#filter_form a.filter[name=title]").click()
    page.locator("#filter_form table.filters input.filter_val, "
                 "#filter_form table.filters input[name^=_flt_]").first.fill("Inscriptions")
    # relation filter: select2
    page.locator("#filter_form .dropdown-toggle").first.click()
    page.locator("#filter_form a.filter[name=facility]").click()
    page.locator("#filter_form table.filters tr").last.locator(
        ".select2-container").last.click()
    page.locator(".select2-results__option", has_text="ACM PITCHOUNET").first.click()
    watch.check("filtres ajoutés")
    with page.expect_navigation():
        page.locator("#filter_form button[type=submit]").first.click()
    assert "_flt_0_title=Inscriptions" in page.url
    assert f"_flt_0_facility={facility_id}" in page.url
    assert page.get_by_text("Inscriptions des vacances d'hiver").first.is_visible()
    watch.check("liste filtrée")
    # page size menu, then a show page and the staff queue with "select all"
    page.goto("/contentnewsview/list/?psize_ContentNewsView=50")
    watch.check("liste, 50 par page")
    page.goto("/contentnewsview/show/1")
    watch.check("fiche d'une actualité")
    page.goto("/agents/reservations/demandes/")
    watch.check("demandes en attente")
    page.goto("/pointage/")
    watch.check("pointage")
    assert watch.problems == [], "\n".join(watch.problems)


def test_the_watch_sees_a_blocked_inline_script(page, live_server):
    """The check itself: an inline script without the nonce is blocked and seen."""
    watch = Watch(page, live_server.url)
    page.goto("/")
    try:
        page.add_script_tag(content="window.__ran = true;")
    except Exception:  # noqa: BLE001 - Playwright reports the blocked script too
        pass
    assert page.evaluate("window.__ran === true") is False
    watch.check("accueil")
    assert any("CSP violation script-src" in p for p in watch.problems), watch.problems
