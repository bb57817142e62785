"""Rush load test: the opening morning of the summer bookings.

    python -m benchmarks.rush --database-url postgresql://postgres@127.0.0.1:55432/portail_rush

The database must exist (the script creates nothing on the server, and starts
no database); use a database of its own: the script adds a new period and
300 households to it. Loopback only: every request goes to 127.0.0.1, the
number of requests and the run time are bounded, and it stops by itself.

What it does:

1. migrates the database (``flask --app run db upgrade``) and synchronises the
   roles (``flask --app run portail sync-perms``);
2. prepares, in bulk (SQLAlchemy Core inserts, one pre-computed password hash
   of the portal's own method, scrypt by default): a summer week period
   "CENTRE DE LOISIRS ÉTÉ" (Centres de loisirs, Monday to Friday of the third
   week of July, one régime JOURNEE AVEC REPAS taking the slots matin, repas
   and après-midi, ``--places`` places per slot and day), **accepted at once**
   (no agent step; ``--agents-validate`` makes the days wait for an agent
   instead), opening at a given moment; ``--parents`` validated households,
   each with one child of 8, the e-mail address confirmed and every required
   document accepted, and a login with a known password;
3. starts the portal under gunicorn (``--workers`` workers, ``wsgi:app``) on a
   free loopback port;
4. **before the opening** (``--login-window`` seconds, default 60): every
   simulated parent opens the login page, logs in through the real form
   (CSRF token taken from the page, one loopback source address per parent,
   127.0.1.x, so that the login throttling per address applies as in
   production) and opens "Mon planning", the arrivals spread evenly over the
   window;
5. **at the opening**: every parent goes through the real booking wizard at
   once (``--pool`` threads; the same HTTP requests a browser sends, redirects
   followed, one cookie jar per parent, ``--think`` seconds between clicks):
   Nouvelle réservation -> the child -> the period -> each of the 5 days
   ("Nouvelle présence", the régime, Valider) -> Récapitulatif -> Valider, and
   reads the final page ("Jours acceptés (5)", "Jours en liste d'attente").

It prints ONE JSON line at the end: requests, errors by status, latency
p50/p95/p99 (all requests, and per phase), places held per day (from the
database), parents told booked / waitlisted (final page) and the same from the
database, overbooking (places held above capacity, any slot and day), the
booking time (opening -> last parent answered), and ``ok``: 0 overbooking, 0
server error, every parent told booked or waitlisted, p95 under 1 s and every
parent answered within two minutes of the opening. Exit status 0 when ok.

Useful options: ``--parents``, ``--places``, ``--pool`` (client threads,
default 100), ``--workers`` (gunicorn, default 4), ``--think`` (default 2 s
between clicks; 0 hammers the server back to back), ``--clicks days`` (each
day one by one instead of "Recopier"), ``--agents-validate``,
``--max-seconds`` (hard limit, default 600). Besides latencies the line gives
the CPU bill of a booking request (gunicorn workers and PostgreSQL backends,
read from /proc), the CPU the portal actually got during the rush, and
``capacity_req_per_s_on_free_cores``: what the machine's cores would serve if
nothing else ran on them. The rush needs 300 x 14 booking requests in two
minutes, about 35 requests a second.

Measured on 2026-11-26, 2 vCPU otherwise idle (PostgreSQL 15 and the 300
simulated clients on the same machine; 300 parents, 40 places): ok; 0
overbooking (40 held each day), 0 error, 40 parents told booked and 260 on
the waiting list, the same in the database; logins before the opening p95
158 ms; the rush: 4,200 booking requests at 56 requests/s, p50 259 ms / p95
699 ms / p99 1.18 s, every parent answered 75 s after the opening (all
requests: p95 662 ms). A booking request costs 23 ms of gunicorn CPU + 7 ms
of PostgreSQL CPU. On the same machine loaded by other jobs (load average
7-12, the portal gets 0.55 of a core) correctness holds but speed does not
(p95 8-12 s): run it on the production-sized machine before the opening day.

The short form of the same scenario runs in the test suite on PostgreSQL:
tests/test_rush_short.py (30 parents, 5 places).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import http.client
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WIZARD = "/compte/reservations/nouvelle"
PASSWORD = "Jour d'ouverture des inscriptions 2027"
UNIT_NAME = "JOURNEE AVEC REPAS"
SLOTS = ("matin", "repas", "apres-midi")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
RESULT_RE = {
    "accepted": re.compile(r"Jours acceptés \((\d+)\)"),
    "pending": re.compile(r"Jours en attente de traitement par nos services \((\d+)\)"),
    "waitlisted": re.compile(r"Jours en liste d'attente \(plus de place\) \((\d+)\)"),
}
RECORDED = "Votre demande a été enregistrée"
MAX_REDIRECTS = 5


# --------------------------------------------------------------------------
# The database: migrate, prepare, read the outcome
# --------------------------------------------------------------------------

def _command_env(database_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, PORTAIL_ENV="development", FLASK_DEBUG="0")
    env.update(extra)
    return env


def migrate(database_url: str) -> None:
    """``flask --app run db upgrade`` then ``flask --app run portail sync-perms``."""
    env = _command_env(database_url)
    for args in (("db", "upgrade"), ("portail", "sync-perms")):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "run", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"flask --app run {' '.join(args)} failed:\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def summer_week(today: dt.date) -> list[dt.date]:
    """Monday to Friday of the third week of July to come (after the 14th)."""
    year = today.year if today < dt.date(today.year, 7, 1) else today.year + 1
    monday = dt.date(year, 7, 15)
    monday += dt.timedelta(days=(7 - monday.weekday()) % 7)
    return [monday + dt.timedelta(days=i) for i in range(5)]


@dataclass
class Setup:
    period_id: int
    unit_id: int
    days: list
    capacity: int
    opens_at: dt.datetime
    parents: list  # [(email, child_id)]
    tag: str


def _app(database_url: str, folder: str):
    """The portal in this process (preparation and final counts; no request)."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                       "UPLOAD_FOLDER": os.path.join(folder, "uploads"),
                       "PUBLIC_UPLOAD_FOLDER": os.path.join(folder, "public")})


