"""Benchmark of the bookings screens: "Mon planning" month page, and the
wizard's final "Valider" of a full-year cantine request.

    python -m benchmarks.planning [--sizes 70,7000] [--runs 40] [--database-url URL]

On the generated dataset (benchmarks.generate / app.demo.generate), grown in
steps (``--sizes``: total households after each step, about 145 presences a
household: 70 -> ~10k presences, 7000 -> ~1M), it measures through the WSGI
stack (Flask test client, logged in as a family):

- ``static``: a page of the portal that reads nothing of the family
  (the public legal notice, same layout), the baseline;
- ``planning``: /compte/planning/?mois=… of the same household at each size;
- ``valider``: POST /compte/reservations/nouvelle/valider of a draft of every
  cantine day of the school year (4 days a week, ~140 days), one new child
  per run (so each run books the whole year).

Targets: planning <= 3x static, flat between sizes; Valider <= 300 ms.
Prints ONE JSON line at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import re

from benchmarks.common import Stopwatch, emit, make_app, median, p95, peak_memory_mb

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STATIC_URLS = ("/mentions-legales", "/accessibilite", "/login/")


def _login(client, user_id: int) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def _time_get(client, url: str, runs: int) -> list[float]:
    laps = []
    for _ in range(3):  # warm-up
        client.get(url)
    for _ in range(runs):
        with Stopwatch() as watch:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        laps.append(watch.seconds)
    return laps


def _ms(values) -> float:
    return round(values * 1000, 2)


def _busiest_household(month_first: dt.date, month_last: dt.date):
    """The validated household with a login that has the most presences that month."""
    from sqlalchemy import func, select

    from app.bookings.models import Presence
    from app.core.states import HouseholdStatus
    from app.extensions import db
    from app.families.models import Guardian, Household

    row = db.session.execute(
        select(Presence.household_id, func.count(Presence.id).label("n"))
        .join(Household, Household.id == Presence.household_id)
        .where(Presence.date >= month_first, Presence.date <= month_last,
               Household.status == HouseholdStatus.VALIDATED.value)
        .group_by(Presence.household_id).order_by(func.count(Presence.id).desc(),
                                                   Presence.household_id).limit(1)).first()
    household_id, count = row
    user_id = db.session.scalar(select(Guardian.user_id).where(
        Guardian.household_id == household_id, Guardian.user_id.is_not(None)))
    return household_id, user_id, count


def _count_presences() -> int:
    from sqlalchemy import func, select

    from app.bookings.models import Presence
    from app.extensions import db

    return db.session.scalar(select(func.count(Presence.id)))


def _cantine_setup(runs: int, first_year: int):
    """A validated family with ``runs`` children and a cantine period of the
    school year (Monday, Tuesday, Thursday, Friday; term time)."""
    from tests import factories

    kind = factories.make_service_kind(code="cantine_bench", name="Cantines (banc d'essai)",
                                       allows_cancellation=False)
    period = factories.make_period(
        name="CANTINE BANC D'ESSAI", facility=factories.make_facility("ÉCOLE BANC D'ESSAI"),
        service_kind=kind, start=dt.date(first_year, 9, 1), end=dt.date(first_year + 1, 7, 3),
        weekdays="0,1,3,4", term_time=True, capacity=100000, requires_documents=False,
        units=(("REPAS", "#27ae60", ("repas",)),))
    user = factories.make_user("Famille", email="banc.essai@generated.test")
    from app.families.access import household_of

    household = household_of(user)
    children = [factories.make_child(household, first_name=f"Enfant{i}", last_name="Banc",
                                     birth_date=dt.date(first_year - 7, 5, 1)).id
                for i in range(runs)]
    return user.id, period.id, period.units[0].id, children


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="70,7000",
                        help="households in the dataset at each measure (growing)")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--valider-runs", type=int, default=9)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    app = make_app(args.database_url, TESTING=False, SERVER_NAME="localhost",
                   RATELIMIT_ENABLED=False, SESSION_COOKIE_SECURE=False)
    results = {"benchmark": "planning"}
    # Requests run OUTSIDE any app context of ours: an outer app context would
    # be reused by every request (Flask) and keep the first user in ``g``.
    from app.core import clock
    from app.demo.catalogue import school_year
    from app.demo.generate import generate
    from app.extensions import db

    now = clock.now()
    with app.app_context():
        results["database"] = db.engine.dialect.name
        first_year, _start, _end = school_year(now.date())
    month_first = dt.date(first_year, 10, 1)  # October: school days and Wednesdays
    month_last = dt.date(first_year, 10, 31)
    planning_url = f"/compte/planning/?mois={first_year}-10"
    made = 0
    household_id = user_id = month_count = static_url = None
    client = app.test_client()
    measures = []
    for size in sizes:
        with app.app_context():
            with Stopwatch() as gen_watch:
                generate(size - made, seed=size, now=now)
            made = size
            db.session.remove()
            if household_id is None:
                household_id, user_id, month_count = _busiest_household(month_first,
                                                                         month_last)
            presences = _count_presences()
            db.session.remove()
        if static_url is None:
            _login(client, user_id)
            static_url = next(u for u in STATIC_URLS if client.get(u).status_code == 200)
        static = _time_get(client, static_url, args.runs)
        page = client.get(planning_url).get_data(as_text=True)
        assert "pf-bar" in page, "the planning page shows no presence"
        planning = _time_get(client, planning_url, args.runs)
        measures.append({
            "households": size, "presences": presences,
            "generate_seconds": round(gen_watch.seconds, 1),
            "static_median_ms": _ms(median(static)), "static_p95_ms": _ms(p95(static)),
            "planning_median_ms": _ms(median(planning)),
            "planning_p95_ms": _ms(p95(planning)),
            "planning_ratio_to_static": round(median(planning) / median(static), 2),
            "bars_on_page": page.count('class="pf-bar '),
        })
    results["static_url"] = static_url
    results["planning_url"] = planning_url
    results["planning_household_presences_in_month"] = month_count
    results["sizes"] = measures
    results["planning_flatness"] = round(
        measures[-1]["planning_median_ms"] / measures[0]["planning_median_ms"], 2)

    # --- Valider of a full-year cantine -------------------------------------
    clock.freeze(dt.datetime(first_year, 8, 25, 9, 0))
    try:
        with app.app_context():
            family_user, period_id, unit_id, children = _cantine_setup(args.valider_runs,
                                                                       first_year)
            from app.bookings import recurrence
            from app.catalogue.models import Period

            days = recurrence.cantine_dates(db.session.get(Period, period_id), [0, 1, 3, 4])
            db.session.remove()
        family_client = app.test_client()
        _login(family_client, family_user)
        laps = []
        for child_id in children:
            step1 = family_client.get("/compte/reservations/nouvelle").get_data(as_text=True)
            token = CSRF_RE.search(step1).group(1)
            with family_client.session_transaction() as session:
                session["booking_draft"] = {
                    "child": child_id, "period": period_id,
                    "days": [[d.isoformat(), unit_id] for d in days]}
            with Stopwatch() as watch:
                response = family_client.post("/compte/reservations/nouvelle/valider",
                                              data={"csrf_token": token})
            assert response.status_code == 200, response.status_code
            assert "pf-result" in response.get_data(as_text=True), "nothing recorded"
            laps.append(watch.seconds)
        with app.app_context():
            from sqlalchemy import func, select

            from app.bookings.models import Presence

            booked = db.session.scalar(select(func.count(Presence.id)).where(
                Presence.period_id == period_id))
            db.session.remove()
    finally:
        clock.freeze(None)
    results["valider_days"] = len(days)
    results["valider_runs"] = len(laps)
    results["valider_presences_written"] = booked
    results["valider_median_ms"] = _ms(median(laps))
    results["valider_p95_ms"] = _ms(p95(laps))
    results["targets"] = {
        "planning_ratio_le_3": all(m["planning_ratio_to_static"] <= 3 for m in measures),
        "planning_flat": results["planning_flatness"] <= 1.5,
        "valider_median_le_300ms": results["valider_median_ms"] <= 300,
        "valider_p95_le_300ms": results["valider_p95_ms"] <= 300,
    }
    results["peak_memory_mb"] = peak_memory_mb()
    emit(**results)


if __name__ == "__main__":
    main()
