"""`flask --app run portail generate`: bulk benchmark data, deterministic."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from app.bookings.models import Presence, PresenceHistory
from app.catalogue.models import OpeningDay
from app.families.models import Child, Household, SchoolInfo


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_generate_twenty_households(app, ctx, db, clock):
    from app.demo.fiction import PASSWORDS
    from app.demo.generate import generate

    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    figures = generate(20, seed=7)
    assert figures["households"] == 20 == _count(db, Household)
    assert 20 <= figures["children"] <= 60
    assert figures["children"] == _count(db, Child) == _count(db, SchoolInfo)
    assert figures["presences"] == _count(db, Presence) > 20 * 10
    assert figures["presence_history"] == _count(db, PresenceHistory) >= figures["presences"]
    states = set(db.session.scalars(select(Presence.state).distinct()))
    assert {"accepted", "cancelled"} <= states
    from app.attendance.models import Attendance

    assert figures["attendance"] == _count(db, Attendance) > 0
    marked = db.session.scalar(select(Attendance.marked_at).limit(1))
    assert marked.hour == 18 and marked.minute == 45
    # presences only on opening days of their period, never two holding ones per slot
    off_days = db.session.scalar(select(func.count(Presence.id)).where(~select(OpeningDay.id).where(
        OpeningDay.period_id == Presence.period_id, OpeningDay.date == Presence.date).exists()))
    assert off_days == 0
    duplicates = db.session.execute(
        select(Presence.child_id, Presence.unit_id, Presence.date).where(
            Presence.state.in_(("pending", "accepted", "cancel_requested")))
        .group_by(Presence.child_id, Presence.unit_id, Presence.date)
        .having(func.count() > 1)).all()
    assert duplicates == []
    # a generated family can log in
    username = db.session.scalar(select(app.appbuilder.sm.user_model.username).where(
        app.appbuilder.sm.user_model.username.like("foyer%")))
    assert app.appbuilder.sm.auth_user_db(username, PASSWORDS["Famille"])

    # same seed, same data: a second run adds exactly as much again
    again = generate(20, seed=7)
    for key in ("households", "children", "presences", "presence_history", "attendance"):
        assert again[key] == figures[key], key
    assert _count(db, Household) == 40


def test_generate_command_prints_counts(app, db, clock):
    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    result = app.test_cli_runner().invoke(args=["portail", "generate", "--households", "5",
                                                "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "5 foyers" in result.output and "présences" in result.output


def test_benchmark_script_prints_one_json_line(capsys, clock):
    from benchmarks import generate as bench

    clock.set(dt.datetime(2026, 11, 26, 10, 0))
    bench.main(["--households", "5", "--seed", "3"])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(line)
    assert figures["households"] == 5 and figures["database"] == "sqlite"
    assert figures["presences"] > 0 and figures["seconds"] >= 0
    assert figures["peak_memory_mb"] > 0


def test_benchmark_helpers():
    from benchmarks.common import median, p95

    values = [0.1 * i for i in range(1, 101)]
    assert abs(median(values) - 5.05) < 1e-9
    assert abs(p95(values) - 9.5) < 1e-9
    assert median([]) == 0.0 and p95([]) == 0.0
