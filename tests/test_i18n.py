"""The portal speaks French: a complete catalogue, French formats, French
pages (errors included), and FAB's own screens without English left over."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from app.core import i18n
from tools import i18n as i18n_tool


def _text_of(page: str) -> list[str]:
    """What a person reads: text between tags, plus titles and placeholders."""
    page = re.sub(r"(?s)<script.*?</script>|<style.*?</style>", " ", page)
    attributes = re.findall(r'(?:title|placeholder|aria-label)="([^"]*)"', page)
    text = re.sub(r"(?s)<[^>]+>", "\n", page)
    lines = [html.unescape(line).strip() for line in text.splitlines()]
    return [line for line in lines if line] + [html.unescape(a).strip() for a in attributes]


def _same(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


# --- the catalogue ---------------------------------------------------------


def test_the_catalogue_has_no_empty_or_fuzzy_entry():
    gaps = i18n_tool.missing()
    assert gaps == [], f"{len(gaps)} strings without French, e.g. {gaps[:10]}"


def test_every_source_string_is_in_the_catalogue(tmp_path):
    template = i18n_tool.extract(tmp_path / "messages.pot")
    catalogue = i18n_tool.read_catalog()
    absent = [m.id for m in template if m.id and catalogue.get(m.id) is None]
    assert absent == [], (f"{len(absent)} source strings are not in messages.po "
                          f"(run python -m tools.i18n update), e.g. {absent[:10]}")


def test_the_french_catalogue_is_the_one_the_app_uses(app):
    from flask_babel import gettext

    with app.test_request_context("/"):
        assert gettext("Page not found") == "Page introuvable"
        # FAB's own catalogue is still there underneath ours.
        assert gettext("First Name") == "Prénom"


# --- formats ----------------------------------------------------------------


def test_dates_datetimes_and_money_are_french():
    assert i18n.format_day(dt.date(2023, 9, 20)) == "mercredi 20 septembre 2023"
    assert i18n.format_datetime(dt.datetime(2023, 7, 24, 10, 38)) == "24/07/2023 à 10:38"
    assert _same(i18n.format_money(345)) == "3,45 €"
    assert _same(i18n.format_money(123456)) == "1 234,56 €"
    assert i18n.parse_money("3,45 €") == 345


# --- pages ------------------------------------------------------------------


def test_the_home_page_is_french(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert "Créer mon compte" in page


def test_a_missing_page_answers_404_in_french_within_the_portal_layout(client):
    response = client.get("/cette-page-n-existe-pas")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page introuvable" in page
    assert "La page demandée n'existe pas" in page or "n'existe pas" in page
    assert "navbar" in page  # FAB's layout, not Flask's bare error page
    assert "Not Found" not in page


def test_a_family_opening_a_staff_page_gets_a_french_403(client, login_as):
    login_as("Famille")
    response = client.get("/users/list/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Accès refusé" in page
    assert "Vous n'avez pas accès à cette page." in page
    assert "Forbidden" not in page


def test_a_server_error_shows_a_french_page_and_no_traceback(app, client, monkeypatch):
    home = next(rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/")

    def broken_view(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, home, broken_view)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Erreur du serveur" in page
    assert "Rien n'a été enregistré" in page
    assert "boom" not in page and "Traceback" not in page


# --- Flask-AppBuilder's own screens --------------------------------------------


def _fixed_fab_msgids() -> set[str]:
    from app.core import fab_strings

    return {s._args[0] if hasattr(s, "_args") else str(s) for s in fab_strings.FAB_STRINGS}


def test_fab_strings_are_all_translated_in_our_catalogue():
    catalogue = i18n_tool.read_catalog()
    for msgid in _fixed_fab_msgids():
        entry = catalogue.get(msgid)
        assert entry is not None and entry.string, msgid
        assert entry.string != msgid or msgid in {"Permissions"}, msgid


@pytest.mark.parametrize("url, french", [
    ("/users/list/", ["Liste des utilisateurs", "Ajouter un filtre", "Groupes",
                      "Dernière connexion", "Afficher", "Modifier", "Supprimer",
                      "Confirmation nécessaire", "Annuler"]),
    ("/users/add", ["Ajouter un utilisateur", "Mieux vaut désactiver un utilisateur que le "
                    "supprimer", "Enregistrer", "Retour"]),
    ("/roles/list/", ["Liste des rôles", "Nom du rôle", "Copier le rôle"]),
    ("/groups/list/", ["Liste des groupes", "Nom du groupe", "Libellé du groupe",
                       "Rôles du groupe"]),
    ("/groups/add", ["Ajouter un groupe", "Membres du groupe", "Description du groupe"]),
])
def test_fab_admin_screens_have_no_english_left_among_fixed_strings(client, login_as, url,
                                                                     french):
    login_as("Admin")
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text_of(page)
    english = _fixed_fab_msgids() | {"Name", "Label", "Description", "Users", "Roles", "User",
                                     "Cancel"}
    left = sorted({line.rstrip(" :") for line in text} & english)
    assert left == [], f"English left on {url}: {left}"
    for expected in french:
        assert expected in page, f"{expected!r} missing on {url}"


def test_a_fab_form_error_is_french(client, login_as, form_post):
    login_as("Admin")
    response = form_post("/groups/add", {"name": "", "label": "", "description": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ce champ est requis." in page
    assert "This field is required." not in page


def test_the_user_statistics_chart_with_google_charts_is_not_offered(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not any(rule.startswith("/userstatschartview") for rule in rules)
