"""Test harness.

- One app per test session on a database built by the migrations: PostgreSQL
  when TEST_DATABASE_URL is set (CI runs the suite on both), else a SQLite
  file in a temporary folder.
- After each test every table is emptied (FAB's roles and permissions
  excepted), so a test may commit, and concurrency tests can use real
  transactions.
- ``login_as(role)`` creates a user of that role and logs the test client in;
  ``form_post`` sends a form with its CSRF token, as a browser would.
- ``clock`` freezes the portal's clock; factories in tests/factories.py.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile

import pytest
from sqlalchemy import text

from app.core import clock as portail_clock
from tests import factories

KEEP_TABLES = {
    "ab_permission", "ab_view_menu", "ab_permission_view", "ab_role",
    "ab_permission_view_role", "alembic_version",
}


def _database_url(tmpdir: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{os.path.join(tmpdir, 'test.db')}"


def _reset_schema(app) -> None:
    from app.extensions import db

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def app():
    from app import create_app
    from app.core.cli import sync_permissions, upgrade_database

    tmpdir = tempfile.mkdtemp(prefix="portail-tests-")
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmpdir),
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "UPLOAD_FOLDER": os.path.join(tmpdir, "uploads"),
        "PUBLIC_UPLOAD_FOLDER": os.path.join(tmpdir, "public"),
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PORTAIL_BASE_URL": "http://localhost",
    })
    os.makedirs(application.config["UPLOAD_FOLDER"], exist_ok=True)
    os.makedirs(application.config["PUBLIC_UPLOAD_FOLDER"], exist_ok=True)
    with application.app_context():
        _reset_schema(application)
        upgrade_database()
        sync_permissions()
    yield application


@pytest.fixture(autouse=True)
def _clean_database(request, app):
    yield
    from app.extensions import db, metadata

    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
    portail_clock.freeze(None)


@pytest.fixture
def ctx(app):
    """An application context, for tests that call services directly."""
    with app.app_context():
        yield app
        from app.extensions import db

        db.session.remove()


@pytest.fixture
def db(ctx):
    from app.extensions import db as database

    return database


@pytest.fixture
def client(app):
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def clock():
    """Freeze the portal's clock: ``clock.set(datetime)``; starts at a fixed Monday."""

    class Clock:
        def set(self, moment: dt.datetime):
            portail_clock.freeze(moment)
            return moment

        def now(self):
            return portail_clock.now()

    frozen = Clock()
    frozen.set(dt.datetime(2026, 9, 7, 9, 0))
    yield frozen
    portail_clock.freeze(None)


def login(client, user) -> None:
    """Log the test client in as ``user`` (a FAB user), as Flask-Login would."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


@pytest.fixture
def login_as(app, client):
    """``login_as("Agent")`` -> the user, with the client logged in as them.

    ``login_as("Famille", household=h)`` links the user to a household as its
    primary guardian (a new household by default).
    """

    def _login_as(role: str, **kwargs):
        with app.app_context():
            user = factories.make_user(role, **kwargs)
            user_id = user.id
        with app.app_context():
            from app.extensions import db

            user = db.session.get(app.appbuilder.sm.user_model, user_id)
            login(client, user)
            return user

    return _login_as


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def form_post(client):
    """POST a form the way a browser does: GET the page, take its CSRF token."""

    def _post(url: str, data: dict, page: str | None = None, **kwargs):
        page_html = client.get(page or url).get_data(as_text=True)
        payload = dict(data)
        payload["csrf_token"] = csrf_token_from(page_html)
        return client.post(url, data=payload, **kwargs)

    return _post
