"""Hostile input: every route, every parameter, as a family and as an agent.

The fuzzer reads ``app.url_map``: every rule and each of its methods is sent
hypothesis-generated values for its URL arguments, for the query parameters
the views read (``QUERY_NAMES``, FAB's list parameters for each model view)
and, for POST, for the fields of the forms found on the pages (their current
values are kept, one to three fields are replaced) or, for POST-only routes
no page shows, for the form fields the views read (``FORM_NAMES``).

What is expected:
- never a server error (500, or an exception in the test client);
- a refusal is a French page (no Werkzeug English text);
- a refused request (4xx, a form shown again with an error, or a redirect
  with an error message) writes nothing: the row counts of every table of
  the portal are the same before and after.

The run is derandomized and bounded (about a minute per role). Regular
regression tests for what the fuzzer found sit at the end of the file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text

from tests import factories

# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

NASTY = [
    "", " ", "0", "-1", "-0", "+1", "1.5", "1e309", "0x1F", "1_000",
    str(2**31), str(2**63), str(2**63 - 1), str(-(2**63) - 1), str(2**64), "9" * 40,
    "abc", "１２", "٣", "NaN", "inf", "-inf", "None", "null", "true", "[]", "{}",
    # dates and months
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-00-00", "0001-01-01", "1900-01-01",
    "9999-12-31", "10000-01-01", "-2026-01-01", "31/12/2026", "12/31/2026", "2026-9-7",
    "2026/09/07", "2026-W37", " 2026-09-09 ", "2026-09-09T10:00", "2026-09", "2026-9",
    "2026-13", "0-0", "9999-99", "20260909",
    # text
    "\x00", "a\x00b", "\r\n", "\t", "\x1b[31m", "\x7f", "\ud7ff\ue000",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{7*7}}", "%s%n",
    "' OR 1=1 --", "Robert'); DROP TABLE presence;--", "../../../../etc/passwd",
    "..\\..\\windows\\win.ini", "%00", "%2e%2e%2f", "\u202etxt.exe", "\u200f\u200e", "\ufeff",
    "😀👨‍👩‍👧‍👦", "Zoë Ærøskøbing", "x" * 300, "é" * 10_000,
]

FILENAMES = [
    "../../../../etc/passwd", "..\\..\\boot.ini", "a\x00.pdf", "attestation.pdf\x00.exe",
    "x" * 1000 + ".pdf", "😀.pdf", "\u202efdp.exe", "", ".", "..", "/", "C:\\x.pdf",
    "<script>.pdf", "con.pdf", " .pdf", "attestation.PDF", "a/b/c.pdf", "%2e%2e%2f.pdf",
]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def hostile_text():
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
            lambda d: d.isoformat()),
    )


def id_values(real: list[str]):
    choices = [st.sampled_from(NASTY[:20]), st.integers(-(2**70), 2**70).map(str),
               st.text(max_size=12)]
    if real:
        choices.insert(0, st.sampled_from(real))
    return st.one_of(*choices)


# --------------------------------------------------------------------------
# Fields the views read (request.args / request.form), per the view code
# --------------------------------------------------------------------------

QUERY_NAMES = [
    # bookings: planning, history, wizard, staff queues and occupancy
    "mois", "page", "par_page", "filtre", "usager", "annulations", "autres", "etablissement",
    "periode", "jour", "enfant",
    # attendance, billing, families
    "day", "facility", "q", "month", "status", "kind", "school_year",
    # login
    "next",
]

FORM_NAMES = [
    # attendance
    "facility", "day", "presence", "status", "reason", "note", "child", "unit",
    # billing
    "month", "reason", "line-1",
    # bookings
    "comment", "next", "presence_ids", "usager", "periode", "jour",
    # catalogue, families
    "facility_id", "email", "username", "password", "confirm", "school_year",
    # FAB's list actions
    "action", "rowid",
]

SKIPPED = {
    "static", "appbuilder.static",
    # would end the walk's session or account (own tests elsewhere)
    "PortailAuthDBView.logout", "AuthDBView.logout", "FamilyAccountView.close_account",
}


# --------------------------------------------------------------------------
# The world: a validated family with a child, a period, bookings, a document,
# an agent
# --------------------------------------------------------------------------

class World:
    pass


@pytest.fixture
def world(app, clock):
    from app.extensions import db
    from app.families.models import Document, DocumentType

    with app.app_context():
        w = World()
        household = factories.make_household()
        family = factories.make_user("Famille", household=household)
        child = factories.make_child(household, school_level="CP")
        period = factories.make_period(name="ACM MERCREDI 2026-2027", requires_documents=False)
        accepted = factories.make_presence(child, period=period, day=dt.date(2026, 9, 16))
        pending = factories.make_presence(child, period=period, day=dt.date(2026, 9, 23),
                                          state="pending")
        doc_type = DocumentType(code="assurance", name="Attestation d'assurance",
                                scope="household", required=True, position=0)
        db.session.add(doc_type)
        db.session.flush()
        document = Document(household_id=household.id, document_type_id=doc_type.id,
                            original_filename="assurance.pdf", stored_name="x" * 32 + ".pdf",
                            content_type="application/pdf", size=len(PDF),
                            uploaded_at=dt.datetime(2026, 9, 1, 10, 0))
        db.session.add(document)
        db.session.commit()
        agent = factories.make_user("Agent")
        factories.make_news()
        factories.make_page()
        w.user_ids = {"Famille": family.id, "Agent": agent.id}
        w.real = {
            "child_id": [str(child.id)], "household_id": [str(household.id)],
            "presence_id": [str(accepted.id), str(pending.id)],
            "request_id": [str(accepted.request_id)], "document_id": [str(document.id)],
            "user_id": [str(agent.id)], "pk": ["1"], "invoice_id": ["1"],
            "day": ["2026-09-16", "2026-09-30"], "code": ["acm_mercredi"],
            "section": ["presentation"], "locale": ["fr"], "person_id": ["1"],
        }
        w.period_id = period.id
        w.facility_id = period.reception.facility_id
        w.unit_ids = [str(u.id) for u in period.units]
        w.child_id = child.id
        w.household_id = household.id
        return w


def _tables(app) -> list[str]:
    from app.extensions import metadata

    return sorted(t.name for t in metadata.sorted_tables if t.name != "alembic_version")


# Tables whose rows are compared whole (not only counted) around a refused
# request: a refused form must not change the household's data or a booking.
DIGESTED = ["household", "guardian", "child", "household_child", "authorized_person",
            "school_info", "document", "presence", "booking_request", "attendance"]


def _counts(app, tables) -> dict[str, object]:
    """Row counts of every table, and the rows themselves of DIGESTED."""
    from app.extensions import db

    query = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)
    with app.app_context():
        row = db.session.execute(text(query)).one()
        state = dict(zip(tables, row))
        for table in DIGESTED:
            if table in state:
                rows = db.session.execute(text(f'SELECT * FROM "{table}"')).all()
                state[f"{table} (rows)"] = sorted(repr(tuple(r)) for r in rows)
        db.session.remove()
    return state


def _logged_in_client(app, user_id):
    client = app.test_client()
    raw = "fuzz-csrf-secret"
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session["csrf_token"] = raw
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)
    return client, token


# --------------------------------------------------------------------------
# Forms found on pages
# --------------------------------------------------------------------------

class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or
                                                                       "get").lower(),
                          "fields": {}, "choices": {}, "files": []}
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            name = a["name"]
            if kind == "file":
                self._form["files"].append(name)
            elif kind in {"checkbox", "radio"}:
                self._form["choices"].setdefault(name, []).append(a.get("value") or "on")
                if "checked" in a:
                    self._form["fields"].setdefault(name, a.get("value") or "on")
            elif kind not in {"submit", "button", "image", "reset"}:
                self._form["fields"].setdefault(name, a.get("value") or "")
        elif tag == "select":
            self._select = a["name"]
            self._form["fields"].setdefault(self._select, "")
        elif tag == "option" and self._select:
            self._form["choices"].setdefault(self._select, []).append(a.get("value", ""))
            if "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["fields"].setdefault(self._textarea, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form["fields"][self._textarea] += data


def forms_in(html: str, page_path: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    found = []
    for form in parser.forms:
        if form["method"] != "post":
            continue
        action = form["action"] or page_path
        parts = urlsplit(action)
        if parts.netloc:
            continue
        form["path"] = parts.path or page_path
        form["query"] = parts.query
        form["fields"].pop("csrf_token", None)
        found.append(form)
    return found


# --------------------------------------------------------------------------
# Building requests
# --------------------------------------------------------------------------

ARG_RE = re.compile(r"<(?:([^:<>()]+)(?:\([^)]*\))?:)?([^<>]+)>")


def build_path(rule, values: dict) -> str:
    def one(match):
        value = values[match.group(2)]
        return quote(value, safe="") if value else "%20"
    return ARG_RE.sub(one, rule.rule)


def fab_list_names(app) -> list[str]:
    """FAB's list parameters (page, page size, order, filters) of every model view."""
    from flask_appbuilder import ModelView

    names = []
    for view in app.appbuilder.baseviews:
        if isinstance(view, ModelView):
            name = view.__class__.__name__
            names += [f"page_{name}", f"psize_{name}", f"_oc_{name}", f"_od_{name}"]
            for column in list(view.search_columns or [])[:3]:
                names += [f"_flt_0_{column}", f"_flt_1_{column}", f"_flt_3_{column}"]
    return names


