"""The foundation: app factory, schema, constraints, factories."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import create_app
from tests import factories


def test_two_apps_in_one_process_both_serve_pages(app):
    other = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "TESTING": True, "SERVER_NAME": "localhost"})
    for application in (app, other):
        response = application.test_client().get("/")
        assert response.status_code == 200


def test_migrations_match_the_models(ctx):
    """Alembic owns the schema: autogenerate finds nothing left to migrate."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from app.extensions import db, metadata

    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_period_generates_opening_days_without_public_holidays(ctx):
    period = factories.make_period(weekdays="0,1,2,3,4", start=dt.date(2026, 11, 9),
                                   end=dt.date(2026, 11, 13))
    from app.catalogue.services import opening_dates

    # 11 novembre (Armistice) is a public holiday
    assert dt.date(2026, 11, 11) not in opening_dates(period.id)
    assert len(opening_dates(period.id)) == 4


def test_term_time_period_skips_school_holidays(ctx):
    period = factories.make_period(weekdays="2", start=dt.date(2026, 12, 1),
                                   end=dt.date(2027, 1, 15), term_time=True)
    from app.catalogue.services import opening_dates

    days = opening_dates(period.id)
    assert dt.date(2026, 12, 23) not in days and dt.date(2026, 12, 30) not in days
    assert dt.date(2026, 12, 16) in days and dt.date(2027, 1, 6) in days


def test_a_unit_cannot_take_a_slot_of_another_period(ctx, db):
    from app.catalogue.models import Slot, Unit, UnitSlot

    first = factories.make_period()
    second = factories.make_period()
    unit = db.session.scalar(select(Unit).where(Unit.period_id == first.id))
    foreign_slot = db.session.scalar(select(Slot).where(Slot.period_id == second.id))
    db.session.add(UnitSlot(unit_id=unit.id, slot_id=foreign_slot.id, period_id=first.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_presence_holds_one_place_per_child_unit_and_day(ctx, db):
    from app.bookings.models import Presence, Request
    from app.catalogue.models import Unit

    household = factories.make_household()
    child = factories.make_child(household)
    period = factories.make_period()
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
    request = Request(household_id=household.id, child_id=child.id, period_id=period.id)
    db.session.add(request)
    db.session.flush()
    day = dt.date(2026, 9, 9)

    def presence(state):
        return Presence(request_id=request.id, household_id=household.id, child_id=child.id,
                        period_id=period.id, unit_id=unit.id, date=day, state=state)

    db.session.add_all([presence("refused"), presence("cancelled"), presence("accepted")])
    db.session.commit()
    db.session.add(presence("pending"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_state_columns_refuse_unknown_values(ctx, db):
    household = factories.make_household()
    household.status = "bogus"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_money_is_checked_in_cents(ctx, db):
    from app.billing.models import Invoice, InvoiceLine

    household = factories.make_household()
    invoice = Invoice(household_id=household.id, year=2026, month=9)
    db.session.add(invoice)
    db.session.flush()
    db.session.add(InvoiceLine(invoice_id=invoice.id, label="x", quantity=3,
                               unit_price_cents=345, amount_cents=1000))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
