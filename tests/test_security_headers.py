"""Security headers, Content-Security-Policy, cookies and sessions.

- Every page, walked from ``app.url_map`` as an anonymous visitor, a family,
  an agent and an administrator, carries the security headers; its
  Content-Security-Policy names no other host; every inline script carries
  the response's nonce; no inline event handler, no ``javascript:`` link and
  nothing loaded from another host.
- The session cookie is HttpOnly and SameSite=Lax, Secure in production.
- Logging in starts a new session: what was planted in the session before
  (a wizard draft, Flask-Login's flags, anything) does not survive.
- Password reset, address check and invitation links work once.
- The secret key is required in production.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import config
from app.core.headers import content_security_policy
from tests import factories
from tests.conftest import csrf_token_from
from tests.test_route_walk import urls_for

# Endpoints not walked: static files (dummy names only give 404s, checked once
# below) and logout (it would end the walk's session).
SKIPPED = {"static", "appbuilder.static", "PortailAuthDBView.logout", "AuthDBView.logout"}

ALLOWED_SOURCES = {"'self'", "'none'", "'unsafe-inline'", "data:"}

INLINE_SCRIPT_RE = re.compile(r"<script\b(?![^>]*\bsrc\s*=)([^>]*)>", re.I)
SCRIPT_SRC_RE = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']*)", re.I)
# Anything the browser would fetch by itself (not <a href>, which a person follows).
LOADED_RE = re.compile(
    r"<(?:script|img|iframe|frame|link|source|video|audio|embed|object|track|input)\b"
    r"[^>]*\b(?:src|href|data|srcset|poster)\s*=\s*[\"']\s*((?:https?:)?//[^\"']*)", re.I)
CSS_URL_RE = re.compile(r"url\(\s*[\"']?\s*((?:https?:)?//[^)\"']*)", re.I)
EVENT_HANDLER_RE = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.I)
JS_URL_RE = re.compile(r"\b(?:href|src|action|formaction)\s*=\s*[\"']\s*javascript:", re.I)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def nonce_of(response) -> str:
    [source] = [s for s in directives(response.headers["Content-Security-Policy"])["script-src"]
                if s.startswith("'nonce-")]
    return source[len("'nonce-"):-1]


def header_problems(response) -> list[str]:
    """What is wrong with the headers (and, for HTML, the page) of one response."""
    problems = []
    headers = response.headers
    if headers.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options is not DENY")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("X-Content-Type-Options is not nosniff")
    if headers.get("Referrer-Policy") not in {"same-origin", "no-referrer",
                                              "strict-origin-when-cross-origin"}:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    policy = headers.get("Content-Security-Policy")
    if not policy:
        return problems + ["no Content-Security-Policy"]
    parsed = directives(policy)
    for name, sources in parsed.items():
        for source in sources:
            if source not in ALLOWED_SOURCES and not re.fullmatch(r"'nonce-[\w-]+'", source):
                problems.append(f"CSP {name} allows {source}")
    for needed in ("default-src", "script-src", "object-src", "frame-ancestors", "base-uri"):
        if needed not in parsed:
            problems.append(f"CSP without {needed}")
    if "'unsafe-inline'" in parsed.get("script-src", []):
        problems.append("CSP script-src allows 'unsafe-inline'")
    if parsed.get("frame-ancestors") != ["'none'"]:
        problems.append("CSP frame-ancestors is not 'none'")
    if response.mimetype == "text/html":
        problems += page_problems(response.get_data(as_text=True), nonce_of(response))
    return problems


def page_problems(html: str, nonce: str) -> list[str]:
    problems = []
    for attributes in INLINE_SCRIPT_RE.findall(html):
        if f'nonce="{nonce}"' not in attributes:
            problems.append(f"inline <script{attributes}> without the response's nonce")
    for source in SCRIPT_SRC_RE.findall(html):
        if not source.startswith("/") or source.startswith("//"):
            problems.append(f"script from {source}")
    for found in LOADED_RE.findall(html) + CSS_URL_RE.findall(html):
        problems.append(f"loads {found} from another host")
    for found in EVENT_HANDLER_RE.findall(html):
        problems.append(f"inline event handler: {found[-60:]}")
    if JS_URL_RE.search(html):
        problems.append("javascript: address")
    return problems


# --------------------------------------------------------------------------
# The checks themselves catch what they must
# --------------------------------------------------------------------------

def test_the_page_checks_catch_a_script_without_nonce_a_handler_and_a_cdn():
    nonce = "abc"
    good = ('<script nonce="abc">var a = 1;</script><script src="/static/js/portail.js">'
            '</script><a href="https://www.coeur-dastarac.fr">site</a>'
            '<p>texte onclick=rien</p>')
    assert page_problems(good, nonce) == []
    bad = ('<script>alert(1)</script><script nonce="other">x</script>'
           '<button onclick="go()">x</button><a href="javascript:go()">y</a>'
           '<script src="https://cdn.example.org/jquery.js"></script>'
           '<link rel="stylesheet" href="//fonts.example.org/a.css">'
           '<div style="background: url(https://img.example.org/a.png)"></div>')
    problems = page_problems(bad, nonce)
    assert len([p for p in problems if "without the response's nonce" in p]) == 2
    assert any("inline event handler" in p for p in problems)
    assert "javascript: address" in problems
    assert any("cdn.example.org" in p for p in problems)
    assert any("fonts.example.org" in p for p in problems)
    assert any("img.example.org" in p for p in problems)


def test_the_policy_names_no_other_host_and_no_inline_script():
    parsed = directives(content_security_policy("n0nce"))
    assert parsed["default-src"] == ["'self'"]
    assert parsed["script-src"] == ["'self'", "'nonce-n0nce'"]
    assert parsed["object-src"] == ["'none'"]
    assert parsed["frame-ancestors"] == ["'none'"]
    assert parsed["form-action"] == ["'self'"]


# --------------------------------------------------------------------------
# Every page, as every kind of visitor
# --------------------------------------------------------------------------

@pytest.fixture
def world(app):
    """A household with a child, an agent, an administrator and a period, so that
    id 1 names real rows; returns the users' ids."""
    with app.app_context():
        household = factories.make_household()
        child = factories.make_child(household)
        family = factories.make_user("Famille", household=household)
        agent = factories.make_user("Agent")
        admin = factories.make_user("Admin")
        period = factories.make_period()
        factories.make_presence(child, period=period)
        factories.make_news()
        factories.make_page()
        factories.make_public_document()
        return {"Famille": family.id, "Agent": agent.id, "Admin": admin.id}