class Problems(list):
    def add(self, what, method, path, query, form, detail):
        shown = {k: (v[:40] + "…" if isinstance(v, str) and len(v) > 40 else v)
                 for k, v in {**query, **form}.items()}
        self.append(f"{what}: {method} {path[:120]} {shown} -> {detail}")


ENGLISH = ("Bad Request", "Not Found", "Forbidden", "Internal Server Error",
           "Method Not Allowed", "The browser (or proxy) sent", "Unauthorized",
           "Request Entity Too Large", "Unprocessable")


def _flash_categories(client) -> list[str]:
    with client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
    return [category for category, _message in flashes]


class Fuzzer:
    def __init__(self, app, world, role):
        self.app = app
        self.world = world
        self.role = role
        self.client, self.csrf = _logged_in_client(app, world.user_ids[role])
        self.tables = _tables(app)
        self.problems = Problems()
        self.requests = 0
        self.refused = 0
        self.statuses: dict[tuple[str, int], int] = {}

    def send(self, method, path, query=None, form=None, files=None):
        query = query or {}
        form = dict(form or {})
        data = dict(form)
        if method == "POST":
            data.setdefault("csrf_token", self.csrf)
            for name, (filename, content) in (files or {}).items():
                data[name] = (io.BytesIO(content), filename)
        before = _counts(self.app, self.tables) if method == "POST" else None
        self.requests += 1
        try:
            response = self.client.open(path, method=method, query_string=query or None,
                                        data=data if method == "POST" else None,
                                        content_type=("multipart/form-data" if files
                                                      else None))
        except Exception as error:  # noqa: BLE001 - a 500 in production
            self.problems.add("exception", method, path, query, form,
                              f"{type(error).__name__}: {str(error)[:160]}")
            _flash_categories(self.client)
            return None
        status = response.status_code
        key = (method, status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if status >= 500:
            self.problems.add("server error", method, path, query, form, status)
        if status >= 400 and body:
            english = [w for w in ENGLISH if w in body]
            if english or 'lang="fr"' not in body:
                self.problems.add("not French", method, path, query, form,
                                  f"{status} {english}")
        flashed = _flash_categories(self.client)
        refused = (status >= 400
                   or (status == 200 and ("has-error" in body or "alert-danger" in body))
                   or (status in (301, 302, 303) and "danger" in flashed))
        if method == "POST" and refused:
            self.refused += 1
            after = _counts(self.app, self.tables)
            changed = {t: (before[t], after[t]) if isinstance(before[t], int) else "changed"
                       for t in before if before[t] != after[t]}
            if changed:
                self.problems.add("written although refused", method, path, query, form,
                                  f"{status} {changed}")
        return response

    # -- what to send to one rule ----------------------------------------

    def arg_strategy(self, rule, name):
        real = self.world.real.get(name, [])
        converter = rule._converters[name]
        if type(converter).__name__ == "IntegerConverter" or name.endswith("_id"):
            return id_values(real)
        if name == "filename":
            return st.one_of(st.sampled_from(FILENAMES), hostile_text())
        if real:
            return st.one_of(st.sampled_from(real), hostile_text())
        return hostile_text()

    def fuzz_rule(self, rule, method, query_names, forms, examples):
        arg_strategies = {name: self.arg_strategy(rule, name) for name in rule.arguments}

        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def run(data):
            values = {name: data.draw(s, label=name) for name, s in arg_strategies.items()}
            path = build_path(rule, values)
            query = data.draw(st.dictionaries(st.sampled_from(query_names), hostile_text(),
                                              max_size=4), label="query")
            if method != "POST":
                self.send(method, path, query=query)
                return
            if forms:
                form = data.draw(st.sampled_from(forms), label="form")
                fields = dict(form["fields"])
                names = sorted(set(fields) | set(form["choices"]))
                if names:
                    for name in data.draw(st.lists(st.sampled_from(names), min_size=1,
                                                   max_size=3, unique=True), label="fields"):
                        fields[name] = data.draw(hostile_text(), label=name)
                files = {}
                for name in form["files"]:
                    files[name] = (data.draw(st.sampled_from(FILENAMES), label="filename"),
                                   data.draw(st.sampled_from([PDF, b"", b"MZ\x90\x00",
                                                              b"\x00" * 10]), label="content"))
                self.send("POST", path, query=query, form=fields, files=files)
            else:
                form = data.draw(st.dictionaries(st.sampled_from(FORM_NAMES), hostile_text(),
                                                 max_size=5), label="form")
                self.send("POST", path, query=query, form=form)

        run()


def _discover(fuzzer, app):
    """GET every rule with real ids: which answer, and the forms they show."""
    forms: dict[str, list[dict]] = {}
    reachable = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED or "GET" not in rule.methods:
            continue
        values = {name: (fuzzer.world.real.get(name) or ["1"])[0] for name in rule.arguments}
        path = build_path(rule, values)
        response = fuzzer.send("GET", path)
        if response is None:
            continue
        if response.status_code in (200, 302) and not response.headers.get(
                "Location", "").startswith("/login"):
            reachable.add(rule.endpoint)
        if response.status_code == 200 and response.mimetype == "text/html":
            for form in forms_in(response.get_data(as_text=True), path):
                forms.setdefault(form["path"], []).append(form)
    return forms, reachable


def _rule_for_path(app, path, method):
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _values = adapter.match(path, method=method)
    except Exception:  # noqa: BLE001
        return None
    return endpoint


def run_fuzzer(app, world, role, reachable_examples, other_examples):
    fuzzer = Fuzzer(app, world, role)
    forms, reachable = _discover(fuzzer, app)
    forms_by_endpoint: dict[str, list[dict]] = {}
    for path, found in forms.items():
        endpoint = _rule_for_path(app, path, "POST")
        if endpoint:
            forms_by_endpoint.setdefault(endpoint, []).extend(found)
            reachable.add(endpoint)
    query_names = QUERY_NAMES + fab_list_names(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            examples = (reachable_examples if rule.endpoint in reachable else other_examples)
            # FAB's list parameters only mean something on a GET (a POST with a
            # bad one is refused outright, which would hide the form's fields).
            fuzzer.fuzz_rule(rule, method, query_names if method == "GET" else QUERY_NAMES,
                             forms_by_endpoint.get(rule.endpoint, []) if method == "POST"
                             else [], examples)
    fuzzer.forms = forms_by_endpoint
    return fuzzer


@pytest.mark.parametrize("role", ["Famille", "Agent"])
def test_every_route_and_parameter_with_hostile_values(app, world, role):
    import time
    started = time.monotonic()
    fuzzer = run_fuzzer(app, world, role, reachable_examples=12, other_examples=2)
    print(f"\n{role}: {fuzzer.requests} requests, {fuzzer.refused} refused POSTs, "
          f"{time.monotonic() - started:.0f} s")
    assert fuzzer.requests > 500
    assert fuzzer.refused > 20
    assert fuzzer.problems == [], (
        f"{len(fuzzer.problems)} problems:\n" + "\n".join(fuzzer.problems[:60]))


# --------------------------------------------------------------------------
# Targeted: more examples where a family types or clicks
# --------------------------------------------------------------------------

def _settings(examples):
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck))


