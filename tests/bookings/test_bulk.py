"""Bulk agent actions: counts, per-id errors, one e-mail per household, child
and period; 1000 acceptances within 2 seconds."""

from __future__ import annotations

import time

import pytest

from app.bookings import services
from app.bookings.models import Presence, PresenceHistory
from app.core.errors import DomainError
from app.core.models import AuditLog
from tests.bookings.conftest import NOW, WED2, WED3, count, history_of, journee, outbox


def test_accept_many_counts_and_errors(family, other_family, period, agent, db):
    unit = journee(period)
    mine = services.book(family.user, NOW, family.household, family.child, period,
                         [(WED2, unit.id), (WED3, unit.id)]).pending
    theirs = services.book(other_family.user, NOW, other_family.household, other_family.child,
                           period, [(WED2, unit.id)]).pending
    services.accept(agent, NOW, theirs[0])
    audits = count(AuditLog)
    result = services.accept_many(agent, NOW, [mine[0].id, mine[1].id, theirs[0].id, 999999,
                                               "abc", mine[0].id])
    assert result.done == 2
    assert set(result.errors) == {theirs[0].id, 999999}
    assert "seule une demande en attente de traitement peut être acceptée" in result.errors[theirs[0].id]
    assert result.errors[999999] == "Cette réservation n'existe pas."
    assert [p.state for p in mine] == ["accepted", "accepted"]
    assert all(p.decided_by_id == agent.id for p in mine)
    assert history_of(mine[0])[-1].to_state == "accepted"
    assert count(AuditLog) == audits + 2
    mails = outbox("bookings_accepted", to=family.user.email)
    assert len(mails) == 1
    assert "mercredi 16 septembre 2026" in mails[0].body_text
    assert "mercredi 23 septembre 2026" in mails[0].body_text


def test_refuse_many_needs_a_reason_and_changes_nothing_without(family, period, agent):
    pending = services.book(family.user, NOW, family.household, family.child, period,
                            [(WED2, journee(period).id)]).pending
    with pytest.raises(DomainError, match="motif"):
        services.refuse_many(agent, NOW, [pending[0].id], "")
    assert pending[0].state == "pending"
    result = services.refuse_many(agent, NOW, [pending[0].id], "Effectif complet")
    assert result.done == 1 and pending[0].state == "refused"
    assert pending[0].reason == "Effectif complet"
    assert "Motif : Effectif complet" in outbox("bookings_refused")[0].body_text


def test_bulk_with_nothing(agent):
    assert services.accept_many(agent, NOW, []).done == 0


def test_accepting_a_thousand_takes_at_most_two_seconds(db, agent):
    from benchmarks.bulk_accept import build

    _agent_id, ids = build(1000)
    started = time.perf_counter()
    result = services.accept_many(agent, NOW, ids)
    elapsed = time.perf_counter() - started
    assert result.done == 1000 and not result.errors
    assert count(Presence, Presence.state == "accepted") == 1000
    assert count(PresenceHistory, PresenceHistory.to_state == "accepted") == 1000
    assert len(outbox("bookings_accepted")) == 100
    assert elapsed <= 2.0, f"{elapsed:.2f} s"


def test_cancellation_requests_are_answered_in_bulk_one_by_one(family, period, agent, db):
    unit = journee(period)
    days = services.book(family.user, NOW, family.household, family.child, period,
                         [(WED2, unit.id), (WED3, unit.id)]).pending
    for presence in days:
        services.accept(agent, NOW, presence)
    services.ask_cancellation(family.user, NOW, [days[0]])
    # WED3 was never asked to be cancelled: refused for it alone
    result = services.accept_cancellations(agent, NOW, [days[0].id, days[1].id, 999999])
    assert result.done == 1
    assert set(result.errors) == {days[1].id, 999999}
    assert "seule une demande d'annulation peut être acceptée" in result.errors[days[1].id]
    assert result.errors[999999] == "Cette réservation n'existe pas."
    db.session.expire_all()
    assert [db.session.get(Presence, p.id).state for p in days] == ["cancelled", "accepted"]
    services.ask_cancellation(family.user, NOW, [db.session.get(Presence, days[1].id)])
    result = services.refuse_cancellations(agent, NOW, [days[1].id], "Délai dépassé")
    assert result.done == 1 and not result.errors
    assert db.session.get(Presence, days[1].id).state == "accepted"
    assert "Délai dépassé" in outbox("bookings_cancellation_refused")[0].body_text