def _client_for(app, role, world):
    client = app.test_client()
    if role != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = str(world[role])
            session["_fresh"] = True
    return client


@pytest.mark.parametrize("role", ["anonymous", "Famille", "Agent", "Admin"])
def test_every_page_carries_the_headers_and_a_policy_its_scripts_obey(app, world, role):
    client = _client_for(app, role, world)
    problems = []
    walked = html_pages = 0
    nonces = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        for url in urls_for(rule)[:1]:
            response = client.get(url)
            walked += 1
            if response.status_code == 200 and response.mimetype == "text/html":
                html_pages += 1
                nonces.add(nonce_of(response))
            for problem in header_problems(response):
                problems.append(f"{rule.endpoint} {url} ({response.status_code}): {problem}")
    assert walked > 50
    assert html_pages >= (3 if role == "anonymous" else 10)
    # A new nonce for every page.
    assert len(nonces) == html_pages
    assert problems == [], "\n".join(problems[:40])


def test_static_files_and_error_pages_carry_the_headers_too(client):
    for url in ("/static/js/portail.js", "/static/appbuilder/js/ab.js",
                "/static/nothing-here.js", "/page-qui-n-existe-pas"):
        response = client.get(url)
        assert response.status_code in {200, 404}
        assert header_problems(response) == [], url