def _count_of(app, model) -> int:
    from sqlalchemy import func, select

    from app.extensions import db

    with app.app_context():
        value = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return value


W = "/compte/reservations/nouvelle"


def test_wizard_steps_with_hostile_values_never_fail_and_record_nothing(app, world):
    """Every step of "Nouvelle réservation" but the last "Valider": whatever the
    values, a French page or a redirect, and no request or presence written."""
    from app.bookings.models import Presence, Request

    fuzzer = Fuzzer(app, world, "Famille")
    presences, requests_ = _count_of(app, Presence), _count_of(app, Request)
    fuzzer.send("POST", W, form={"child": str(world.child_id)})
    fuzzer.send("POST", W + "/periode", form={"period": str(world.period_id)})
    response = fuzzer.send("POST", W + "/jour/2026-09-30", form={"unit": "1"})
    assert response.status_code == 302, "the wizard could not be started"
    steps = st.sampled_from(["planning", "day", "day_post", "remove", "recopy", "recopy_post",
                             "period", "start", "cantine", "summary"])
    recopy_fields = st.fixed_dictionaries({}, optional={
        "mode": st.one_of(st.sampled_from(["day", "week", "targets"]), hostile_text()),
        "target_day": hostile_text(), "week_day": hostile_text(),
        "date_from": st.one_of(st.sampled_from(["0001-01-01", "2026-09-01"]), hostile_text()),
        "date_to": st.one_of(st.sampled_from(["9999-12-31", "2027-07-03"]), hostile_text()),
        "weekdays": hostile_text(), "every": hostile_text(), "months": hostile_text(),
        "confirm": st.sampled_from(["", "1", "oui", "\x00"])})

    @_settings(70)
    @given(step=steps, day=st.one_of(st.sampled_from(["2026-09-30", "2026-09-16"]),
                                     hostile_text()),
           value=hostile_text(), other=hostile_text(), recopy=recopy_fields)
    def run(step, day, value, other, recopy):
        day_path = quote(day, safe="") or "%20"
        if step == "planning":
            fuzzer.send("GET", W + "/planning", query={"mois": value})
        elif step == "day":
            fuzzer.send("GET", W + f"/jour/{day_path}")
        elif step == "day_post":
            fuzzer.send("POST", W + f"/jour/{day_path}", form={"unit": value})
        elif step == "remove":
            fuzzer.send("POST", W + "/retirer", form={"day": day, "unit": value,
                                                      "next": other})
        elif step == "recopy":
            fuzzer.send("GET", W + f"/recopier/{day_path}")
        elif step == "recopy_post":
            fuzzer.send("POST", W + f"/recopier/{day_path}", form=recopy)
        elif step == "period":
            fuzzer.send("POST", W + "/periode", query={"etablissement": other},
                        form={"period": value})
        elif step == "start":
            fuzzer.send("GET", W, query={"usager": value})
        elif step == "cantine":
            fuzzer.send("POST", W + "/cantine", form={"weekdays": value, "unit": other})
        else:
            fuzzer.send("GET", W + "/recapitulatif")
        assert _count_of(app, Presence) == presences
        assert _count_of(app, Request) == requests_

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])


