"""Faults: what a family and the service notice when something breaks.

(a) the mail server is down: nothing is lost, the outbox sends later;
(b) the database fails in the middle of a request: the French error page,
    nothing half-written, and the portal works again afterwards (on
    PostgreSQL: its connections killed under it, pool_pre_ping reconnects);
(c) a crash between the wizard's steps: nothing recorded, in a new session
    or after a restart of the app, and the parent can start over.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from app.bookings.models import Presence, PresenceHistory, Request
from app.core.models import AuditLog
from app.notifications.models import OutgoingEmail
from tests import factories
from tests.bookings.conftest import NOW, WED, WED2, journee, make_family
from tests.conftest import csrf_token_from, login

ROOT = Path(__file__).resolve().parent.parent
W = "/compte/reservations/nouvelle"


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch):
    """No test here logs in with a password: cheap hashes for the factories."""
    import flask_appbuilder.security.sqla.manager as fab_manager
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(fab_manager, "generate_password_hash",
                        lambda password, **_kw: generate_password_hash(
                            password, method="pbkdf2:sha256:1"))


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _post(client, url, data, page=None):
    token = csrf_token_from(_text(client.get(page or url)))
    return client.post(url, data=dict(data, csrf_token=token))


def _count(model, *where) -> int:
    from app.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _draft_two_days(client, family, period) -> None:
    """Nouvelle réservation -> the child -> the period -> two days (the draft)."""
    _draft_ids(client, family.child.id, period.id, journee(period).id)


def _draft_ids(client, child_id, period_id, unit_id) -> None:
    assert _post(client, W, {"child": child_id}).status_code == 302
    assert _post(client, W + "/periode", {"period": period_id}).status_code == 302
    assert "Septembre 2026" in _text(client.get(W + "/planning"))
    for day in (WED, WED2):
        response = _post(client, W + f"/jour/{day.isoformat()}", {"unit": unit_id})
        assert response.status_code == 302


def _assert_error_page(response, code: int) -> None:
    page = _text(response)
    assert response.status_code == code
    assert "<html" in page and "Portail Famille" in page  # the portal's layout
    if code == 500:
        assert "Erreur du serveur" in page
        assert "Rien n'a été enregistré" in page
    else:
        assert "Service indisponible" in page
        assert "Le portail est momentanément indisponible" in page
    assert "Traceback" not in page and "Internal Server Error" not in page


# --------------------------------------------------------------------------
# (a) SMTP down
# --------------------------------------------------------------------------

def _queue_three(now) -> list[int]:
    from app.extensions import db
    from app.notifications.services import queue_email

    ids = []
    for i in range(3):
        email = queue_email(f"parent{i}@exemple.test", "families_validated", now,
                            first_name="Camille", name="Camille ESSAI")
        db.session.flush()
        ids.append(email.id)
    db.session.commit()
    return ids


def test_smtp_down_loses_nothing_and_the_outbox_sends_later(db):
    from app.notifications.services import RETRY_DELAYS, send_due

    now = dt.datetime(2026, 9, 7, 9, 0)
    ids = _queue_three(now)

    def smtp_down(_email):
        raise ConnectionRefusedError(111, "Connection refused")

    assert send_due(now, sender=smtp_down) == (0, 3)
    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
    assert [e.id for e in emails] == ids
    for email in emails:
        assert email.status == "failed" and email.attempts == 1 and email.sent_at is None
        assert "ConnectionRefusedError" in email.last_error
        assert email.next_attempt_at == now + RETRY_DELAYS[0]
        assert email.body_text.strip()  # the message itself is kept

    sent = []
    # the server is back, but the retry is not due yet: nothing is sent twice
    assert send_due(now + dt.timedelta(minutes=1), sender=sent.append) == (0, 0)
    # down again at the first retry: the next retry waits longer
    assert send_due(now + RETRY_DELAYS[0], sender=smtp_down) == (0, 3)
    db.session.expire_all()
    assert {e.attempts for e in db.session.scalars(select(OutgoingEmail))} == {2}
    later = now + RETRY_DELAYS[0] + RETRY_DELAYS[1]
    assert all(e.next_attempt_at == later for e in db.session.scalars(select(OutgoingEmail)))
    # back for good: every e-mail goes, once
    assert send_due(later, sender=sent.append) == (3, 0)
    assert sorted(e.id for e in sent) == ids
    db.session.expire_all()
    for email in db.session.scalars(select(OutgoingEmail)):
        assert email.status == "sent" and email.sent_at == later and email.attempts == 3
        assert email.last_error is None
    assert send_due(later + dt.timedelta(days=1), sender=sent.append) == (0, 0)
    assert len(sent) == 3


def test_send_mail_command_with_the_mail_server_down_exits_cleanly_and_keeps_the_mail(app, db):
    """``flask --app run portail send-mail`` with MAIL_SERVER on a closed port."""
    from app.core import clock

    queued_at = clock.now() - dt.timedelta(minutes=1)
    ids = _queue_three(queued_at)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    try:
        env = dict(os.environ)
        env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], PORTAIL_ENV="development",
                   MAIL_SERVER="127.0.0.1", MAIL_PORT=str(closed.getsockname()[1]),
                   UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"],
                   PUBLIC_UPLOAD_FOLDER=app.config["PUBLIC_UPLOAD_FOLDER"])
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", "portail",
                               "send-mail"], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=180)
    finally:
        closed.close()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output
    assert "0 e-mail(s) envoyé(s), 3 en échec (nouvel essai plus tard)." in output
    db.session.expire_all()
    emails = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
    assert [e.id for e in emails] == ids
    for email in emails:
        assert email.status == "failed" and email.attempts == 1 and email.sent_at is None
        assert "ConnectionRefusedError" in email.last_error
        assert email.next_attempt_at > email.created_at


# --------------------------------------------------------------------------
# (b) the database fails mid-traffic
# --------------------------------------------------------------------------

class DatabaseFault:
    """Fail every statement sent to the database after a trigger: after the
    first INSERT INTO presence (``after="presence"``), or at once."""

    def __init__(self, engine, after: str | None = None):
        self.engine = engine
        self.armed = after is None
        self.after = after
        self.failures = 0

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.armed:
            self.failures += 1
            raise OperationalError(statement, parameters,
                                   ConnectionError("server closed the connection unexpectedly"))
        if self.after and statement.lstrip().upper().startswith(
                f"INSERT INTO {self.after.upper()} "):
            self.armed = True

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        return False


@pytest.fixture
def error_pages(app, monkeypatch):
    """Errors go to the portal's error handlers, as in production (TESTING
    makes Flask re-raise them to the test client otherwise)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def test_a_booking_failing_after_the_first_presence_insert_writes_nothing(
        app, db, client, now, error_pages):
    family = make_family()
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                   requires_documents=False)
    login(client, family.user)
    _draft_two_days(client, family, period)
    token = csrf_token_from(_text(client.get(W + "/recapitulatif")))
    with DatabaseFault(db.engine, after="presence") as fault:
        response = client.post(W + "/valider", data={"csrf_token": token})
    assert fault.armed and fault.failures >= 1  # the presences were sent, then it broke
    _assert_error_page(response, 500)
    for model in (Request, Presence, PresenceHistory, OutgoingEmail):
        assert _count(model) == 0, model.__name__
    assert _count(AuditLog, AuditLog.action == "booking.create") == 0

    # the database is back: the same draft is still there, Valider records it once
    page = _text(client.get(W + "/recapitulatif"))
    assert "Mercredi 9 Septembre 2026" in page and "Mercredi 16 Septembre 2026" in page
    page = _text(_post(client, W + "/valider", {}, page=W + "/recapitulatif"))
    assert "Votre demande a été enregistrée" in page
    assert _count(Request) == 1 and _count(Presence) == 2


