"""Pointage at the door in Chromium: keys p/a/j move down the list, then
"Tous présents" for the rest; a day of 150 children in well under a minute."""

from __future__ import annotations

import datetime as dt
import time

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import factories

DAY = dt.date(2026, 9, 9)


def test_a_day_of_150_children_is_marked_quickly(app, page, e2e_login, clock):
    clock.set(dt.datetime(2026, 9, 9, 8, 30))
    from app.attendance.models import Attendance
    from app.catalogue.models import Unit
    from app.extensions import db

    with app.app_context():
        facility = factories.make_facility("ACM PITCHOUNET")
        period = factories.make_period(facility=facility, capacity=200)
        unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id))
        household = factories.make_household()
        for n in range(150):
            child = factories.make_child(household, first_name=f"Enfant{n:03d}",
                                         last_name="ARRIVEE")
            factories.make_presence(child, period, unit=unit, day=DAY, commit=False)
        db.session.commit()
        facility_id = facility.id
        agent = factories.make_user("Agent")
    e2e_login(page, agent)

    started = time.perf_counter()
    page.goto(f"/pointage/?facility={facility_id}&day=09/09/2026")
    rows = page.locator(".pointage-row")
    assert rows.count() == 150
    first, second, third = rows.nth(0), rows.nth(1), rows.nth(2)
    expect(first).to_be_focused()
    page.keyboard.press("a")
    expect(first).to_have_attribute("data-status", "absent")
    expect(second).to_be_focused()
    page.keyboard.press("j")
    expect(second).to_have_attribute("data-status", "excused")
    expect(third).to_be_focused()
    third.get_by_role("button", name="Présent").click()
    expect(third).to_have_attribute("data-status", "present")
    assert third.locator(".current").inner_text() == "Présent"
    with page.expect_navigation():
        page.get_by_role("button", name="Tous présents (les 147 non pointés)").click()
    assert page.get_by_text("147 enfant(s) pointé(s) présent(s)").is_visible()
    elapsed = time.perf_counter() - started
    assert elapsed < 60

    with app.app_context():
        counts = dict(db.session.execute(
            select(Attendance.status, func.count()).group_by(Attendance.status)).all())
    assert counts == {"present": 148, "absent": 1, "excused": 1}