def test_planning_calendar_history_and_page_sizes_with_hostile_values(app, world):
    """"Mon planning" (month, filters), "Historique des réservations" (page,
    "Éléments par page") and the request detail: a page or a redirect."""
    fuzzer = Fuzzer(app, world, "Famille")
    query = st.fixed_dictionaries({}, optional={
        "mois": hostile_text(), "filtre": hostile_text(),
        "usager": st.one_of(st.just(str(world.child_id)), hostile_text()),
        "annulations": hostile_text(), "autres": hostile_text(),
        "page": hostile_text(), "par_page": st.one_of(
            st.sampled_from(["5", "10", "25", "0", "-5", "100000", str(2**64)]),
            hostile_text())})

    @_settings(60)
    @given(url=st.sampled_from(["/compte/planning/", "/compte/planning/historique"]),
           query=query)
    def run(url, query):
        response = fuzzer.send("GET", url, query=query)
        assert response is not None and response.status_code in (200, 302, 400, 404)

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])


def _upload_folder_files(app) -> set[str]:
    import os

    folder = app.config["UPLOAD_FOLDER"]
    found = set()
    for root, _dirs, files in os.walk(os.path.dirname(folder)):
        found |= {os.path.join(root, f) for f in files}
    return found


def test_document_uploads_with_hostile_file_names_and_contents(app, world):
    """"Mes documents" > +: path traversal, NUL, very long or unicode names, empty
    or executable contents. Refused: nothing stored. Accepted (a real PDF): the
    file is stored under a random name inside the upload folder, and the name
    shown to the family is only the last part of what was sent, escaped."""
    import os

    from app.families.models import Document

    fuzzer = Fuzzer(app, world, "Famille")
    folder = os.path.realpath(app.config["UPLOAD_FOLDER"])
    with app.app_context():
        from app.extensions import db
        from app.families.models import DocumentType
        type_id = db.session.scalar(text("SELECT id FROM document_type"))
        assert db.session.get(DocumentType, type_id) is not None
        db.session.remove()

    @_settings(40)
    @given(filename=st.one_of(st.sampled_from(FILENAMES), hostile_text()),
           content=st.sampled_from([PDF, b"", b"MZ\x90\x00" + b"\x00" * 20, b"<script>",
                                    b"\x89PNG\r\n\x1a\n" + b"\x00" * 32]),
           type_value=st.one_of(st.just(str(type_id)), hostile_text()),
           child=hostile_text())
    def run(filename, content, type_value, child):
        before_rows = _count_of(app, Document)
        before_files = _upload_folder_files(app)
        response = fuzzer.send("POST", "/compte/documents/envoyer",
                               form={"document_type": type_value, "child": child},
                               files={"file": (filename, content)})
        assert response is not None and response.status_code in (302, 400, 404)
        new_files = _upload_folder_files(app) - before_files
        added = _count_of(app, Document) - before_rows
        assert len(new_files) == added
        for path in new_files:
            assert os.path.realpath(path).startswith(folder + os.sep)
            assert re.fullmatch(r"[0-9a-f]{40}\.(pdf|png|jpg)", os.path.basename(path))
        if added:
            page = fuzzer.client.get("/compte/documents").get_data(as_text=True)
            assert "<script>" not in page.split("<main")[-1].split("</main>")[0]

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])


