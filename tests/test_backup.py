"""Backups restore every household and presence (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text

from app.bookings.models import Presence, Request
from app.catalogue.models import Unit
from app.core.backup import backup, restore
from app.families.models import Household
from tests import factories


def _counts(db):
    return (db.session.scalar(select(func.count()).select_from(Household)),
            db.session.scalar(select(func.count()).select_from(Presence)))


def test_backup_then_restore_finds_every_household_and_presence(db, tmp_path):
    period = factories.make_period()
    unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
    for n in range(3):
        household = factories.make_household()
        child = factories.make_child(household, first_name=f"Enfant{n}")
        request = Request(household_id=household.id, child_id=child.id, period_id=period.id)
        db.session.add(request)
        db.session.flush()
        db.session.add(Presence(request_id=request.id, household_id=household.id,
                                child_id=child.id, period_id=period.id, unit_id=unit.id,
                                date=dt.date(2026, 9, 9), state="accepted"))
    db.session.commit()
    before = _counts(db)
    assert before == (3, 3)

    target = backup(tmp_path / "portail.backup")
    assert target.stat().st_size > 0

    # Disaster: the families and their bookings are gone.
    db.session.execute(text("DELETE FROM presence"))
    db.session.execute(text("DELETE FROM booking_request"))
    db.session.commit()
    assert _counts(db)[1] == 0

    restore(target)
    db.session.remove()
    assert _counts(db) == before
    names = set(db.session.scalars(text("SELECT first_name FROM child")))
    assert names == {"Enfant0", "Enfant1", "Enfant2"}


def test_restore_of_a_missing_file_says_so_in_french(db, tmp_path):
    import pytest

    from app.core.backup import BackupError

    with pytest.raises(BackupError) as error:
        restore(tmp_path / "absent.backup")
    assert "introuvable" in str(error.value)