def prepare(app, parents: int, places: int, opens_at: dt.datetime,
            agents_validate: bool = False) -> Setup:
    """The summer week period and ``parents`` ready-to-book households, in bulk."""
    from flask_appbuilder.security.sqla.models import assoc_user_role
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from app.catalogue.models import Unit
    from app.core import clock
    from app.core.states import DocumentState, HouseholdStatus
    from app.extensions import db
    from app.families.models import (
        Child,
        Document,
        DocumentType,
        Guardian,
        Household,
        HouseholdChild,
    )
    from tests import factories

    tag = dt.datetime.now().strftime("%Y%m%d%H%M%S") + secrets.token_hex(2)
    now = clock.now()
    with app.app_context():
        days = summer_week(now.date())
        kind = factories.make_service_kind(code="centre_loisirs", name="Centres de loisirs")
        facility = factories.make_facility(f"CENTRE DE LOISIRS DU LAC ({tag})")
        period = factories.make_period(
            name=f"CENTRE DE LOISIRS ÉTÉ {days[0].year} – semaine du {days[0]:%d/%m}",
            facility=facility, service_kind=kind, start=days[0], end=days[-1],
            weekdays="0,1,2,3,4", capacity=places, units=((UNIT_NAME, "#e67e22", SLOTS),),
            min_age=3, max_age=12, requires_validation=agents_validate,
            requires_documents=True, waitlist_enabled=True, booking_opens_at=opens_at)
        unit_id = db.session.scalar(select(Unit.id).where(Unit.period_id == period.id))
        from app.catalogue.services import opening_dates

        opening = opening_dates(period.id)
        if opening != days:
            raise RuntimeError(f"unexpected opening days {opening} (wanted {days})")

        types = db.session.scalars(select(DocumentType).where(DocumentType.required.is_(True))
                                   ).all()
        if not types:  # the checks must run: one household piece, one per child
            db.session.add_all([
                DocumentType(code="attestation_assurance", name="Attestation d'assurance",
                             scope="household", required=True, position=1),
                DocumentType(code="carnet_vaccinations", name="Carnet de vaccinations",
                             scope="child", required=True, position=2)])
            db.session.commit()
            types = db.session.scalars(select(DocumentType)
                                       .where(DocumentType.required.is_(True))).all()

        sm = app.appbuilder.sm
        password_hash = generate_password_hash(
            PASSWORD, method=app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
            salt_length=app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
        role_id = sm.find_role("Famille").id
        connection = db.session.connection()

        def insert_ids(table, rows):
            statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return list(connection.execute(statement, rows).scalars())

        past = now - dt.timedelta(days=30)
        household_ids = insert_ids(Household.__table__, [dict(
            address=f"{i % 90 + 1} rue des Écoles", postcode="99110",
            city="Villeneuve-des-Coteaux", phone="01 02 03 04 05", family_situation="married",
            benefits_regime="CAF", allocataire_number=f"{i:07d}", quotient_familial=700,
            qf_checked=True, status=HouseholdStatus.VALIDATED.value, created_at=past,
            conditions_accepted_at=past, submitted_at=past, validated_at=past)
            for i in range(parents)])
        emails = [f"parent{i + 1:03d}.{tag}@rush.test" for i in range(parents)]
        user_ids = insert_ids(sm.user_model.__table__, [dict(
            first_name="Parent", last_name=f"RUSH{i + 1:03d}", username=email, email=email,
            password=password_hash, active=True, created_on=past, changed_on=past,
            login_count=0, fail_login_count=0) for i, email in enumerate(emails)])
        connection.execute(insert(assoc_user_role),
                           [dict(user_id=u, role_id=role_id) for u in user_ids])
        connection.execute(insert(Guardian.__table__), [dict(
            household_id=h, user_id=u, position=0, civility="Mme", first_name="Parent",
            last_name=f"RUSH{i + 1:03d}", email=email, email_verified_at=past,
            mobile_phone="06 01 02 03 04", relationship_to_child="Mère")
            for i, (h, u, email) in enumerate(zip(household_ids, user_ids, emails))])
        child_ids = insert_ids(Child.__table__, [dict(
            first_name="Enfant", last_name=f"RUSH{i + 1:03d}",
            birth_date=dt.date(days[0].year - 8, 3, 14), sex="F" if i % 2 else "M",
            image_rights=True, created_at=past) for i in range(parents)])
        connection.execute(insert(HouseholdChild.__table__), [
            dict(household_id=h, child_id=c) for h, c in zip(household_ids, child_ids)])
        documents = []
        for h, c, u in zip(household_ids, child_ids, user_ids):
            for doc_type in types:
                documents.append(dict(
                    household_id=h, child_id=c if doc_type.scope == "child" else None,
                    document_type_id=doc_type.id, original_filename="piece.pdf",
                    stored_name=secrets.token_hex(16) + ".pdf", content_type="application/pdf",
                    size=1024, state=DocumentState.ACCEPTED.value, uploaded_at=past,
                    uploaded_by_id=u, checked_at=past,
                    expires_on=dt.date(days[-1].year + 1, 12, 31)))
        if documents:
            connection.execute(insert(Document.__table__), documents)
        db.session.commit()
        setup = Setup(period_id=period.id, unit_id=unit_id, days=days, capacity=places,
                      opens_at=opens_at, parents=list(zip(emails, child_ids)), tag=tag)
        db.session.remove()
    return setup


def database_outcome(app, setup: Setup) -> dict:
    """Places held per day and slot, overbooking, and each household's states."""
    from sqlalchemy import func, select

    from app.bookings.models import Presence, Request
    from app.catalogue.models import Slot, SlotDay, UnitSlot
    from app.core.states import HOLDING_STATES
    from app.extensions import db

    with app.app_context():
        held = dict(db.session.execute(
            select(Presence.date, func.count(Presence.id))
            .where(Presence.period_id == setup.period_id, Presence.state.in_(HOLDING_STATES))
            .group_by(Presence.date)).all())
        per_slot = db.session.execute(
            select(UnitSlot.slot_id, Presence.date, func.count(Presence.id))
            .join(UnitSlot, UnitSlot.unit_id == Presence.unit_id)
            .where(Presence.period_id == setup.period_id, Presence.state.in_(HOLDING_STATES))
            .group_by(UnitSlot.slot_id, Presence.date)).all()
        capacity = {(slot_id, day): cap for slot_id, day, cap in db.session.execute(
            select(SlotDay.slot_id, SlotDay.date,
                   func.coalesce(SlotDay.capacity_override, Slot.capacity))
            .join(Slot, Slot.id == SlotDay.slot_id).where(Slot.period_id == setup.period_id))}
        overbooking = sum(max(0, count - capacity.get((slot_id, day), 0))
                          for slot_id, day, count in per_slot)
        states = defaultdict(Counter)
        for household_id, state in db.session.execute(
                select(Presence.household_id, Presence.state)
                .where(Presence.period_id == setup.period_id)):
            states[household_id][state] += 1
        requests = db.session.scalar(select(func.count(Request.id))
                                     .where(Request.period_id == setup.period_id))
        db.session.remove()
    booked = sum(1 for c in states.values() if set(c) <= set(HOLDING_STATES))
    waitlisted = sum(1 for c in states.values() if set(c) == {"waitlisted"})
    return {
        "places_held_per_day": {d.isoformat(): held.get(d, 0) for d in setup.days},
        "overbooking": overbooking,
        "db_households_booked": booked,
        "db_households_waitlisted": waitlisted,
        "db_households_mixed": len(states) - booked - waitlisted,
        "db_requests": requests,
        "db_presences": sum(sum(c.values()) for c in states.values()),
    }


# --------------------------------------------------------------------------
# The portal under gunicorn
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def process_cpu_seconds(chosen) -> float:
    """CPU time (user + system, /proc) of the processes ``chosen(pid, ppid)`` picks."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if chosen(int(entry), int(fields[1])):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def database_cpu_seconds(app) -> float:
    """CPU time of the PostgreSQL backends serving this database (same machine);
    0 on SQLite or when the server's processes cannot be read."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return 0.0
        with db.engine.connect() as connection:
            pids = set(connection.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")))
    return process_cpu_seconds(lambda pid, _ppid: pid in pids)


class Gunicorn:
    """``gunicorn --workers N wsgi:app`` on a loopback port; stopped on exit."""

    def __init__(self, database_url: str, workers: int = 4, port: int | None = None):
        self.port = port or free_port()
        self.folder = tempfile.mkdtemp(prefix="portail-rush-")
        self.log_path = os.path.join(self.folder, "gunicorn.log")
        env = _command_env(
            database_url, SECRET_KEY=secrets.token_hex(32),
            UPLOAD_FOLDER=os.path.join(self.folder, "uploads"),
            PUBLIC_UPLOAD_FOLDER=os.path.join(self.folder, "public"),
            PORTAIL_BASE_URL=f"http://{HOST}:{self.port}")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers),
             "--bind", f"{HOST}:{self.port}", "--timeout", "60", "--graceful-timeout", "5",
             "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn stopped:\n" + self.log_tail())
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
                connection.request("GET", "/login/", headers={"Connection": "close"})
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer in time:\n" + self.log_tail())

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the gunicorn master and its workers."""
        return process_cpu_seconds(lambda pid, ppid: self.process.pid in (pid, ppid))

    def log_tail(self, size: int = 4000) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------
# Simulated parents
# --------------------------------------------------------------------------

class Budget:
    """A bounded number of requests and a deadline, shared by every parent."""

    def __init__(self, max_requests: int, deadline: float):
        self.left = max_requests
        self.deadline = deadline
        self.lock = threading.Lock()

    def take(self) -> None:
        with self.lock:
            if self.left <= 0:
                raise Stop("request budget spent")
            if time.monotonic() > self.deadline:
                raise Stop("time limit reached")
            self.left -= 1


class Stop(Exception):
    """The parent stops: budget, time limit, error page or broken connection."""


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[str, str, int, float]] = []  # (phase, step, status, seconds)

    def record(self, phase: str, step: str, status: int, seconds: float) -> None:
        with self.lock:
            self.samples.append((phase, step, status, seconds))


class Browser:
    """One parent's browser: http.client, a cookie jar, redirects followed,
    connections from the parent's own loopback address."""

    def __init__(self, port: int, source_ip: str, stats: Stats, budget: Budget,
                 think: float = 0.0):
        self.port = port
        self.source_ip = source_ip
        self.stats = stats
        self.budget = budget
        self.think = think
        self.cookies: dict[str, str] = {}
        self.phase = "login"

    def _store_cookies(self, response) -> None:
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            try:
                jar.load(header)
            except Exception:  # noqa: BLE001 - an odd cookie: ignore it as a browser would
                continue
            for name, morsel in jar.items():
                expired = morsel["max-age"] in ("0", "-1") or "1970" in (morsel["expires"] or "")
                if expired or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def send(self, method: str, path: str, step: str, form: dict | None = None):
        """One HTTP request; returns (status, location, text)."""
        self.budget.take()
        headers = {"Host": f"{HOST}:{self.port}", "Connection": "close",
                   "User-Agent": "Mozilla/5.0 (portail-rush)", "Accept": "text/html",
                   "Accept-Language": "fr-FR,fr;q=0.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{self.port}"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(HOST, self.port, timeout=60,
                                                    source_address=(self.source_ip, 0))
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
        except (OSError, http.client.HTTPException) as error:
            self.stats.record(self.phase, step, -1, time.perf_counter() - started)
            raise Stop(f"{step}: {error.__class__.__name__}") from error
        self.stats.record(self.phase, step, response.status, time.perf_counter() - started)
        self._store_cookies(response)
        location = response.getheader("Location")
        return response.status, location, data.decode("utf-8", "replace")

    def go(self, method: str, path: str, step: str, form: dict | None = None) -> tuple[str, str]:
        """A click or a form: the request, then the redirects a browser follows.
        Returns (final path, page text); stops the parent on an error status."""
        if self.think:
            time.sleep(self.think)
        status, location, text = self.send(method, path, step, form)
        hops = 0
        while status in (301, 302, 303, 307, 308) and location and hops < MAX_REDIRECTS:
            parts = urlsplit(location)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            status, location, text = self.send("GET", path, step + "→", None)
            hops += 1
        if status >= 400:
            raise Stop(f"{step}: HTTP {status}")
        return path, html.unescape(text)


def csrf_token(text: str) -> str:
    match = CSRF_RE.search(text)
    if not match:
        raise Stop("no csrf_token in the page")
    return match.group(1) or match.group(2)


def source_ip(index: int) -> str:
    """127.0.1.1, 127.0.1.2, …: one loopback address per parent."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def log_in(browser: Browser, email: str, month: str) -> None:
    page = browser.go("GET", "/login/", "login page")[1]
    path, page = browser.go("POST", "/login/", "login", {
        "csrf_token": csrf_token(page), "username": email, "password": PASSWORD})
    if path.startswith("/login"):
        raise Stop("login refused")
    browser.go("GET", f"/compte/planning/?mois={month}", "mon planning")


def book_week(browser: Browser, setup: Setup, child_id: int, clicks: str = "recopy") -> dict:
    """The wizard, click by click; the final page's counts."""
    browser.phase = "booking"
    page = browser.go("GET", WIZARD, "nouvelle réservation")[1]
    children = re.findall(r'name="child"[^>]*value="(\d+)"', page)
    child = str(child_id) if str(child_id) in children else (children or [""])[0]
    path, page = browser.go("POST", WIZARD, "usager",
                            {"csrf_token": csrf_token(page), "child": child})
    if f'value="{setup.period_id}"' not in page:
        raise Stop("the period is not offered")
    path, page = browser.go("POST", WIZARD + "/periode", "période", {
        "csrf_token": csrf_token(page), "period": setup.period_id})
    first = setup.days[0].isoformat()
    page = browser.go("GET", f"{WIZARD}/jour/{first}", "journée")[1]
    browser.go("POST", f"{WIZARD}/jour/{first}", "régime", {
        "csrf_token": csrf_token(page), "unit": setup.unit_id})
    if clicks == "recopy":  # "Recopier la sélection" -> "pour une semaine entière"
        page = browser.go("GET", f"{WIZARD}/recopier/{first}", "recopier")[1]
        form = {"csrf_token": csrf_token(page), "mode": "week", "target_day": "",
                "week_day": first, "date_from": "", "date_to": "", "every": "1",
                "confirm": ""}
        page = browser.go("POST", f"{WIZARD}/recopier/{first}", "aperçu", form)[1]
        browser.go("POST", f"{WIZARD}/recopier/{first}", "recopier valider",
                   dict(form, csrf_token=csrf_token(page), confirm="1"))
    else:  # each day: "Nouvelle présence", the régime, "Valider"
        for day in setup.days[1:]:
            page = browser.go("GET", f"{WIZARD}/jour/{day.isoformat()}", "journée")[1]
            browser.go("POST", f"{WIZARD}/jour/{day.isoformat()}", "régime", {
                "csrf_token": csrf_token(page), "unit": setup.unit_id})
    page = browser.go("GET", WIZARD + "/recapitulatif", "récapitulatif")[1]
    page = browser.go("POST", WIZARD + "/valider", "valider", {
        "csrf_token": csrf_token(page), "comment": ""})[1]
    told = {key: int(m.group(1)) if (m := regex.search(page)) else 0
            for key, regex in RESULT_RE.items()}
    told["recorded"] = RECORDED in page
    return told


def _percentile(values: list[float], rank: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank * len(ordered)) - 1)]