@pytest.mark.parametrize("broken", ["audit", "email"])
def test_book_failing_after_its_presences_are_written_leaves_nothing(db, now, monkeypatch,
                                                                      broken):
    """The engine itself: a failure after the presence rows were sent (the
    audit entry, or the e-mail to the outbox) rolls the whole request back."""
    from app.bookings import services
    from app.bookings.services import notify
    from app.core import audit

    family = make_family()
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                   requires_documents=False)
    written = []

    def fail(*_args, **_kwargs):
        written.append(db.session.scalar(select(func.count(Presence.id))))
        raise OperationalError("INSERT …", {}, ConnectionError("connection lost"))

    with monkeypatch.context() as patch, pytest.raises(OperationalError):
        if broken == "audit":
            patch.setattr(audit, "record", fail)
        else:
            patch.setattr(notify, "queue_email", fail)
        services.book(family.user, NOW, family.household, family.child, period,
                      [(WED, journee(period).id), (WED2, journee(period).id)])
    assert written == [2]  # the two presences were in the transaction when it broke
    for model in (Request, Presence, PresenceHistory, OutgoingEmail, AuditLog):
        assert _count(model) == 0, model.__name__
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, journee(period).id)])
    assert len(result.pending) == 1 and _count(Request) == 1 and _count(Presence) == 1


def test_the_database_going_away_mid_traffic_shows_the_french_error_page(
        app, db, client, now, error_pages):
    family = make_family()
    factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027", requires_documents=False)
    login(client, family.user)
    assert client.get("/compte/planning/").status_code == 200
    db.session.remove()
    with DatabaseFault(db.engine):
        for url in ("/compte/planning/", W, "/"):
            _assert_error_page(client.get(url), 500)
    # back: the same pages answer again, nothing to restart
    assert client.get("/compte/planning/").status_code == 200
    assert "Nouvelle Réservation" in _text(client.get(W))