def test_the_error_page_when_the_form_expired_carries_the_headers(client):
    response = client.post("/login/", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "Content-Security-Policy" in response.headers
    assert header_problems(response) == []


def test_strict_transport_security_only_behind_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    saved = app.config["SESSION_COOKIE_SECURE"]
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = client.get("/")
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.config["SESSION_COOKIE_SECURE"] = saved


def test_csp_can_be_switched_off_for_debugging_only_by_setting(app, client):
    app.config["CSP_ENABLED"] = False
    try:
        assert "Content-Security-Policy" not in client.get("/").headers
    finally:
        app.config.pop("CSP_ENABLED", None)
    assert "Content-Security-Policy" in client.get("/").headers


# --------------------------------------------------------------------------
# Cookies
# --------------------------------------------------------------------------

def _login(client, username, password=factories.PASSWORD):
    html = client.get("/login/").get_data(as_text=True)
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": csrf_token_from(html)})


def _session_cookie_header(response) -> str:
    [cookie] = [value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("session=")]
    return cookie


def test_the_session_cookie_is_httponly_and_samesite_lax(app, client):
    with app.app_context():
        user = factories.make_user("Famille")
        username = user.username
    response = _login(client, username)
    assert response.status_code == 302
    cookie = _session_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development: plain http on 127.0.0.1


def test_the_session_cookie_is_secure_in_production(app, client):
    settings = config.from_environment({"PORTAIL_ENV": "production", "SECRET_KEY": "k" * 40,
                                        "PORTAIL_BASE_URL": "https://portail.example.org"})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config.from_environment({}).get("SESSION_COOKIE_SECURE") is not True
    with app.app_context():
        username = factories.make_user("Agent").username
    saved = {key: app.config.get(key) for key in ("SESSION_COOKIE_SECURE",)}
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = _login(client, username)
        cookie = _session_cookie_header(response)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.config.update(saved)


@pytest.mark.parametrize("environ", [
    {"PORTAIL_ENV": "production", "PORTAIL_BASE_URL": "https://portail.example.org"},
    {"PORTAIL_ENV": "production", "PORTAIL_BASE_URL": "https://portail.example.org",
     "SECRET_KEY": "trop-court"},
    {"PORTAIL_ENV": "production", "PORTAIL_BASE_URL": "https://portail.example.org",
     "SECRET_KEY": "k" * 31},
])
def test_production_refuses_a_missing_or_short_secret_key_in_french(environ):
    with pytest.raises(config.ConfigError) as caught:
        config.from_environment(environ)
    assert caught.value.french().startswith(
        "SECRET_KEY : obligatoire en production, au moins 32 caractères")


# --------------------------------------------------------------------------
# Session fixation: logging in starts a new session
# --------------------------------------------------------------------------

def test_what_was_planted_in_the_session_before_login_does_not_survive(app, client):
    with app.app_context():
        user = factories.make_user("Famille")
        username, user_id = user.username, user.id
    client.get("/login/")
    with client.session_transaction() as session:
        session["booking_draft"] = {"child_id": 999, "period_id": 999, "days": []}
        session["_fresh"] = True
        session["_id"] = "identifiant-de-l-attaquant"
        session["planted"] = "par un tiers"
        planted_cookie = client.get_cookie("session").value
    response = _login(client, username)
    assert response.status_code == 302 and response.headers["Location"].endswith("/compte/")
    with client.session_transaction() as session:
        assert session["_user_id"] == str(user_id)
        assert "booking_draft" not in session
        assert "planted" not in session
        assert session.get("_id") != "identifiant-de-l-attaquant"
    assert client.get_cookie("session").value != planted_cookie
    # and the new session works
    assert client.get("/compte/").status_code == 200


def test_a_failed_login_does_not_log_anyone_in(app, client):
    with app.app_context():
        username = factories.make_user("Famille").username
    response = _login(client, username, password="pas le bon mot de passe")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logout_forgets_the_wizard_draft(app, client):
    with app.app_context():
        username = factories.make_user("Famille").username
    _login(client, username)
    with client.session_transaction() as session:
        session["booking_draft"] = {"child_id": 1, "period_id": 1, "days": []}
    client.get("/logout/")
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert "booking_draft" not in session


# --------------------------------------------------------------------------
# Links sent by e-mail work once
# --------------------------------------------------------------------------

def _outbox_links(app, template, part):
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    with app.app_context():
        bodies = db.session.scalars(select(OutgoingEmail.body_text).where(
            OutgoingEmail.template == template).order_by(OutgoingEmail.id)).all()
    return [re.search(r"http://localhost(/compte/%s/\S+)" % part, body).group(1)
            for body in bodies]


def _post_form(client, url, data):
    html = client.get(url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token_from(html)})