def _latency(samples) -> dict:
    values = [s for *_rest, s in samples]
    return {"requests": len(values),
            "p50_ms": round(_percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(_percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(_percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values, default=0) * 1000, 1)}


# --------------------------------------------------------------------------
# The whole scenario
# --------------------------------------------------------------------------

def run_rush(database_url: str, parents: int = 300, places: int = 40, pool: int = 100,
             workers: int = 4, login_window: float = 120.0, think: float = 2.0,
             max_seconds: float = 600.0, agents_validate: bool = False, clicks: str = "recopy",
             cli_migrate: bool = True, log=None) -> dict:
    """Run the rush against ``database_url`` (an existing PostgreSQL or SQLite
    database); returns the figures (the JSON line's content). ``cli_migrate``:
    migrate with the ``flask`` commands (else the same steps in this process);
    ``log``: a function given progress lines (default: stderr)."""
    if log is None:
        def log(message):
            print(message, file=sys.stderr, flush=True)
    started = time.monotonic()
    log(f"rush: migrating {database_url.rsplit('@', 1)[-1]}")
    if cli_migrate:
        migrate(database_url)
    folder = tempfile.mkdtemp(prefix="portail-rush-")
    try:
        return _run(database_url, folder, started, parents, places, pool, workers, login_window,
                    think, max_seconds, agents_validate, clicks, cli_migrate, log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(database_url, folder, started, parents, places, pool, workers, login_window, think,
         max_seconds, agents_validate, clicks, cli_migrate, log) -> dict:
    load_start = round(os.getloadavg()[0], 2)
    hard_deadline = started + max_seconds
    app = _app(database_url, folder)
    if not cli_migrate:  # the same two steps, in this process (quicker: the short test)
        from app.core.cli import sync_permissions, upgrade_database

        with app.app_context():
            upgrade_database()
            sync_permissions()
    timings = {"migrate_s": round(time.monotonic() - started, 1)}
    with app.app_context():
        from app.extensions import db

        dialect = db.engine.dialect.name
    log(f"rush: preparing {parents} households and the summer week ({places} places a day)")
    prep_started = time.monotonic()
    # the opening: after the preparation, gunicorn's start and the login window
    from app.core import clock

    opens_at = clock.now() + dt.timedelta(seconds=3600)
    setup = prepare(app, parents, places, opens_at, agents_validate)
    prep_seconds = time.monotonic() - prep_started
    stats = Stats()
    outcomes: dict[int, dict] = {}
    stops: Counter = Counter()
    budget = Budget(max_requests=parents * 40, deadline=hard_deadline)
    month = f"{setup.days[0]:%Y-%m}"
    with Gunicorn(database_url, workers=workers) as server:
        log(f"rush: gunicorn ({workers} workers) on {HOST}:{server.port}")
        booting = time.monotonic()
        server.wait_ready()
        timings["gunicorn_start_s"] = round(time.monotonic() - booting, 1)
        browsers = [Browser(server.port, source_ip(i), stats, budget)
                    for i in range(parents)]

        # before the opening: parents arrive and log in, spread over the window
        login_started = time.monotonic()
        gap = login_window / parents if parents else 0

        def arrive(index: int):
            wait = login_started + index * gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                log_in(browsers[index], setup.parents[index][0], month)
                return True
            except Stop as stop:
                stops[f"login: {stop}"] += 1
                return False

        log(f"rush: {parents} parents log in over {login_window:.0f} s")
        with ThreadPoolExecutor(max_workers=pool) as executor:
            logged = list(executor.map(arrive, range(parents)))
        login_seconds = time.monotonic() - login_started

        # the opening: the period opens now, everybody books at once
        opening_moment = clock.now().replace(microsecond=0)
        with app.app_context():
            from app.catalogue.models import Period
            from app.extensions import db

            db.session.get(Period, setup.period_id).booking_opens_at = opening_moment
            db.session.commit()
            db.session.remove()
        answered_at: dict[int, float] = {}

        def rush(index: int):
            if not logged[index]:
                return
            browser = browsers[index]
            browser.think = think
            try:
                outcomes[index] = book_week(browser, setup, setup.parents[index][1], clicks)
                answered_at[index] = time.monotonic()
            except Stop as stop:
                stops[f"booking: {stop}"] += 1

        log(f"rush: the period opens; {sum(logged)} parents book the same week")
        booking_started = time.monotonic()
        cpu_before = server.cpu_seconds()
        db_cpu_before = database_cpu_seconds(app)
        with ThreadPoolExecutor(max_workers=pool) as executor:
            list(executor.map(rush, range(parents)))
        booking_seconds = (max(answered_at.values()) - booking_started) if answered_at else 0.0
        server_cpu = server.cpu_seconds() - cpu_before
        db_cpu = max(0.0, database_cpu_seconds(app) - db_cpu_before)
        server_log = server.log_tail(1500)

    outcome = database_outcome(app, setup)
    n_days = len(setup.days)
    told_booked = sum(1 for o in outcomes.values()
                      if o["accepted"] + o["pending"] == n_days and not o["waitlisted"])
    told_waitlisted = sum(1 for o in outcomes.values()
                          if o["waitlisted"] == n_days and not (o["accepted"] + o["pending"]))
    told_mixed = sum(1 for o in outcomes.values()
                     if o["waitlisted"] and o["accepted"] + o["pending"]
                     and o["waitlisted"] + o["accepted"] + o["pending"] == n_days)
    statuses = Counter(status for _p, _s, status, _t in stats.samples)
    errors = {("connection" if status < 0 else str(status)): count
              for status, count in sorted(statuses.items()) if status < 0 or status >= 400}
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    overall = _latency(stats.samples)
    phases = {phase: _latency([s for s in stats.samples if s[0] == phase])
              for phase in ("login", "booking")}
    steps = defaultdict(list)
    for _phase, step, _status, seconds in stats.samples:
        steps[step.rstrip("→")].append(seconds)
    answered = told_booked + told_waitlisted + told_mixed
    n_booking = phases["booking"]["requests"] or 1
    result = {
        "benchmark": "rush",
        "database": dialect,
        "gunicorn_workers": workers,
        "parents": parents,
        "places_per_day": places,
        "days": [d.isoformat() for d in setup.days],
        "validation": "agents" if agents_validate else "accepted at once",
        "clicks": clicks,
        "cpus": os.cpu_count(),
        "loadavg_1min_start": load_start,
        "loadavg_1min_end": round(os.getloadavg()[0], 2),
        "pool": pool,
        "think_s": think,
        **timings,
        "prepare_s": round(prep_seconds, 1),
        "login_window_s": login_window,
        "login_s": round(login_seconds, 1),
        "booking_s": round(booking_seconds, 1),
        "requests": overall["requests"],
        "requests_per_s_booking": round(phases["booking"]["requests"] / booking_seconds, 1)
        if booking_seconds else 0,
        # CPU bill of one booking request (gunicorn workers, PostgreSQL backends),
        # the CPU the portal actually got (cores), and the requests a second the
        # machine's cores could serve if nothing else ran on them
        "server_cpu_ms_per_booking_request": round(server_cpu * 1000 / n_booking, 1),
        "database_cpu_ms_per_booking_request": round(db_cpu * 1000 / n_booking, 1),
        "portal_cpu_cores_used": round((server_cpu + db_cpu) / booking_seconds, 2)
        if booking_seconds else 0,
        "capacity_req_per_s_on_free_cores": round(
            (os.cpu_count() or 1) * n_booking / (server_cpu + db_cpu), 1)
        if server_cpu + db_cpu else 0,
        "errors": errors,
        "server_errors": server_errors,
        "p50_ms": overall["p50_ms"], "p95_ms": overall["p95_ms"], "p99_ms": overall["p99_ms"],
        "max_ms": overall["max_ms"],
        "phases": phases,
        "steps_p95_ms": {name: round(_percentile(values, 0.95) * 1000, 1)
                         for name, values in steps.items()},
        "places_held_per_day": outcome["places_held_per_day"],
        "overbooking": outcome["overbooking"],
        "told_booked": told_booked,
        "told_waitlisted": told_waitlisted,
        "told_mixed": told_mixed,
        "told_nothing": parents - answered,
        "db_households_booked": outcome["db_households_booked"],
        "db_households_waitlisted": outcome["db_households_waitlisted"],
        "db_households_mixed": outcome["db_households_mixed"],
        "db_requests": outcome["db_requests"],
        "db_presences": outcome["db_presences"],
        "stopped": dict(stops),
        "seconds": round(time.monotonic() - started, 1),
    }
    result["ok"] = (result["overbooking"] == 0 and server_errors == 0 and not errors
                    and answered == parents and result["p95_ms"] < 1000
                    and booking_seconds <= 120
                    and told_booked == outcome["db_households_booked"]
                    and told_waitlisted == outcome["db_households_waitlisted"])
    if server_errors:
        result["server_log_tail"] = server_log
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True,
                        help="an existing database of its own, e.g. "
                             "postgresql://postgres@127.0.0.1:55432/portail_rush")
    parser.add_argument("--parents", type=int, default=300)
    parser.add_argument("--places", type=int, default=40, help="places per day")
    parser.add_argument("--pool", type=int, default=100, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--login-window", type=float, default=120.0,
                        help="seconds over which the parents log in before the opening")
    parser.add_argument("--think", type=float, default=2.0,
                        help="seconds a parent waits between two clicks (0: none, the "
                             "pool's threads then hammer the server back to back)")
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="hard limit of the whole run")
    parser.add_argument("--clicks", choices=("recopy", "days"), default="recopy",
                        help="recopy: the first day then \"Recopier\" to the whole week (the "
                             "guide's way); days: each day one by one")
    parser.add_argument("--agents-validate", action="store_true",
                        help="days wait for an agent (pending) instead of accepted at once")
    args = parser.parse_args(argv)
    if not 1 <= args.parents <= 5000:
        parser.error("--parents: between 1 and 5000")
    result = run_rush(args.database_url, parents=args.parents, places=args.places,
                      pool=args.pool, workers=args.workers, login_window=args.login_window,
                      think=args.think, max_seconds=args.max_seconds,
                      agents_validate=args.agents_validate, clicks=args.clicks)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