def test_the_portal_reconnects_after_its_connections_are_killed(app, db, client, now):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("kills the server-side connections: PostgreSQL only "
                    "(SQLite has no server connection to lose)")
    family = make_family()
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                   requires_documents=False)
    login(client, family.user)
    ids = (family.child.id, period.id, journee(period).id)
    assert client.get("/compte/planning/").status_code == 200  # the pool holds connections
    db.session.remove()
    database = db.engine.url.database
    with db.engine.connect() as probe:
        own = probe.scalar(text("SELECT pg_backend_pid()"))
    from sqlalchemy import create_engine

    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT", poolclass=None)
    try:
        with admin.connect() as connection:
            killed = connection.scalar(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": database})
            assert killed >= 1
            alive = connection.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": own})
            assert alive == 0
    finally:
        admin.dispose()
    # pool_pre_ping: the dead connections are replaced, the family notices nothing
    assert client.get("/compte/planning/").status_code == 200
    _draft_ids(client, *ids)
    page = _text(_post(client, W + "/valider", {}, page=W + "/recapitulatif"))
    assert "Votre demande a été enregistrée" in page
    assert _count(Request) == 1 and _count(Presence) == 2


# --------------------------------------------------------------------------
# (c) a crash between the wizard's steps
# --------------------------------------------------------------------------

def test_a_parent_leaving_after_the_planning_step_records_nothing(app, db, client, now):
    family = make_family()
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                   requires_documents=False)
    login(client, family.user)
    _draft_two_days(client, family, period)
    assert _count(Request) == 0 and _count(Presence) == 0
    # the browser closes (its session cookie is gone); a new session tomorrow
    with app.test_client() as other:
        login(other, family.user)
        response = other.get(W + "/recapitulatif")
        assert response.status_code == 302 and response.headers["Location"].endswith(W)
        page = _text(other.get("/compte/planning/?mois=2026-09"))
        assert "Mon planning" in page
    assert _count(Request) == 0 and _count(Presence) == 0 and _count(OutgoingEmail) == 0


def _restarted_app(app):
    from app import create_app

    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "UPLOAD_FOLDER",
            "PUBLIC_UPLOAD_FOLDER", "RATELIMIT_ENABLED", "SERVER_NAME", "PORTAIL_BASE_URL")
    return create_app({key: app.config[key] for key in keys})


def test_a_restart_in_the_middle_of_the_wizard_records_nothing_and_the_parent_starts_over(
        app, db, client, now):
    family = make_family()
    period = factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                   requires_documents=False)
    login(client, family.user)
    _draft_two_days(client, family, period)
    cookie = client.get_cookie("session", domain="localhost")
    assert cookie is not None

    restarted = _restarted_app(app)  # a new process would build exactly this
    try:
        with restarted.app_context():
            from app.extensions import db as restarted_db

            assert restarted_db.session.scalar(select(func.count(Request.id))) == 0
            assert restarted_db.session.scalar(select(func.count(Presence.id))) == 0
            restarted_db.session.remove()
        with restarted.test_client() as browser:
            # the same browser after the restart: its draft, still nothing recorded
            browser.set_cookie("session", cookie.value, domain="localhost")
            page = _text(browser.get(W + "/recapitulatif"))
            assert "Récapitulatif de votre demande." in page
            assert _count(Request) == 0 and _count(Presence) == 0
        with restarted.test_client() as browser:
            # a parent whose browser closed meanwhile starts over, one day only
            login(browser, family.user)
            assert browser.get(W + "/recapitulatif").headers["Location"].endswith(W)
            assert _post(browser, W, {"child": family.child.id}).status_code == 302
            page = _text(browser.get(W + "/periode"))
            assert "ACM MERCREDI MATERNELLE 2026-2027" in page
            assert _post(browser, W + "/periode", {"period": period.id}).status_code == 302
            response = _post(browser, W + f"/jour/{WED.isoformat()}",
                             {"unit": journee(period).id})
            assert response.status_code == 302
            page = _text(_post(browser, W + "/valider", {}, page=W + "/recapitulatif"))
            assert "Votre demande a été enregistrée" in page
    finally:
        with restarted.app_context():
            from app.extensions import db as restarted_db

            restarted_db.session.remove()
            restarted_db.engine.dispose()
    assert _count(Request) == 1
    assert [p.date for p in db.session.scalars(select(Presence))] == [WED]


def test_a_portal_started_while_the_database_is_down_answers_503_in_french(app):
    from app import create_app

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # nothing listens there: the database is "down"
    try:
        down = create_app({
            "TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI":
                f"postgresql://portail@127.0.0.1:{closed.getsockname()[1]}/portail",
            "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
            "PUBLIC_UPLOAD_FOLDER": app.config["PUBLIC_UPLOAD_FOLDER"],
            "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
        with down.test_client() as browser:
            for url in ("/", "/login/", "/compte/planning/"):
                _assert_error_page(browser.get(url), 503)
    finally:
        closed.close()
