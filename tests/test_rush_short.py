"""The opening-day rush, short: benchmarks/rush.py's scenario with 30 parents
and 5 places a day, the portal under a real gunicorn on a free loopback port,
on a PostgreSQL database of its own (TEST_DATABASE_URL's name + "_rush",
created here and dropped at the end; the session's test database is not
touched). Capacity, not speed: no day over its places, no server error, every
parent told booked or on the waiting list."""

from __future__ import annotations

import os

import pytest

TEST_URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not TEST_URL.startswith(("postgresql", "postgres:")),
    reason="the rush runs gunicorn's workers against PostgreSQL: set TEST_DATABASE_URL="
           "postgresql://… (on SQLite every write is serialised by the file lock; the "
           "race test covers SQLite)")

PARENTS = 30
PLACES = 5


@pytest.fixture
def rush_database_url():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from config import normalise_database_url

    url = make_url(normalise_database_url(TEST_URL))
    name = f"{url.database}_rush"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        with admin.connect() as connection:
            connection.execute(drop)
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(drop)
        admin.dispose()


def test_a_short_rush_never_overbooks_and_answers_every_parent(rush_database_url):
    from benchmarks.rush import run_rush

    result = run_rush(rush_database_url, parents=PARENTS, places=PLACES, pool=15, workers=2,
                      login_window=2.0, think=0.0, max_seconds=240, cli_migrate=False,
                      log=lambda _message: None)
    assert result["database"] == "postgresql"
    assert result["overbooking"] == 0, result
    assert result["server_errors"] == 0 and result["errors"] == {}, result
    assert result["stopped"] == {}, result
    assert result["told_nothing"] == 0, result
    # first come, first served: 5 parents get the whole week, 25 wait for it
    assert result["told_booked"] == PLACES and result["told_waitlisted"] == PARENTS - PLACES
    assert result["told_mixed"] == 0
    assert set(result["places_held_per_day"].values()) == {PLACES}
    assert len(result["places_held_per_day"]) == 5
    # what the parents read is what the database holds
    assert result["db_households_booked"] == PLACES
    assert result["db_households_waitlisted"] == PARENTS - PLACES
    assert result["db_requests"] == PARENTS and result["db_presences"] == PARENTS * 5
