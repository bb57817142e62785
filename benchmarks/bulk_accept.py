"""Benchmark: an agent accepts 1000 pending presences at once
(``app.bookings.services.accept_many``).

    python -m benchmarks.bulk_accept [--count 1000] [--runs 7] [--database-url URL]

Builds its own database (a fresh SQLite file unless ``--database-url``):
one Wednesday period of the school year with room for everyone, 100
households of one child each, 10 pending Wednesdays per child (1000
presences). Each run puts the 1000 presences back to "pending" (and empties
the outbox), then times one ``accept_many`` call: state, history and audit
rows for each presence and one e-mail per household, in one transaction.

Target: <= 2 s. Prints ONE JSON line at the end (median, p95, peak memory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging

from benchmarks.common import Stopwatch, emit, make_app, median, p95, peak_memory_mb

NOW = dt.datetime(2026, 9, 7, 9, 0)


def build(count: int):
    """The period, agent and pending presences; returns (agent id, presence ids)."""
    from sqlalchemy import select

    from app.bookings.models import Presence, PresenceHistory, Request
    from app.catalogue import services as catalogue
    from app.catalogue.models import Facility, Period, Reception, ServiceKind, Slot, Unit, UnitSlot
    from app.extensions import db
    from app.families.models import Child, Guardian, Household, HouseholdChild
    from flask import current_app

    days_per_child = 10
    children = max(1, -(-count // days_per_child))
    kind = ServiceKind(code="acm_mercredi_bench", name="ACM des Mercredis")
    facility = Facility(name="ACM BENCH", phone="05 00 00 00 01", email="acm@exemple.test")
    db.session.add_all([kind, facility])
    db.session.flush()
    reception = Reception(facility_id=facility.id, service_kind_id=kind.id, name="MERCREDIS")
    db.session.add(reception)
    db.session.flush()
    period = Period(reception_id=reception.id, name="ACM MERCREDI 2026-2027",
                    start_date=dt.date(2026, 9, 2), end_date=dt.date(2027, 7, 3), weekdays="2",
                    requires_documents=False)
    db.session.add(period)
    db.session.flush()
    slot = Slot(period_id=period.id, name="journée", capacity=children + 10)
    unit = Unit(period_id=period.id, name="MERCREDI JOURNEE AVEC REPAS")
    db.session.add_all([slot, unit])
    db.session.flush()
    db.session.add(UnitSlot(unit_id=unit.id, slot_id=slot.id, period_id=period.id))
    catalogue.generate_opening_days(period)
    days = catalogue.opening_dates(period.id)[1:1 + days_per_child]

    sm = current_app.appbuilder.sm
    agent = sm.add_user(username="agent.bench@exemple.test", first_name="Alex",
                        last_name="Agent", email="agent.bench@exemple.test",
                        role=sm.find_role("Agent"), password="un mot de passe solide")
    ids = []
    for n in range(children):
        household = Household(status="validated", city="Mirande")
        db.session.add(household)
        db.session.flush()
        db.session.add(Guardian(household_id=household.id, position=0, first_name="Camille",
                                last_name=f"Essai{n}", email=f"famille{n}@exemple.test",
                                email_verified_at=dt.datetime(2026, 1, 1)))
        child = Child(first_name="Paul", last_name=f"Essai{n}", birth_date=dt.date(2021, 3, 14),
                      sex="M")
        db.session.add(child)
        db.session.flush()
        db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
        request = Request(household_id=household.id, child_id=child.id, period_id=period.id,
                          created_at=NOW)
        db.session.add(request)
        db.session.flush()
        for day in days:
            if len(ids) >= count:
                break
            presence = Presence(request_id=request.id, household_id=household.id,
                                child_id=child.id, period_id=period.id, unit_id=unit.id,
                                date=day, state="pending", created_at=NOW, updated_at=NOW)
            db.session.add(presence)
            db.session.flush()
            db.session.add(PresenceHistory(presence_id=presence.id, at=NOW, from_state=None,
                                           to_state="pending"))
            ids.append(presence.id)
    db.session.commit()
    assert len(ids) == count
    assert db.session.scalar(select(Period.id).where(Period.id == period.id))
    return agent.id, ids


def reset(ids) -> None:
    from sqlalchemy import update

    from app.bookings.models import Presence
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    db.session.execute(update(Presence).where(Presence.id.in_(ids))
                       .values(state="pending", decided_at=None, decided_by_id=None))
    db.session.execute(OutgoingEmail.__table__.delete())
    db.session.commit()
    db.session.expunge_all()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)

    from sqlalchemy import func, select

    from app.bookings import services
    from app.bookings.models import Presence
    from app.extensions import db
    from app.notifications.models import OutgoingEmail

    app = make_app(args.database_url)
    with app.app_context():
        agent_id, ids = build(args.count)
        laps = []
        emails = 0
        for _run in range(args.runs):
            reset(ids)
            agent = db.session.get(app.appbuilder.sm.user_model, agent_id)
            with Stopwatch() as watch:
                result = services.accept_many(agent, NOW, ids)
            laps.append(watch.seconds)
            assert result.done == len(ids) and not result.errors, result.errors
            accepted = db.session.scalar(select(func.count(Presence.id)).where(
                Presence.id.in_(ids), Presence.state == "accepted"))
            assert accepted == len(ids)
            emails = db.session.scalar(select(func.count(OutgoingEmail.id)))
        dialect = db.engine.dialect.name
    emit(benchmark="bulk_accept", database=dialect, presences=len(ids), runs=args.runs,
         emails_per_run=emails, median_s=round(median(laps), 3), p95_s=round(p95(laps), 3),
         max_s=round(max(laps), 3), target_s=2.0, ok=max(laps) <= 2.0,
         peak_memory_mb=peak_memory_mb())


if __name__ == "__main__":
    main()
