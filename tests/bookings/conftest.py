"""Fixtures of the bookings engine tests: a validated family with a child, an
agent, a Wednesday period (ACM des Mercredis, 2026-2027)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests import factories

# Monday 7 September 2026, 9:00; the first Wednesday is 9 September.
NOW = dt.datetime(2026, 9, 7, 9, 0)
WED = dt.date(2026, 9, 9)
WED2 = dt.date(2026, 9, 16)
WED3 = dt.date(2026, 9, 23)


class Family:
    def __init__(self, user, household, child):
        self.user = user
        self.household = household
        self.child = child


def make_family(first_name="Camille", child_name="Paul", **household_kwargs) -> Family:
    from app.extensions import db
    from app.families.models import Household

    user = factories.make_user("Famille", first_name=first_name, **household_kwargs)
    household = db.session.scalar(select(Household).join(Household.guardians)
                                  .where(factories.Guardian.user_id == user.id))
    child = factories.make_child(household, first_name=child_name)
    return Family(user, household, child)


@pytest.fixture
def family(db):
    return make_family()


@pytest.fixture
def other_family(db):
    return make_family(first_name="Dominique", child_name="Lina")


@pytest.fixture
def agent(db):
    return factories.make_user("Agent", first_name="Alex", last_name="Agent")


@pytest.fixture
def period(db):
    return factories.make_period(name="ACM MERCREDI MATERNELLE 2026-2027",
                                 requires_documents=False)


def units(period):
    """{name: unit} of a period."""
    return {u.name: u for u in period.units}


def journee(period):
    return units(period)["MERCREDI JOURNEE AVEC REPAS"]


def matin(period):
    return units(period)["MERCREDI MATIN SANS REPAS"]


def outbox(template=None, to=None):
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    query = select(OutgoingEmail).order_by(OutgoingEmail.id)
    if template:
        query = query.where(OutgoingEmail.template == template)
    if to:
        query = query.where(OutgoingEmail.to_address == to)
    return db.session.scalars(query).all()


def count(model, *where):
    from app.extensions import db

    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def history_of(presence):
    from app.bookings.models import PresenceHistory
    from app.extensions import db

    return db.session.scalars(select(PresenceHistory).where(
        PresenceHistory.presence_id == presence.id).order_by(PresenceHistory.id)).all()


def set_capacity(period, capacity):
    from app.catalogue.models import Slot
    from app.extensions import db

    for slot in db.session.scalars(select(Slot).where(Slot.period_id == period.id)):
        slot.capacity = capacity
    db.session.commit()


def fill(period, day, n, unit=None, state="accepted"):
    """n other children holding ``unit`` on ``day``."""
    unit = unit or journee(period)
    presences = []
    for i in range(n):
        fam = make_family(first_name=f"Remplissage{i}", child_name=f"Enfant{i}")
        presences.append(factories.make_presence(fam.child, period=period, unit=unit, day=day,
                                                 state=state, household=fam.household))
    return presences


@pytest.fixture(autouse=True)
def _fast_password_hashes(monkeypatch):
    """These tests never log in with a password: hash the factories' users'
    passwords cheaply (scrypt costs a quarter of a second per user)."""
    import flask_appbuilder.security.sqla.manager as fab_manager
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(fab_manager, "generate_password_hash",
                        lambda password, **_kw: generate_password_hash(
                            password, method="pbkdf2:sha256:1"))