TEXTS = ["\x00", "Pa\x07ul", "\x1b[31mrouge", "x" * 10_000, "<script>alert(1)</script>",
         "😀 Émilie", "\u202eluaP", "\u200fسارة", "Zoë-Ærøskøbing", "  ", "'; DROP TABLE child;--"]


def test_text_fields_of_a_child_with_hostile_values(app, world):
    """"Mes enfants" > Ajouter: control characters and 10 000 characters are
    refused in French with nothing written; a <script> is shown as text."""
    from app.families.models import Child

    fuzzer = Fuzzer(app, world, "Famille")

    @_settings(40)
    @given(first=st.one_of(st.sampled_from(TEXTS), st.text(max_size=30)),
           last=st.one_of(st.sampled_from(TEXTS), st.just("Essai")),
           birth=st.one_of(st.sampled_from(["2021-03-14", "14/03/2021"]), hostile_text()))
    def run(first, last, birth):
        before = _count_of(app, Child)
        response = fuzzer.send("POST", "/compte/enfants/ajouter",
                               form={"first_name": first, "last_name": last,
                                     "birth_date": birth, "sex": "M"})
        assert response is not None
        added = _count_of(app, Child) - before
        bad = any(ord(c) < 32 for c in first + last) or len(first) > 200 or len(last) > 200
        if bad:
            assert added == 0
            assert response.status_code in (200, 400)
        if response.status_code == 200:
            page = response.get_data(as_text=True)
            assert "<script>alert(1)" not in page

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])
    listing = fuzzer.client.get("/compte/enfants").get_data(as_text=True)
    assert "<script>alert(1)" not in listing


