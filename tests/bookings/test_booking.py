"""book(): one request, its days' states, capacity, waiting list, skips, séjours, rules."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings import services
from app.bookings.models import Presence, PresenceHistory, Request
from app.core.errors import DomainError, NotFound
from app.core.models import AuditLog
from tests import factories
from tests.bookings.conftest import (
    NOW,
    WED,
    WED2,
    WED3,
    count,
    fill,
    journee,
    matin,
    outbox,
    set_capacity,
)


def test_book_writes_one_request_pending_days_history_audit_and_one_recap(family, period):
    unit = journee(period)
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, unit.id), (WED2, unit.id), (WED3, unit.id)], comment="Merci")
    assert count(Request) == 1
    assert [p.date for p in result.pending] == [WED, WED2, WED3]
    assert result.accepted == [] and result.waitlisted == [] and result.skipped == []
    assert all(p.state == "pending" and p.request_id == result.request.id for p in result.pending)
    assert count(PresenceHistory, PresenceHistory.to_state == "pending") == 3
    assert count(AuditLog, AuditLog.action == "booking.create") == 1
    mails = outbox("bookings_request")
    assert len(mails) == 1
    assert mails[0].to_address == family.user.email
    assert f"demande de réservation n° {result.request.id}" in mails[0].subject.lower()
    assert "mercredi 9 septembre 2026" in mails[0].body_text
    assert "MERCREDI JOURNEE AVEC REPAS" in mails[0].body_text
    assert "Présence en attente de traitement" in mails[0].body_text


def test_period_without_validation_accepts_at_once(family, db):
    period = factories.make_period(requires_validation=False, requires_documents=False)
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, journee(period).id)])
    assert [p.state for p in result.accepted] == ["accepted"]
    assert "confirmée" in outbox("bookings_request")[0].body_text


def test_full_day_goes_to_waiting_list(family, period):
    set_capacity(period, 2)
    fill(period, WED, 2)
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, journee(period).id), (WED2, journee(period).id)])
    assert [p.date for p in result.waitlisted] == [WED]
    assert [p.date for p in result.pending] == [WED2]
    assert "Liste d'attente" in outbox("bookings_request")[0].body_text


def test_full_day_without_waiting_list_refuses_the_whole_request_naming_the_day(family, db):
    period = factories.make_period(waitlist_enabled=False, requires_documents=False, capacity=1)
    fill(period, WED2, 1)
    before = count(Presence)
    with pytest.raises(DomainError) as error:
        services.book(family.user, NOW, family.household, family.child, period,
                      [(WED, journee(period).id), (WED2, journee(period).id)])
    assert "mercredi 16 septembre 2026" in str(error.value)
    assert "plus de place" in str(error.value)
    assert count(Presence) == before and count(Request) == before
    assert outbox() == []


def test_a_unit_is_full_when_any_of_its_slots_is_full(family, period):
    set_capacity(period, 1)
    fill(period, WED, 1, unit=matin(period))  # takes "matin" only
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, journee(period).id)])  # needs matin + repas + après-midi
    assert len(result.waitlisted) == 1


def test_capacity_override_of_one_day(family, period, db):
    from app.catalogue.models import Slot, SlotDay

    for slot_day in db.session.query(SlotDay).join(Slot).filter(
            Slot.period_id == period.id, SlotDay.date == WED):
        slot_day.capacity_override = 0
    db.session.commit()
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, journee(period).id), (WED2, journee(period).id)])
    assert [p.date for p in result.waitlisted] == [WED]
    assert [p.date for p in result.pending] == [WED2]


def test_days_already_booked_are_skipped(family, period):
    unit = journee(period)
    services.book(family.user, NOW, family.household, family.child, period, [(WED, unit.id)])
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, unit.id), (WED, matin(period).id), (WED2, unit.id)])
    # MATIN shares the "matin" slot with JOURNEE: also already booked.
    assert [(d, u) for d, u, _r in result.skipped] == [(WED, unit.id), (WED, matin(period).id)]
    assert "déjà réservé" in result.skipped[0][2]
    assert [p.date for p in result.pending] == [WED2]
    assert count(Request) == 2


def test_everything_already_booked_is_an_error(family, period):
    unit = journee(period)
    services.book(family.user, NOW, family.household, family.child, period, [(WED, unit.id)])
    with pytest.raises(DomainError, match="déjà réservé"):
        services.book(family.user, NOW, family.household, family.child, period, [(WED, unit.id)])


def test_a_refused_day_can_be_booked_again(family, period, agent):
    unit = journee(period)
    first = services.book(family.user, NOW, family.household, family.child, period,
                          [(WED, unit.id)])
    services.refuse(agent, NOW, first.pending[0], "Complet pour les maternelles")
    again = services.book(family.user, NOW, family.household, family.child, period,
                          [(WED, unit.id)])
    assert len(again.pending) == 1


def test_shared_child_booked_by_the_other_household_is_skipped(family, other_family, period):
    factories.link_child(other_family.household, family.child)
    unit = journee(period)
    services.book(other_family.user, NOW, other_family.household, family.child, period,
                  [(WED, unit.id)])
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, unit.id), (WED2, unit.id)])
    assert result.skipped[0][:2] == (WED, unit.id)
    assert "autre compte" in result.skipped[0][2]


def test_unit_of_another_period_is_refused(family, period, db):
    other = factories.make_period(requires_documents=False)
    with pytest.raises(DomainError):
        services.book(family.user, NOW, family.household, family.child, period,
                      [(WED, journee(other).id)])
    assert count(Presence) == 0


def test_empty_or_bad_selection(family, period):
    with pytest.raises(DomainError, match="au moins un jour"):
        services.book(family.user, NOW, family.household, family.child, period, [])
    with pytest.raises(DomainError):
        services.book(family.user, NOW, family.household, family.child, period,
                      [("pas une date", journee(period).id)])


def test_a_family_cannot_book_another_households_child(family, other_family, period):
    with pytest.raises(NotFound):
        services.book(family.user, NOW, family.household, other_family.child, period,
                      [(WED, journee(period).id)])
    with pytest.raises(NotFound):
        services.book(family.user, NOW, other_family.household, other_family.child, period,
                      [(WED, journee(period).id)])
    assert count(Presence) == 0


# --- séjours -------------------------------------------------------------

@pytest.fixture
def sejour(db):
    kind = factories.make_service_kind("sejours", "Séjours")
    return factories.make_period(name="SÉJOUR MONTAGNE", service_kind=kind,
                                 start=dt.date(2026, 10, 19), end=dt.date(2026, 10, 23),
                                 weekdays="0,1,2,3,4", whole_booking=True, capacity=2,
                                 requires_documents=False,
                                 units=(("SÉJOUR COMPLET", "#27ae60", ("nuitée",)),))


def _whole(sejour):
    unit = sejour.units[0]
    return [(dt.date(2026, 10, 19) + dt.timedelta(days=i), unit.id) for i in range(5)]


def test_sejour_is_booked_whole(family, sejour):
    result = services.book(family.user, NOW, family.household, family.child, sejour,
                           _whole(sejour))
    assert len(result.pending) == 5


def test_sejour_part_is_refused(family, sejour):
    with pytest.raises(DomainError, match="en entier"):
        services.book(family.user, NOW, family.household, family.child, sejour,
                      _whole(sejour)[:3])
    assert count(Presence) == 0


def test_sejour_full_one_day_waits_whole(family, sejour):
    fill(sejour, dt.date(2026, 10, 21), 2, unit=sejour.units[0])
    result = services.book(family.user, NOW, family.household, family.child, sejour,
                           _whole(sejour))
    assert len(result.waitlisted) == 5 and result.pending == []


def test_sejour_full_without_waiting_list_refused(family, db):
    kind = factories.make_service_kind("sejours", "Séjours")
    sejour = factories.make_period(service_kind=kind, start=dt.date(2026, 10, 19),
                                   end=dt.date(2026, 10, 20), weekdays="0,1",
                                   whole_booking=True, capacity=1, waitlist_enabled=False,
                                   requires_documents=False,
                                   units=(("SÉJOUR COMPLET", "#27ae60", ("nuitée",)),))
    fill(sejour, dt.date(2026, 10, 20), 1, unit=sejour.units[0])
    before = count(Presence)
    with pytest.raises(DomainError, match="mardi 20 octobre 2026"):
        services.book(family.user, NOW, family.household, family.child, sejour,
                      [(dt.date(2026, 10, 19), sejour.units[0].id),
                       (dt.date(2026, 10, 20), sejour.units[0].id)])
    assert count(Presence) == before


def test_two_options_sharing_a_slot_in_one_request(family, period):
    """JOURNEE and MATIN both take "matin": the child gets only the first."""
    result = services.book(family.user, NOW, family.household, family.child, period,
                           [(WED, matin(period).id), (WED, journee(period).id)])
    assert len(result.pending) == 1 and len(result.skipped) == 1