def _password_hash(app, username):
    with app.app_context():
        return app.appbuilder.sm.find_user(username=username).password


def test_a_reset_link_works_once_and_a_newer_link_retires_the_older(app, client):
    with app.app_context():
        username = factories.make_user("Famille").username
    _post_form(client, "/compte/mot-de-passe-oublie", {"email": username})
    _post_form(client, "/compte/mot-de-passe-oublie", {"email": username})
    older, newer = _outbox_links(app, "families_reset", "nouveau-mot-de-passe")
    refused = client.get(older)
    assert refused.status_code == 400
    assert "déjà été utilisé" in refused.get_data(as_text=True).replace("&#39;", "'")
    before = _password_hash(app, username)
    # a POST on the retired link (token taken from the valid page) changes nothing
    token = csrf_token_from(client.get(newer).get_data(as_text=True))
    response = client.post(older, data={"password": "un mot de passe tout neuf",
                                        "confirm": "un mot de passe tout neuf",
                                        "csrf_token": token})
    assert response.status_code == 400
    assert _password_hash(app, username) == before
    done = _post_form(client, newer, {"password": "un mot de passe tout neuf",
                                      "confirm": "un mot de passe tout neuf"})
    assert done.status_code == 302
    changed = _password_hash(app, username)
    assert changed != before
    again = client.post(newer, data={"password": "encore un autre mot de passe",
                                     "confirm": "encore un autre mot de passe",
                                     "csrf_token": token})
    assert again.status_code == 400
    assert "déjà été utilisé" in again.get_data(as_text=True).replace("&#39;", "'")
    assert _password_hash(app, username) == changed


def test_an_address_check_link_works_once_and_a_new_link_retires_the_older(app, client):
    _post_form(client, "/compte/creer", {"email": "lien@exemple.test",
                                         "password": "quatre chats jouent au soleil",
                                         "confirm": "quatre chats jouent au soleil"})
    _post_form(client, "/compte/renvoyer-lien", {"email": "lien@exemple.test"})
    older, newer = _outbox_links(app, "families_verify", "confirmer")
    assert client.get(older).status_code == 400
    assert _post_form(client, newer, {}).status_code == 302
    assert client.get(newer).status_code == 400
    assert client.post(newer, data={"csrf_token": "x"}).status_code == 400


def test_an_invitation_link_makes_one_login_only(app, client):
    from app.core import clock
    from app.extensions import db
    from app.families import services

    with app.app_context():
        household = factories.make_household()
        factories.make_user("Famille", household=household)
        link = services.issue_token("invite", clock.now(),
                                    household=household, email="invite@exemple.test")
        db.session.commit()
    path = f"/compte/invitation/{link}"
    done = _post_form(client, path, {"password": "quatre chats jouent au soleil",
                                     "confirm": "quatre chats jouent au soleil"})
    assert done.status_code == 302
    again = client.get(path)
    assert again.status_code == 400
    with app.app_context():
        users = db.session.scalars(select(app.appbuilder.sm.user_model).where(
            app.appbuilder.sm.user_model.email == "invite@exemple.test")).all()
    assert len(users) == 1