def test_family_forms_refuse_control_characters_and_huge_texts_in_french(app, world):
    """Every text field of "Mon profil", "Mon foyer", "Mes enfants" and
    "Informations scolaires": a control character or 10 000 characters give
    the form again with a French message and change nothing; a <script>, an
    emoji or RTL marks are either kept as text or refused, never run."""
    fuzzer = Fuzzer(app, world, "Famille")
    pages = ["/compte/profil/modifier", "/compte/foyer/coordonnees", "/compte/foyer/informations",
             "/compte/foyer/autre-responsable", f"/compte/enfants/{world.child_id}/modifier",
             f"/compte/scolaire/{world.child_id}", "/compte/enfants/ajouter"]
    forms = []
    for url in pages:
        response = fuzzer.client.get(url)
        assert response.status_code == 200, url
        for form in forms_in(response.get_data(as_text=True), url):
            text_fields = [n for n, v in form["fields"].items() if n not in form["choices"]]
            if form["path"] == url and text_fields:
                forms.append((form, text_fields))
    assert len(forms) >= 6

    @_settings(70)
    @given(data=st.data())
    def run(data):
        form, text_fields = data.draw(st.sampled_from(forms), label="form")
        name = data.draw(st.sampled_from(text_fields), label="field")
        value = data.draw(st.sampled_from(TEXTS), label="value")
        fields = {**form["fields"], name: value}
        before = _counts(app, fuzzer.tables)
        response = fuzzer.send("POST", form["path"], form=fields)
        assert response is not None
        body = response.get_data(as_text=True)
        assert "<script>alert(1)" not in body
        if any(ord(c) < 32 and c not in "\t\n\r" for c in value) or len(value) > 1000:
            assert response.status_code == 200 and "has-error" in body, (form["path"], name)
            assert _counts(app, fuzzer.tables) == before

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])


def test_agent_filters_days_and_months_with_hostile_values(app, world):
    """Agents: pointage day and facility, queues' filters, occupancy, FAB lists'
    "Éléments par page", page numbers, order and filters."""
    fuzzer = Fuzzer(app, world, "Agent")
    urls = ["/pointage/", "/agents/reservations/demandes/", "/agents/reservations/annulations/",
            "/agents/reservations/occupation/", "/agents/familles/", "/contentnewsview/list/",
            "/staffdocumenttypeview/list/", "/catalogueperiodview/list/", "/exports/"]
    names = ["day", "facility", "q", "etablissement", "periode", "jour", "enfant", "page",
             "mois", "month", "status"] + fab_list_names(app)

    @_settings(80)
    @given(url=st.sampled_from(urls),
           query=st.dictionaries(st.sampled_from(names), hostile_text(), max_size=4))
    def run(url, query):
        response = fuzzer.send("GET", url, query=query)
        assert response is not None and response.status_code in (200, 302, 400, 403, 404)

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])


