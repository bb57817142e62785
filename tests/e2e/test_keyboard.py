"""Keyboard alone (RGAA 7.3 and 12.8-12.13): a parent who cannot use a mouse
goes through Mon planning and the booking wizard with Tab, Shift+Tab, Enter,
Space and the arrow keys. Every element that takes the focus shows it (an
outline or a ring) and is on screen; the skip link leads to the content."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import factories

NOW = dt.datetime(2026, 10, 2, 10, 0)

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return null; }
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  const label = e.labels && e.labels.length ? e.labels[0].innerText : '';
  return {
    tag: e.tagName.toLowerCase(), id: e.id || '', type: e.type || '', name: e.name || '',
    checked: !!e.checked,
    text: (e.getAttribute('aria-label') || e.innerText || e.value || '').replace(/\s+/g, ' ').trim(),
    label: label.replace(/\s+/g, ' ').trim(),
    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    ring: style.boxShadow !== 'none',
    shown: box.width > 0 && box.height > 0 && style.visibility !== 'hidden',
  };
}"""


def _focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def _describe(info) -> str:
    if info is None:
        return "(rien)"
    return f"<{info['tag']}> {info['text'] or info['label']!r}"


def tab_to(page, matches, limit: int = 80, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element ``matches``; every
    element met on the way must show its focus and be visible."""
    met = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        info = _focused(page)
        if info is None:
            met.append("(body)")
            continue
        met.append(_describe(info))
        assert info["shown"], f"focus sur un élément invisible : {_describe(info)}"
        assert info["outline"] or info["ring"], (
            f"focus non visible sur {_describe(info)} (ni contour ni anneau)")
        if matches(info):
            return info
    raise AssertionError("élément jamais atteint au clavier ; parcours : " + " | ".join(met))


def text_is(pattern: str):
    regex = re.compile(pattern)
    return lambda info: bool(regex.search(info["text"] or "")) and info["tag"] in (
        "a", "button", "input", "select", "textarea")


def press_enter_and_wait(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.fixture
def family(app, clock):
    clock.set(NOW)
    from app.families.access import household_of

    with app.app_context():
        user = factories.make_user("Famille", first_name="Manon", last_name="Test")
        household = household_of(user)
        child = factories.make_child(household, first_name="Paul", last_name="Test",
                                     birth_date=dt.date(2021, 3, 14))
        facility = factories.make_facility("ACM PITCHOUNET")
        period = factories.make_period(name="ACM MERCREDI MATERNELLE", facility=facility,
                                       requires_documents=False)
        factories.make_period(name="ACM MERCREDI ÉLÉMENTAIRE", facility=facility,
                              requires_documents=False)
        unit = next(u for u in period.units if u.name == "MERCREDI JOURNEE AVEC REPAS")
        factories.make_presence(child, period, unit=unit, day=dt.date(2026, 10, 7),
                                state="accepted", household=household)
        factories.make_presence(child, period, unit=unit, day=dt.date(2026, 11, 18),
                                state="pending", household=household)
        return {"user": user, "household_id": household.id}


def test_skip_link_then_planning_month_and_presence_by_keyboard(page, e2e_login, family):
    e2e_login(page, family["user"])
    page.goto("/compte/planning/?mois=2026-10")

    # The first Tab reaches the skip link, which sends the focus to the content.
    page.keyboard.press("Tab")
    info = _focused(page)
    assert info and info["text"] == "Aller au contenu", _describe(info)
    assert info["outline"] or info["ring"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"

    # The next Tab is inside the content (the breadcrumb), not back in the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')")

    # Next month, then back with the previous month button.
    tab_to(page, text_is("^Mois suivant$"))
    press_enter_and_wait(page)
    assert page.get_by_role("heading", name="Novembre 2026").is_visible()
    assert "mois=2026-11" in page.url
    # Shift+Tab from the bottom of the page comes back up to the month buttons.
    page.keyboard.press("End")
    tab_to(page, text_is("^Mois précédent$"), limit=200, backwards=True)
    press_enter_and_wait(page)
    assert page.get_by_role("heading", name="Octobre 2026").is_visible()

    # A presence in the calendar: its bar is a link that says its state.
    tab_to(page, text_is("Paul.*Présence acceptée"))
    press_enter_and_wait(page)
    assert page.get_by_role("heading", name="Présences du mercredi 7 octobre 2026").is_visible()
    assert page.get_by_text("MERCREDI JOURNEE AVEC REPAS").first.is_visible()

    # Its actions: "Voir/Modifier cette réservation", then "Recopier la journée".
    tab_to(page, text_is("^Voir/Modifier cette réservation$"))
    press_enter_and_wait(page)
    tab_to(page, text_is("Demander l'annulation"))
    tab_to(page, text_is("Recopier la journée"))
    press_enter_and_wait(page)
    assert "/compte/reservations/nouvelle/recopier/2026-10-07" in page.url


def test_booking_wizard_by_keyboard(app, page, e2e_login, family):
    from app.bookings.models import Presence
    from app.extensions import db

    e2e_login(page, family["user"])
    page.goto("/compte/planning/?mois=2026-10")

    tab_to(page, text_is("^Ajouter$"))
    press_enter_and_wait(page)

    # Step 1: the only child is already chosen.
    assert page.get_by_text("Usager : Paul TEST (5 ans)").is_visible()
    info = tab_to(page, lambda i: i["name"] == "child")
    assert info["checked"]
    tab_to(page, text_is("^Suivant →$"))
    press_enter_and_wait(page)

    # Step 2: the periods are radio buttons: the arrows move between them.
    info = tab_to(page, lambda i: i["name"] == "period")
    for _ in range(4):
        if "ACM MERCREDI MATERNELLE" in info["label"] and info["checked"]:
            break
        page.keyboard.press("ArrowDown" if info["checked"] else "Space")
        info = _focused(page)
    assert "ACM MERCREDI MATERNELLE" in info["label"] and info["checked"], info
    tab_to(page, text_is("^Suivant →$"))
    press_enter_and_wait(page)

    # Step 3: the planning of the period; next month, then a day.
    assert page.get_by_role("heading", name="Octobre 2026").is_visible()
    tab_to(page, text_is("^Mois suivant$"))
    press_enter_and_wait(page)
    assert page.get_by_role("heading", name="Novembre 2026").is_visible()
    tab_to(page, text_is("^mercredi 4 novembre 2026$"))
    press_enter_and_wait(page)
    assert page.get_by_text("Présences du mercredi 4 novembre 2026").is_visible()

    # The day: choose a régime with Space, then "Valider".
    info = tab_to(page, lambda i: i["name"] == "unit")
    page.keyboard.press("Space")
    info = _focused(page)
    while "MERCREDI JOURNEE AVEC REPAS" not in info["label"]:
        page.keyboard.press("ArrowDown")
        info = _focused(page)
    assert info["checked"]
    tab_to(page, text_is("^Valider$"))
    press_enter_and_wait(page)
    assert page.locator("td[data-date='2026-11-04'] .pf-draft").is_visible()

    # The drafted day can be copied from the keyboard too ("Recopier" is a link).
    tab_to(page, text_is("^Recopier – mercredi 4 novembre 2026$"))
    tab_to(page, text_is("^Suivant →$"))
    press_enter_and_wait(page)

    # Step 4: the summary, then "Valider ✓".
    assert page.get_by_text("Récapitulatif de votre demande.").is_visible()
    assert page.get_by_text("Mercredi 4 Novembre 2026").is_visible()
    tab_to(page, text_is("^Valider ✓$"))
    press_enter_and_wait(page)
    assert page.get_by_text("Votre demande a été enregistrée").is_visible()

    with app.app_context():
        rows = db.session.execute(select(Presence.date, Presence.state).where(
            Presence.household_id == family["household_id"]).order_by(Presence.date)).all()
    assert [tuple(r) for r in rows] == [
        (dt.date(2026, 10, 7), "accepted"), (dt.date(2026, 11, 4), "pending"),
        (dt.date(2026, 11, 18), "pending")]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900},
                                      {"width": 375, "height": 740}], ids=["desktop", "mobile"])
def test_menus_by_keyboard(app, browser, live_server, e2e_login, family, viewport):
    """The services "Menu" of the public site (a Bootstrap dropdown: Enter
    opens it, the arrows move in it) and, on a phone, the collapsed top menu."""
    with app.app_context():
        kind = factories.make_service_kind("acm_mercredi", "ACM des Mercredis")
        factories.make_page(service_kind=kind, section="presentation")
        factories.make_page(title="Règlement intérieur", service_kind=kind,
                            section="reglements", body="Le règlement des accueils.")
    phone = viewport["width"] < 768
    context = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                  timezone_id="Europe/Paris", viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/")
        if phone:
            tab_to(page, text_is("^Menu$"))
            page.keyboard.press("Enter")
            page.locator("#portail-services-list").wait_for(state="visible")
        tab_to(page, text_is("^ACM des Mercredis$"))
        page.keyboard.press("Enter")
        page.locator("#portail-services-list .dropdown.open").wait_for()
        info = None
        for _ in range(6):
            page.keyboard.press("ArrowDown")
            info = _focused(page)
            if info and info["text"] == "Règlements intérieurs":
                break
        assert info and info["text"] == "Règlements intérieurs", _describe(info)
        assert info["outline"] or info["ring"]
        press_enter_and_wait(page)
        assert page.url.endswith("/services/acm_mercredi/reglements")
        assert page.get_by_text("Le règlement des accueils.").is_visible()

        e2e_login(page, family["user"])
        page.goto("/compte/planning/")
        if phone:
            tab_to(page, text_is("^Ouvrir le menu$"))
            page.keyboard.press("Enter")
            page.locator("#portail-navbar-collapse").wait_for(state="visible")
        tab_to(page, text_is("^Mon compte$"))
        press_enter_and_wait(page)
        assert page.url.endswith("/compte/")
    finally:
        context.close()
