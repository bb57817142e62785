"""Créer mon compte, address check, new link, forgotten password, login."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.families.models import Guardian, Household, OneTimeToken
from tests.families.helpers import PASSWORD, link_in, outbox, page


def _register(form_post, email="parent@exemple.test", password=PASSWORD, confirm=None):
    return form_post("/compte/creer", {"email": email, "password": password,
                                       "confirm": confirm or password})


def test_home_page_links_to_account_creation(client):
    assert 'href="/compte/creer"' in page(client.get("/"))


def test_the_password_rule_is_shown_before_typing(client):
    html = page(client.get("/compte/creer"))
    assert "Créer mon compte" in html
    assert "Au moins 12 caractères" in html


def test_registration_creates_a_draft_household_and_sends_the_guides_message(
        app, client, db, clock, form_post):
    response = _register(form_post)
    assert response.status_code == 200
    assert "Consultez votre messagerie" in page(response)
    user = app.appbuilder.sm.find_user(email="parent@exemple.test")
    assert [r.name for r in user.roles] == ["Famille"]
    guardian = db.session.scalar(select(Guardian).where(Guardian.user_id == user.id))
    household = db.session.get(Household, guardian.household_id)
    assert household.status == "draft" and guardian.position == 0
    assert guardian.email_verified_at is None
    [mail] = outbox(db, to="parent@exemple.test")
    assert mail.template == "families_verify"
    assert "Vous venez de créer votre compte sur notre Portail en ligne. Afin de valider " \
           "votre inscription, vous devez confirmer votre adresse email en cliquant sur le " \
           "lien ci-dessous." in mail.body_text
    assert "Tant que votre email ne sera pas validé, aucune demande d'inscription ne sera " \
           "prise en compte par nos services." in mail.body_text
    # only a hash of the token is stored
    token = db.session.scalar(select(OneTimeToken))
    assert token.purpose == "verify" and token.expires_at == clock.now() + dt.timedelta(hours=48)
    assert token.token_hash not in mail.body_text


def test_the_link_confirms_the_address_once(client, db, clock, form_post):
    _register(form_post)
    path = link_in(outbox(db)[0], "confirmer")
    # opening the link (as a mail scanner would, twice) only shows the button
    for _ in range(2):
        opened = client.get(path)
        assert opened.status_code == 200
        assert "Confirmer mon adresse e-mail" in page(opened)
    db.session.expire_all()
    assert db.session.scalar(select(Guardian)).email_verified_at is None
    response = form_post(path, {})
    assert response.status_code == 302
    db.session.expire_all()
    guardian = db.session.scalar(select(Guardian))
    assert guardian.email_verified_at == clock.now()
    again = client.get(path)
    assert again.status_code == 400
    assert "Ce lien a déjà été utilisé" in page(again)


def test_an_expired_or_forged_link_is_refused_in_french(client, db, clock, form_post):
    _register(form_post)
    path = link_in(outbox(db)[0], "confirmer")
    clock.set(clock.now() + dt.timedelta(hours=48, minutes=1))
    response = client.get(path)
    assert response.status_code == 400 and "Ce lien a expiré" in page(response)
    forged = client.get(path[:-3] + "abc")
    assert forged.status_code == 400 and "Ce lien n'est pas valable" in page(forged)
    db.session.expire_all()
    assert db.session.scalar(select(Guardian)).email_verified_at is None


def test_a_known_address_gets_the_same_answer_and_no_second_account(app, db, form_post):
    first = _register(form_post)
    second = _register(form_post, email=" Parent@Exemple.test ",
                       password="un autre mot de passe long")

    def main(response):
        html = page(response).split("<main")[1].split("</main>")[0]
        return html.replace("Parent@Exemple.test", "parent@exemple.test")

    assert "Consultez votre messagerie" in main(first)
    assert main(first) == main(second)
    assert db.session.scalar(select(Household.id).offset(1)) is None
    templates = [m.template for m in outbox(db, to="parent@exemple.test")]
    assert templates == ["families_verify", "families_account_exists"]


def test_weak_password_and_bad_address_are_refused_in_french(db, form_post):
    response = _register(form_post, password="court", confirm="court")
    assert "au moins 12 caractères" in page(response)
    response = _register(form_post, email="pas-une-adresse")
    assert "Saisissez une adresse e-mail valide" in page(response)
    response = _register(form_post, confirm="quatre chats jouent au soleiL")
    assert "Les deux mots de passe sont différents" in page(response)
    assert db.session.scalar(select(Household.id)) is None


def test_new_link_same_answer_for_known_and_unknown_addresses(client, db, form_post):
    _register(form_post)
    known = form_post("/compte/renvoyer-lien", {"email": "parent@exemple.test"})
    unknown = form_post("/compte/renvoyer-lien", {"email": "inconnu@exemple.test"})
    assert (page(known).split("<main")[1].split("</main>")[0]
            == page(unknown).split("<main")[1].split("</main>")[0])
    mails = outbox(db, template="families_verify")
    assert [m.to_address for m in mails] == ["parent@exemple.test"] * 2
    # the first link no longer works once a new one was sent
    first, second = (link_in(m, "confirmer") for m in mails)
    assert client.get(first).status_code == 400
    assert form_post(second, {}).status_code == 302


def test_forgotten_password_by_link(app, client, db, clock, form_post):
    _register(form_post)
    known = form_post("/compte/mot-de-passe-oublie", {"email": "parent@exemple.test"})
    unknown = form_post("/compte/mot-de-passe-oublie", {"email": "personne@exemple.test"})
    assert (page(known).split("<main")[1].split("</main>")[0]
            == page(unknown).split("<main")[1].split("</main>")[0])
    [mail] = outbox(db, template="families_reset")
    path = link_in(mail, "nouveau-mot-de-passe")
    token = db.session.scalar(select(OneTimeToken).where(OneTimeToken.purpose == "reset"))
    assert token.expires_at == clock.now() + dt.timedelta(hours=2)
    short = form_post(path, {"password": "court", "confirm": "court"})
    assert "au moins 12 caractères" in page(short)
    done = form_post(path, {"password": "un tout nouveau mot de passe",
                            "confirm": "un tout nouveau mot de passe"})
    assert done.status_code == 302
    again = client.get(path)
    assert again.status_code == 400 and "déjà été utilisé" in page(again)
    login = form_post("/login/", {"username": "parent@exemple.test",
                                  "password": "un tout nouveau mot de passe"})
    assert login.status_code == 302 and login.headers["Location"].endswith("/compte/")


def test_login_page_is_french_with_the_account_links(client):
    html = page(client.get("/login/"))
    for text in ("Se connecter", "Adresse e-mail", "Mot de passe", "Créer mon compte",
                 "Mot de passe oublié ?", 'href="/compte/creer"',
                 'href="/compte/mot-de-passe-oublie"'):
        assert text in html


def test_a_family_lands_on_my_account_and_bad_passwords_are_told_in_french(
        client, form_post):
    _register(form_post)
    bad = form_post("/login/", {"username": "parent@exemple.test", "password": "mauvais"},
                    follow_redirects=True)
    assert "Adresse e-mail ou mot de passe incorrect" in page(bad)
    good = form_post("/login/", {"username": "parent@exemple.test", "password": PASSWORD})
    assert good.headers["Location"].endswith("/compte/")
    hub = client.get("/compte/")
    assert hub.status_code == 200
    # not confirmed yet: the account can log in and fill its file
    assert "Votre adresse e-mail n'est pas encore confirmée" in page(hub)


def test_change_password_with_the_same_rule(client, db, login_as, form_post):
    login_as("Famille", password=PASSWORD)
    short = form_post("/compte/mot-de-passe", {"current": PASSWORD, "password": "court",
                                               "confirm": "court"})
    assert "au moins 12 caractères" in page(short)
    wrong = form_post("/compte/mot-de-passe", {"current": "faux", "password": "x" * 14,
                                               "confirm": "x" * 14}, follow_redirects=True)
    assert "Le mot de passe actuel n'est pas correct" in page(wrong)
    ok = form_post("/compte/mot-de-passe", {"current": PASSWORD,
                                            "password": "une phrase de passe neuve",
                                            "confirm": "une phrase de passe neuve"})
    assert ok.status_code == 302


def test_a_post_without_csrf_token_is_refused_with_the_french_page(client, db):
    response = client.post("/compte/creer", data={"email": "x@exemple.test",
                                                  "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in page(response)
    assert db.session.scalar(select(Household.id)) is None


def test_throttling_of_login_registration_and_reset(app):
    """One app with RATELIMIT_ENABLED on: per address and per account."""
    from app import create_app
    from tests.conftest import csrf_token_from

    throttled = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"], "SERVER_NAME": "localhost",
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "PUBLIC_UPLOAD_FOLDER": app.config["PUBLIC_UPLOAD_FOLDER"],
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "AUTH_RATE_LIMIT": "3 per 5 minute", "FAMILIES_FORM_RATE_LIMIT": "4 per 10 minute",
        "FAMILIES_ACCOUNT_RATE_LIMIT": "2 per 10 minute",
    })
    client = throttled.test_client()

    def post(url, data, ip="10.0.0.1"):
        token = csrf_token_from(client.get(url).get_data(as_text=True))
        return client.post(url, data=dict(data, csrf_token=token),
                           environ_base={"REMOTE_ADDR": ip})

    # per account: the same e-mail from several addresses
    codes = [post("/compte/mot-de-passe-oublie", {"email": "cible@exemple.test"},
                  ip=f"10.0.1.{i}").status_code for i in range(3)]
    assert codes == [200, 200, 429]
    # per address: several e-mails from one address
    codes = [post("/compte/renvoyer-lien", {"email": f"p{i}@exemple.test"},
                  ip="10.0.2.1").status_code for i in range(5)]
    assert codes[:4] == [200] * 4 and codes[4] == 429
    blocked = post("/compte/creer", {"email": "z@exemple.test", "password": PASSWORD,
                                     "confirm": PASSWORD}, ip="10.0.2.1")
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.get_data(as_text=True)
    # login: per account, from different addresses
    codes = [post("/login/", {"username": "victime@exemple.test", "password": "x"},
                  ip=f"10.0.3.{i}").status_code for i in range(4)]
    assert codes[:3] == [302] * 3 and codes[3] == 429