def test_agent_actions_with_hostile_values_never_fail_and_refusals_write_nothing(app, world):
    """Pointage (mark, all present, lock, walk-in), family validation (validate,
    refuse, close, quotient checked, link a child), documents (accept, refuse)
    and the booking queues, with real and hostile ids, days and reasons."""
    fuzzer = Fuzzer(app, world, "Agent")
    def mostly(real, hostile=None):
        """Real values three times out of four, so that the checks go deep."""
        return st.one_of(st.sampled_from(real), st.sampled_from(real), st.sampled_from(real),
                         hostile or hostile_text())

    ids = {name: mostly(values) for name, values in world.real.items()}
    fields = st.fixed_dictionaries({
        "facility": mostly([str(world.facility_id)]),
        "day": mostly(["16/09/2026", "2026-09-16", "30/09/2026"]),
    }, optional={
        "presence": ids["presence_id"],
        "status": st.one_of(st.sampled_from(["present", "absent", "excused"]),
                            hostile_text()),
        "reason": st.one_of(st.sampled_from(TEXTS), hostile_text()),
        "note": st.one_of(st.sampled_from(TEXTS), hostile_text()),
        "child": ids["child_id"],
        "unit": st.one_of(st.sampled_from(world.unit_ids), hostile_text()),
        "action": st.one_of(st.sampled_from(["accept", "refuse"]), hostile_text()),
        "presence_ids": ids["presence_id"],
        "qf": hostile_text(), "quotient_familial": hostile_text(),
    })
    urls = st.one_of(
        st.sampled_from(["/pointage/pointer", "/pointage/tous-presents", "/pointage/verrouiller",
                         "/pointage/sans-reservation", "/agents/reservations/demandes/action",
                         "/agents/reservations/annulations/action"]),
        st.builds(lambda action, household: f"/agents/familles/foyer/{quote(household, safe='')}"
                  f"/{action}", st.sampled_from(["valider", "refuser", "fermer",
                                                 "quotient-verifie", "rattacher"]),
                  ids["household_id"]),
        st.builds(lambda action, document: f"/agents/familles/document/"
                  f"{quote(document, safe='')}/{action}",
                  st.sampled_from(["accepter", "refuser"]), ids["document_id"]))

    @_settings(120)
    @given(url=urls, form=fields,
           json=st.booleans())
    def run(url, form, json):
        if json:
            fuzzer.client.environ_base["HTTP_ACCEPT"] = "application/json"
        try:
            response = fuzzer.send("POST", url, form=form)
        finally:
            fuzzer.client.environ_base.pop("HTTP_ACCEPT", None)
        assert response is not None

    run()
    assert fuzzer.problems == [], "\n".join(fuzzer.problems[:30])


# --------------------------------------------------------------------------
# Regressions: what the fuzzer found (each was a server error)
# --------------------------------------------------------------------------

def test_an_unknown_fab_action_name_is_a_404_not_a_server_error(app, world):
    fuzzer = Fuzzer(app, world, "Agent")
    response = fuzzer.send("POST", "/contentnewsview/action/n-importe-quoi/1")
    assert response.status_code == 404
    response = fuzzer.send("POST", "/contentnewsview/action_post",
                           form={"action": "n-importe-quoi", "rowid": "1"})
    assert response.status_code == 400
    assert "Requête invalide" in response.get_data(as_text=True)
    assert fuzzer.problems == []


def test_fab_file_download_routes_are_closed(app, world):
    """FAB's /download/<filename> would serve any uploaded file (a family's
    document by its stored name) and failed on a name without "_sep_"."""
    import os

    stored = "0" * 40 + ".pdf"
    path = os.path.join(app.config["UPLOAD_FOLDER"], stored)
    with open(path, "wb") as handle:
        handle.write(PDF)
    try:
        fuzzer = Fuzzer(app, world, "Agent")
        for url in (f"/contentnewsview/download/{stored}", "/contentnewsview/download/x",
                    f"/staffdocumenttypeview/download/a_sep_{stored}"):
            response = fuzzer.send("GET", url)
            assert response.status_code == 404, url
            assert PDF not in response.data
    finally:
        os.remove(path)


