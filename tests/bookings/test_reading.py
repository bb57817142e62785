"""Reading helpers of the screens: planning, history, request details,
occupancy; the expire command."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings import services
from app.core.errors import NotFound
from tests import factories
from tests.bookings.conftest import NOW, WED2, WED3, fill, journee, matin, set_capacity


def test_calendar_of_the_month(family, other_family, period, agent):
    unit = journee(period)
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED2, unit.id), (WED3, unit.id), (dt.date(2026, 10, 7), unit.id)])
    services.refuse(agent, NOW, result.pending[1], "Complet")
    # Another household's child, not shared: never shown.
    services.book(other_family.user, NOW, other_family.household, other_family.child, period,
                  [(WED2, unit.id)])
    entries = services.presences_for_calendar(family.household, 2026, 9)
    assert [(e.date, e.state) for e in entries] == [(WED2, "pending")]
    assert entries[0].presence.id == entries[0].id and not entries[0].other_account
    assert entries[0].state_label == "Présence en attente de traitement"
    with_refused = services.presences_for_calendar(family.household, 2026, 9,
                                                   include_cancelled=True)
    assert [(e.date, e.state) for e in with_refused] == [(WED2, "pending"), (WED3, "refused")]
    assert services.presences_for_calendar(family.household, 2026, 9,
                                           child_ids=[other_family.child.id]) == []
    assert [e.date for e in services.presences_for_calendar(family.household, 2026, 10)] == [
        dt.date(2026, 10, 7)]


def test_calendar_shows_the_other_account_without_its_details(family, other_family, period):
    factories.link_child(other_family.household, family.child)
    services.book(other_family.user, NOW, other_family.household, family.child, period,
                  [(WED2, matin(period).id)])
    assert services.presences_for_calendar(family.household, 2026, 9) == []
    entries = services.presences_for_calendar(family.household, 2026, 9,
                                              include_other_accounts=True)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.other_account and entry.state_label == "Réservation liée à un autre compte"
    assert entry.id is None and entry.request_id is None and entry.presence is None
    assert entry.unit.name == "MERCREDI MATIN SANS REPAS" and entry.state == "pending"


def test_history_and_details(family, other_family, period, agent):
    unit = journee(period)
    first = services.book(family.user, NOW, family.household, family.child, period,
                          [(WED2, unit.id), (WED3, unit.id)])
    services.accept_many(agent, NOW, [p.id for p in first.pending])
    later = NOW + dt.timedelta(hours=1)
    cancel = services.ask_cancellation(family.user, later, [first.pending[0]])
    rows, total = services.history(family.household, page=1, per_page=5)
    assert total == 2
    assert [r.number for r in rows] == [cancel.id, first.request.id]
    row = rows[1]
    assert row.referent == "ESSAI Camille"
    assert row.period_path == f"> {period.reception.facility.name} > ACM DES MERCREDIS > {period.name}"
    assert row.dates == [WED2, WED3]
    assert row.states == {"accepted": 1, "cancel_requested": 1}
    assert "1 × Présence acceptée" in row.state_summary
    assert rows[0].kind == "cancellation" and rows[0].dates == [WED2]
    page2, total = services.history(family.household, page=2, per_page=1)
    assert [r.number for r in page2] == [first.request.id] and total == 2
    only_bookings, total = services.history(family.household, include_cancelled=False)
    assert total == 1
    details = services.request_details(family.household, first.request.id)
    assert [p.date for p in details.presences] == [WED2, WED3]
    assert [h.to_state for h in details.history[first.pending[0].id]] == [
        "pending", "accepted", "cancel_requested"]
    with pytest.raises(NotFound):
        services.request_details(other_family.household, first.request.id)
    with pytest.raises(NotFound):
        services.request_details(family.household, "abc")
    assert services.history(other_family.household) == ([], 0)


def test_occupancy(family, period):
    set_capacity(period, 2)
    fill(period, WED2, 1, unit=matin(period))
    fill(period, WED2, 1)
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED2, journee(period).id)])
    assert result.waitlisted
    occupancy = services.occupancy(period, [WED2, WED3, dt.date(2026, 9, 17)])
    day = {o.slot.name: (o.capacity, o.taken, o.left) for o in occupancy.for_day(WED2)}
    assert day == {"matin": (2, 2, 0), "repas": (2, 1, 1), "apres-midi": (2, 1, 1)}
    assert [o.slot.name for o in occupancy.for_day(WED3)] == ["matin", "repas", "apres-midi"]
    assert occupancy.for_day(dt.date(2026, 9, 17)) == []
    assert [p.child_id for p in occupancy.waiting[WED2]] == [family.child.id]


def test_places_left(period, db):
    from app.bookings.services.capacity import places_left

    set_capacity(period, 3)
    fill(period, WED2, 1, unit=matin(period))
    left = places_left(db.session, period.id, [WED2, dt.date(2026, 9, 17)])
    assert left[(matin(period).id, WED2)] == 2
    assert left[(journee(period).id, WED2)] == 2
    assert left[(journee(period).id, dt.date(2026, 9, 17))] == 0  # not an opening day
    only = places_left(db.session, period.id, [WED2], unit_ids=[journee(period).id])
    assert list(only) == [(journee(period).id, WED2)]


def test_expire_command(app, family, period, db, clock):
    clock.set(dt.datetime(2026, 9, 3, 1, 0))  # the night after Wednesday 2 September
    factories.make_presence(family.child, period=period, unit=journee(period),
                            day=dt.date(2026, 9, 2), state="pending", household=family.household)
    factories.make_presence(family.child, period=period, unit=matin(period),
                            day=dt.date(2026, 9, 2), state="cancel_requested",
                            household=family.household)
    future = factories.make_presence(family.child, period=period, unit=journee(period),
                                     day=dt.date(2026, 9, 9), state="pending",
                                     household=family.household)
    result = app.test_cli_runner().invoke(args=["portail", "expire"])
    assert result.exit_code == 0, result.output
    assert "Demandes de réservation expirées : 1" in result.output
    assert "Demandes d'annulation expirées (les jours restent réservés) : 1" in result.output
    again = app.test_cli_runner().invoke(args=["portail", "expire"])
    assert "Demandes de réservation expirées : 0" in again.output
    db.session.refresh(future)
    assert future.state == "pending"
