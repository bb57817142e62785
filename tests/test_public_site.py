"""The public site: home page, rubriques, documents, accessibility, legal notice,
the shared layout and the French error pages. No account needed."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from tests import factories

NOW = dt.datetime(2026, 9, 7, 9, 0)


@pytest.fixture
def site(ctx, clock):
    """Two services, two facilities, settings, news (published or not)."""
    clock.set(NOW)
    acm = factories.make_service_kind("acm_mercredi", "ACM des Mercredis", position=1,
                                      description="Accueil des enfants le mercredi.")
    cantine = factories.make_service_kind("cantines", "Cantines", position=6,
                                          allows_cancellation=False)
    pitchounet = factories.make_facility(
        "ACM PITCHOUNET", opening_hours="Mercredi 7h30 - 18h30",
        description="Accueil de loisirs maternel.")
    factories.make_facility("CANTINE DE MIRANDE")
    factories.set_setting("service_name", "Service Enfance et Jeunesse")
    factories.set_setting("service_phone", "05 00 00 00 99")
    factories.set_setting("service_email", "enfance@exemple.test")
    factories.set_setting("welcome_text", "Bienvenue sur le portail de la communauté.")
    factories.make_news("Inscriptions de la Toussaint ouvertes", facility=pitchounet,
                        published_from=dt.datetime(2026, 9, 1, 8, 0))
    factories.make_news("Séjour ski : bientôt", published_from=dt.datetime(2026, 10, 1))
    factories.make_news("Ancienne actualité", published_from=dt.datetime(2026, 6, 1),
                        published_until=dt.datetime(2026, 7, 1))
    return {"acm": acm, "cantine": cantine, "pitchounet": pitchounet}


def get_text(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def test_anonymous_home_page_shows_the_guide_s_presentation(client, site):
    page = get_text(client, "/")
    # the "Menu" bar: each service and its rubriques
    assert "ACM des Mercredis" in page and "Cantines" in page
    assert "/services/acm_mercredi/presentation" in page
    # welcome message naming the services
    assert "Bienvenue sur le portail de la communauté." in page
    assert "Services accessibles via le Portail Famille" in page
    # login and account creation
    assert "Créer mon compte" in page and 'href="/compte/creer"' in page
    assert "Mot de passe oublié ?" in page and 'href="/compte/mot-de-passe-oublie"' in page
    assert 'action="/login/"' in page and 'name="csrf_token"' in page
    # contacts of each facility
    assert "ACM PITCHOUNET" in page and "CANTINE DE MIRANDE" in page
    assert "05 00 00 00 01" in page and "Mercredi 7h30 - 18h30" in page
    # news: published only, with their date
    assert "Inscriptions de la Toussaint ouvertes" in page
    assert "Publié le 01/09/2026" in page
    assert "Séjour ski" not in page and "Ancienne actualité" not in page
    # the services table
    assert "Réservations des jours de présence/ ateliers" in page
    assert "Consultation des programmes" in page
    # need help
    assert "Besoin d'aide ?" in page
    assert "Service Enfance et Jeunesse" in page
    assert "05 00 00 00 99" in page and "mailto:enfance@exemple.test" in page


def test_services_table_marks_what_each_service_allows_online(client, site):
    page = get_text(client, "/")
    table = page[page.index("<table"):page.index("</table>")]
    rows = {row.split("</th>")[0].rsplit(">", 2)[-2].split("<")[0]: row
            for row in table.split("<tr>")[2:]}
    assert rows["ACM des Mercredis"].count('aria-hidden="true">X<') == 4  # all but payment
    assert rows["Cantines"].count('aria-hidden="true">X<') == 3  # no payment, no cancellation


def test_layout_is_french_mobile_ready_and_has_the_footer(client, site):
    page = get_text(client, "/")
    assert '<html lang="fr">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<title>" in page and "Portail Famille</title>" in page
    assert "/static/css/portail.css" in page
    assert "Aller au contenu" in page
    assert "Accessibilité : partiellement conforme" in page
    assert 'href="/accessibilite"' in page and 'href="/mentions-legales"' in page
    # no asset from another host
    assert "https://" not in page.replace("https://", "", 0) or all(
        host not in page for host in ("cdn.", "googleapis", "cloudflare", "jsdelivr"))
    assert client.get("/static/css/portail.css").status_code == 200


def test_welcome_and_service_defaults_without_settings(client, ctx, clock):
    clock.set(NOW)
    factories.make_service_kind("sejours", "Séjours")
    page = get_text(client, "/")
    assert "Bienvenue sur le Portail Famille" in page
    assert "Service Enfance et Jeunesse" in page
    assert "Séjours" in page


def test_rubrique_page_shows_text_and_documents_and_download_works(client, site, app):
    with app.app_context():
        factories.make_page("Programme des mercredis", service_kind=site["acm"],
                            section="programmes", body="Sortie au lac le 16 septembre.\n\n"
                            "- Peinture\n- Jeux d'eau")
        document = factories.make_public_document("Programme de septembre",
                                                  service_kind=site["acm"],
                                                  section="programmes")
        doc_id, filename = document.id, document.original_filename
    home = get_text(client, "/")
    assert "/services/acm_mercredi/programmes" in home
    page = get_text(client, "/services/acm_mercredi/programmes")
    assert "ACM des Mercredis" in page and "Programmes" in page
    assert "Sortie au lac le 16 septembre." in page and "<li>Peinture</li>" in page
    assert "Programme de septembre" in page
    url = f"/documents/{doc_id}/{filename}"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == factories.PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert filename in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # the name in the address must be the document's
    assert client.get(f"/documents/{doc_id}/autre.pdf").status_code == 404


def test_presentation_of_a_service_without_page_uses_its_description(client, site):
    page = get_text(client, "/services/acm_mercredi/")
    assert "Accueil des enfants le mercredi." in page
    assert "Ce que vous pouvez faire en ligne" in page
    cantine = get_text(client, "/services/cantines/presentation")
    assert "Les annulations ne se font pas en ligne : contactez le service." in cantine


def test_unpublished_or_unknown_content_is_a_french_404(client, site, app):
    with app.app_context():
        future = dt.datetime(2026, 12, 1)
        past = dt.datetime(2026, 9, 1)
        factories.make_page("Tarifs 2027", service_kind=site["acm"], section="tarifs",
                            slug="tarifs-2027", published_from=future)
        factories.make_page("Ancien règlement", slug="ancien-reglement",
                            published_until=past)
        hidden = factories.make_public_document("Menus d'hiver", service_kind=site["cantine"],
                                                section="menus", published_from=future)
        hidden_url = f"/documents/{hidden.id}/{hidden.original_filename}"
    for url in ("/services/acm_mercredi/tarifs", "/pages/tarifs-2027",
                "/pages/ancien-reglement", "/services/cantines/menus", hidden_url,
                "/documents/9999/x.pdf", "/services/inconnu/", "/services/acm_mercredi/autre",
                "/page-qui-n-existe-pas"):
        page = get_text(client, url, status=404)
        assert "Page introuvable" in page, url
        assert '<html lang="fr">' in page
    home = get_text(client, "/")
    assert "Tarifs 2027" not in home and "/services/acm_mercredi/tarifs" not in home
    assert "/services/cantines/menus" not in home


def test_publication_window_opens_and_closes_with_the_clock(client, site, app, clock):
    with app.app_context():
        factories.make_page("Menus de septembre", service_kind=site["cantine"],
                            section="menus", slug="menus-septembre",
                            published_from=dt.datetime(2026, 9, 7, 9, 0),
                            published_until=dt.datetime(2026, 10, 1))
    assert client.get("/services/cantines/menus").status_code == 200
    clock.set(dt.datetime(2026, 10, 1, 0, 0))
    assert client.get("/services/cantines/menus").status_code == 404
    clock.set(dt.datetime(2026, 9, 7, 8, 59))
    assert client.get("/services/cantines/menus").status_code == 404


def test_general_page_is_listed_and_shown(client, site, app):
    with app.app_context():
        factories.make_page("Guide d'inscription", slug="guide-inscription",
                            body="Étape 1 : créer son compte.")
    home = get_text(client, "/")
    assert "/pages/guide-inscription" in home
    page = get_text(client, "/pages/guide-inscription")
    assert "Étape 1 : créer son compte." in page


def test_accessibility_statement_and_legal_notice(client, site, app):
    page = get_text(client, "/accessibilite")
    assert "Déclaration d'accessibilité" in page
    assert "RGAA" in page and "4.1" in page and "partiellement conforme" in page
    assert "enfance@exemple.test" in page and "Défenseur des droits" in page
    legal = get_text(client, "/mentions-legales")
    assert "Mentions légales" in legal and "Données personnelles" in legal
    with app.app_context():
        factories.make_page("Déclaration d'accessibilité du portail", slug="accessibilite",
                            body="Texte validé par la direction.")
    page = get_text(client, "/accessibilite")
    assert "Texte validé par la direction." in page


def test_contacts_and_news_pages(client, site):
    contacts = get_text(client, "/contacts")
    assert "ACM PITCHOUNET" in contacts and "acm@exemple.test" in contacts
    assert "Accueil de loisirs maternel." in contacts
    news = get_text(client, "/actualites")
    assert "Inscriptions de la Toussaint ouvertes" in news
    assert "Ancienne actualité" not in news


def test_hostile_text_is_shown_escaped(client, site, app):
    hostile = "<script>alert(1)</script> \"l'été\" 🎉 <b>gras</b>"
    with app.app_context():
        factories.make_news(hostile, body=hostile + " " + "x" * 500,
                            published_from=dt.datetime(2026, 9, 2))
        factories.make_page(hostile, service_kind=site["acm"], section="projets",
                            body=hostile + "\nhttps://exemple.test/a\"onmouseover=x")
    for url in ("/", "/actualites", "/services/acm_mercredi/projets"):
        raw = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in raw
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
        assert "<b>gras</b>" not in raw
        assert "🎉" in raw
    raw = client.get("/services/acm_mercredi/projets").get_data(as_text=True)
    assert '"onmouseover' not in raw


def test_error_pages_are_french_in_the_layout(client, ctx):
    page = get_text(client, "/nulle-part", status=404)
    assert "Page introuvable" in page and "Retour à l'accueil" in page
    assert "Besoin d'aide ?" in page


def test_family_user_sees_my_account_and_logout(client, login_as, site):
    login_as("Famille")
    page = get_text(client, "/")
    assert 'href="/compte/"' in page and "Mon compte" in page
    assert "Se déconnecter" in page and 'href="/logout/"' in page
    assert "Créer mon compte" not in page


@pytest.mark.parametrize("role", [None, "Agent", "Famille"])
def test_an_expired_form_gives_the_french_400_page_in_the_layout(client, login_as, ctx, role):
    if role:
        login_as(role)
    response = client.post("/contentnewsview/add", data={"title": "x"})
    assert response.status_code == 400
    page = text = html.unescape(response.get_data(as_text=True))
    assert "Le formulaire a expiré ou a déjà été envoyé." in text
    assert '<html lang="fr">' in page and "Besoin d'aide ?" in page


def test_the_home_page_login_form_logs_a_family_in(client, form_post, app, site):
    with app.app_context():
        factories.make_user("Famille", email="parent@exemple.test")
    response = form_post("/login/", {"username": "parent@exemple.test",
                                     "password": factories.PASSWORD}, page="/")
    assert response.status_code == 302
    page = get_text(client, "/")
    assert "Se déconnecter" in page and 'href="/compte/"' in page
