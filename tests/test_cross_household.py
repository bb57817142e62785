"""A family never reaches another household's data, by any route, id, query
parameter, action, export or download.

Household A is logged in; household B has a child, a booking, a document, an
issued invoice, a second guardian… each carrying a marker text. The test walks
EVERY route of the app (it reads the URL map, so new routes are covered
automatically), substituting B's ids for every URL argument and adding them
as query parameters, with GET and with POST (CSRF token included): no answer
may show B's markers, none may be a 500, and B's rows must be unchanged
afterwards.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import csrf_token_from

MARK_CHILD = "Zéphyrine"
MARK_GUARDIAN = "Bêtaville"
MARK_PHONE = "07 99 88 77 66"
MARKERS = (MARK_CHILD, MARK_GUARDIAN, MARK_PHONE, "allergie-secrète-B")

SKIP_ENDPOINTS = {"static", "appbuilder.static", "AuthDBView.logout"}
QUERY_NAMES = ("id", "pk", "child", "child_id", "presence", "presence_id", "request",
               "request_id", "document", "document_id", "invoice", "invoice_id", "household",
               "household_id", "guardian", "guardian_id", "usager", "period", "period_id")


def _build_household_b(db):
    from app.billing.models import Invoice, InvoiceLine
    from app.bookings.models import Presence, Request
    from app.catalogue.models import Unit
    from app.families.models import AuthorizedPerson, Document, DocumentType, Guardian

    household = factories.make_household(phone=MARK_PHONE, city=MARK_GUARDIAN)
    db.session.add(Guardian(household_id=household.id, position=0, civility="Mme",
                            first_name="Bérénice", last_name=MARK_GUARDIAN,
                            email="b@exemple.test", mobile_phone=MARK_PHONE))
    child = factories.make_child(household, first_name=MARK_CHILD, last_name=MARK_GUARDIAN,
                                 allergies="allergie-secrète-B", school_level="CP")
    db.session.add(AuthorizedPerson(child_id=child.id, household_id=household.id,
                                    name=f"Mamie {MARK_GUARDIAN}", phone=MARK_PHONE))
    period = factories.make_period()
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
    request = Request(household_id=household.id, child_id=child.id, period_id=period.id,
                      comment=MARK_GUARDIAN)
    db.session.add(request)
    db.session.flush()
    presences = [Presence(request_id=request.id, household_id=household.id, child_id=child.id,
                          period_id=period.id, unit_id=unit.id, date=day, state=state)
                 for day, state in ((dt.date(2026, 9, 9), "accepted"),
                                    (dt.date(2026, 9, 16), "pending"))]
    db.session.add_all(presences)
    doc_type = DocumentType(code="attestation_b", name="Attestation", scope="household")
    db.session.add(doc_type)
    db.session.flush()
    db.session.add(Document(household_id=household.id, document_type_id=doc_type.id,
                            original_filename=f"{MARK_GUARDIAN}.pdf",
                            stored_name="b" * 32, content_type="application/pdf", size=10))
    invoice = Invoice(household_id=household.id, year=2026, month=9, status="issued",
                      number="FAC-2026-000001", total_cents=1000)
    db.session.add(invoice)
    db.session.flush()
    db.session.add(InvoiceLine(invoice_id=invoice.id, label=MARK_CHILD, quantity=1,
                               unit_price_cents=1000, amount_cents=1000))
    db.session.commit()
    return household


def _snapshot(db, household_id):
    """Everything of B's that a family action could change."""
    from app.bookings.models import Presence, Request
    from app.families.models import Child, Document, Guardian, Household

    rows = []
    for model in (Household, Guardian, Document, Request, Presence):
        column = model.id if model is Household else model.household_id
        for obj in db.session.scalars(select(model).where(column == household_id)
                                      .order_by(model.id)):
            rows.append((model.__name__, tuple(
                (c.key, getattr(obj, c.key)) for c in model.__table__.columns)))
    for child in db.session.scalars(select(Child).where(Child.last_name == MARK_GUARDIAN)):
        rows.append(("Child", tuple((c.key, getattr(child, c.key))
                                    for c in Child.__table__.columns)))
    return rows


def _ids(db, household_id):
    from app.billing.models import Invoice, InvoiceLine
    from app.bookings.models import Presence, Request
    from app.families.models import (
        AuthorizedPerson,
        Document,
        Guardian,
        HouseholdChild,
        SchoolInfo,
    )

    ids = {household_id}
    for model, column in ((Guardian, Guardian.household_id), (Document, Document.household_id),
                          (Request, Request.household_id), (Presence, Presence.household_id),
                          (Invoice, Invoice.household_id),
                          (AuthorizedPerson, AuthorizedPerson.household_id)):
        ids.update(db.session.scalars(select(model.id).where(column == household_id)))
    child_ids = set(db.session.scalars(select(HouseholdChild.child_id)
                                       .where(HouseholdChild.household_id == household_id)))
    ids.update(child_ids)
    ids.update(db.session.scalars(select(SchoolInfo.id).where(SchoolInfo.child_id.in_(child_ids))))
    ids.update(db.session.scalars(select(InvoiceLine.id).join(Invoice)
                                  .where(Invoice.household_id == household_id)))
    return sorted(ids)


def _urls(app, ids):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        methods = rule.methods - {"HEAD", "OPTIONS"}
        if not rule.arguments:
            yield rule, rule.rule, methods
            continue
        for value in ids:
            url = rule.rule
            for argument in rule.arguments:
                url = re.sub(r"<(?:[^:<>]+:)?%s>" % argument, str(value), url)
            yield rule, url, methods


def _leaks(text):
    return [m for m in MARKERS if m in text]


@pytest.fixture
def family_a_and_b(app, db, login_as):
    household_b_id = _build_household_b(db).id
    household_a = factories.make_household()
    factories.make_child(household_a, first_name="Alphonse", school_level="CE1")
    household_a_id = household_a.id
    user_a = login_as("Famille", household=household_a)
    return household_a_id, household_b_id, user_a


def test_family_a_never_sees_nor_changes_household_b(app, client, db, family_a_and_b):
    _household_a, household_b_id, _user = family_a_and_b
    before = _snapshot(db, household_b_id)
    ids = _ids(db, household_b_id)
    query = "&".join(f"{name}={ids[-1]}" for name in QUERY_NAMES)
    home = client.get("/").get_data(as_text=True)
    token = csrf_token_from(home) if "csrf_token" in home else ""
    problems = []
    walked = set()
    for rule, url, methods in _urls(app, ids):
        walked.add(rule.endpoint)
        for method in sorted(methods):
            target = f"{url}?{query}" if method == "GET" else url
            if method == "GET":
                response = client.get(target)
            else:
                data = {name: str(ids[-1]) for name in QUERY_NAMES}
                data.update(csrf_token=token, rowid=str(ids[-1]))
                response = client.open(target, method=method, data=data)
            text = response.get_data(as_text=True)
            if response.status_code >= 500:
                problems.append((method, url, response.status_code))
            leaks = _leaks(text)
            if leaks:
                problems.append((method, url, response.status_code, leaks))
            # Downloads: a file of B's must never be served.
            disposition = response.headers.get("Content-Disposition", "")
            if MARK_GUARDIAN in disposition:
                problems.append((method, url, "download", disposition))
    db.session.remove()
    family_endpoints = {e for e in walked if e.startswith("Family")}
    assert len(family_endpoints) >= 10, sorted(walked)
    assert problems == []
    assert _snapshot(db, household_b_id) == before