@pytest.mark.parametrize("query", [
    "psize_ContentNewsView=abc", "psize_ContentNewsView=-5", "psize_ContentNewsView=0",
    "page_ContentNewsView=1953-06-14", "page_ContentNewsView=-1",
    "page_ContentNewsView=" + "9" * 30, "_flt_9_facility=1", "_flt_8_facility=x",
])
def test_bad_fab_list_parameters_are_dropped_not_a_server_error(app, world, query):
    fuzzer = Fuzzer(app, world, "Agent")
    response = fuzzer.send("GET", f"/contentnewsview/list/?{query}&_oc_ContentNewsView=title")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert query.split("=")[0] not in location and "_oc_ContentNewsView=title" in location
    assert fuzzer.client.get(location).status_code == 200
    assert fuzzer.problems == []


def test_a_boolean_filter_with_a_word_is_dropped_not_a_database_error(app, world):
    """FAB compared the boolean column with the text (an error on PostgreSQL)."""
    fuzzer = Fuzzer(app, world, "Agent")
    response = fuzzer.send("GET", "/cataloguefacilityview/list/?_flt_0_active=-3071943628")
    assert response.status_code == 302
    assert "_flt_0_active" not in response.headers["Location"]
    ok = fuzzer.send("GET", "/cataloguefacilityview/list/?_flt_0_active=y")
    assert ok.status_code == 200
    assert fuzzer.problems == []


@pytest.mark.parametrize("url", [
    "/contentnewsview/edit/-9223372036854775809", "/contentnewsview/show/99999999999",
    "/agents/familles/foyer/2147483648", "/compte/enfants/18446744073709551616",
])
def test_ids_beyond_the_database_integers_are_a_404(app, world, url):
    role = "Famille" if url.startswith("/compte/") else "Agent"
    fuzzer = Fuzzer(app, world, role)
    for method in ("GET", "POST"):
        response = fuzzer.send(method, url, form={"title": "x"} if method == "POST" else None)
        assert response.status_code in (404, 405)
    assert fuzzer.problems == []


def test_page_numbers_beyond_the_database_offset_are_not_a_server_error(app, world):
    huge = "9" * 30
    family = Fuzzer(app, world, "Famille")
    response = family.send("GET", "/compte/planning/historique", query={"page": huge})
    assert response.status_code == 200
    agent = Fuzzer(app, world, "Agent")
    for url in ("/agents/reservations/demandes/", "/agents/reservations/annulations/"):
        assert agent.send("GET", url, query={"page": huge}).status_code == 200
    assert family.problems == [] and agent.problems == []


def test_unicode_digits_and_huge_ids_in_lists_of_ids_are_ignored(app, world):
    """"²".isdigit() is true but int("²") fails; 8715775559225 is no PostgreSQL
    integer: both were server errors (planning filter, staff queue actions)."""
    from app.bookings.models import Presence

    family = Fuzzer(app, world, "Famille")
    response = family.send("GET", "/compte/planning/",
                           query={"filtre": "1", "usager": ["²", "8715775559225",
                                                            str(world.child_id)]})
    assert response.status_code == 200
    agent = Fuzzer(app, world, "Agent")
    states = _count_of(app, Presence)
    for ids in (["²"], ["8715775559225"], ["-1", "٣", ""]):
        response = agent.send("POST", "/agents/reservations/demandes/action",
                              form={"action": "accept", "presence_ids": ids, "reason": ""})
        assert response.status_code in (302, 400)
    assert _count_of(app, Presence) == states
    assert family.problems == [] and agent.problems == []


def test_a_nul_in_an_uploaded_file_name_is_dropped_not_a_database_error(app, world):
    import os

    from app.extensions import db
    from app.families.models import Document

    fuzzer = Fuzzer(app, world, "Famille")
    before = _upload_folder_files(app)
    with app.app_context():
        type_id = db.session.scalar(text("SELECT id FROM document_type"))
        db.session.remove()
    response = fuzzer.send("POST", "/compte/documents/envoyer",
                           form={"document_type": str(type_id)},
                           files={"file": ("attestation.pdf\x00.exe", PDF)})
    assert response.status_code == 302
    assert fuzzer.problems == []
    with app.app_context():
        names = set(db.session.scalars(text("SELECT original_filename FROM document")))
        db.session.remove()
    assert "attestation.pdf.exe" in names
    assert len(_upload_folder_files(app) - before) == 1
    assert _count_of(app, Document) == 2
    assert all(os.path.basename(p) != "attestation.pdf.exe" for p in _upload_folder_files(app))
