"""A freed place promotes the first waitlisted child at once, in the same
transaction, with an e-mail."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings import services
from app.core.errors import DomainError
from tests import factories
from tests.bookings.conftest import NOW, WED2, history_of, journee, make_family, matin, outbox


@pytest.fixture
def small(db):
    return factories.make_period(capacity=1, requires_documents=False)


def _book(fam, period, minutes=0, unit=None):
    unit = unit or journee(period)
    return services.book(fam.user, NOW + dt.timedelta(minutes=minutes), fam.household,
                         fam.child, period, [(WED2, unit.id)])


@pytest.fixture
def line(small):
    """Anna holds the only place; Bruno then Chloé wait."""
    anna, bruno, chloe = (make_family(first_name=n, child_name=n + "-enfant")
                          for n in ("Anna", "Bruno", "Chloe"))
    holder = _book(anna, small).pending[0]
    first = _book(bruno, small, 1).waitlisted[0]
    second = _book(chloe, small, 2).waitlisted[0]
    return anna, bruno, chloe, holder, first, second


def _assert_promoted(first, second, bruno, state="pending"):
    assert first.state == state
    assert second.state == "waitlisted"
    last = history_of(first)[-1]
    assert (last.from_state, last.to_state) == ("waitlisted", state)
    assert last.reason == "Une place s'est libérée"
    mails = outbox("bookings_promoted")
    assert len(mails) == 1 and mails[0].to_address == bruno.user.email
    assert "liste d'attente" in mails[0].body_text


def test_refusal_promotes(line, agent):
    anna, bruno, chloe, holder, first, second = line
    services.refuse(agent, NOW, holder, "Dossier incomplet")
    _assert_promoted(first, second, bruno)


def test_withdrawal_promotes(line):
    anna, bruno, chloe, holder, first, second = line
    services.withdraw(anna.user, NOW, holder)
    _assert_promoted(first, second, bruno)


def test_cancellation_promotes(line, agent):
    anna, bruno, chloe, holder, first, second = line
    services.accept(agent, NOW, holder)
    services.ask_cancellation(anna.user, NOW, [holder])
    assert first.state == "waitlisted"  # a cancellation request still holds the place
    services.accept_cancellation(agent, NOW, holder)
    _assert_promoted(first, second, bruno)


def test_agent_cancellation_promotes(line, agent):
    anna, bruno, chloe, holder, first, second = line
    services.accept(agent, NOW, holder)
    services.cancel_by_agent(agent, NOW, holder, "Déménagement")
    _assert_promoted(first, second, bruno)


def test_bulk_refusal_promotes(line, agent):
    anna, bruno, chloe, holder, first, second = line
    result = services.refuse_many(agent, NOW, [holder.id], "Complet")
    assert result.done == 1
    _assert_promoted(first, second, bruno)


def test_withdrawing_from_the_waiting_list_promotes_nobody(line):
    anna, bruno, chloe, holder, first, second = line
    services.withdraw(bruno.user, NOW, first)
    assert first.state == "withdrawn" and second.state == "waitlisted"
    assert outbox("bookings_promoted") == []


def test_promotion_is_in_the_same_transaction(line, agent, monkeypatch):
    """If the promotion fails (here: its e-mail), the refusal is undone too."""
    anna, bruno, chloe, holder, first, second = line
    from app.bookings.services import notify as module

    real = module.queue_email

    def failing(to, template, *args, **kwargs):
        if template == "bookings_promoted":
            raise RuntimeError("boom")
        return real(to, template, *args, **kwargs)

    monkeypatch.setattr(module, "queue_email", failing)
    with pytest.raises(RuntimeError):
        services.refuse(agent, NOW, holder, "Complet")
    for p in (holder, first, second):
        module.db.session.refresh(p)
    assert (holder.state, first.state) == ("pending", "waitlisted")
    assert outbox("bookings_refused") == []


def test_promotion_without_validation_accepts(db, agent):
    period = factories.make_period(capacity=1, requires_validation=False, requires_documents=False)
    anna, bruno = make_family(first_name="Anna"), make_family(first_name="Bruno")
    holder = _book(anna, period).accepted[0]
    first = _book(bruno, period, 1).waitlisted[0]
    services.cancel_by_agent(agent, NOW, holder, "")
    assert first.state == "accepted"


def test_a_unit_needing_more_slots_is_promoted_when_all_are_free(small, agent):
    """Anna held "matin" only; Bruno waits for the whole day (matin + repas + après-midi)."""
    anna, bruno = make_family(first_name="Anna"), make_family(first_name="Bruno")
    holder = _book(anna, small, unit=matin(small)).pending[0]
    first = _book(bruno, small, 1).waitlisted[0]
    services.withdraw(anna.user, NOW, holder)
    assert first.state == "pending"


def test_no_waiting_list_after_refusal_without_one(db):
    period = factories.make_period(capacity=1, waitlist_enabled=False, requires_documents=False)
    anna, bruno = make_family(first_name="Anna"), make_family(first_name="Bruno")
    _book(anna, period)
    with pytest.raises(DomainError, match="plus de place"):
        _book(bruno, period)


def test_sejour_waiting_request_is_promoted_whole(db, agent):
    kind = factories.make_service_kind("sejours", "Séjours")
    sejour = factories.make_period(service_kind=kind, start=dt.date(2026, 10, 19),
                                   end=dt.date(2026, 10, 21), weekdays="0,1,2",
                                   whole_booking=True, capacity=1, requires_documents=False,
                                   units=(("SÉJOUR COMPLET", "#27ae60", ("nuitée",)),))
    unit = sejour.units[0]
    days = [dt.date(2026, 10, 19), dt.date(2026, 10, 20), dt.date(2026, 10, 21)]
    anna, bruno = make_family(first_name="Anna"), make_family(first_name="Bruno")
    held = services.book(anna.user, NOW, anna.household, anna.child, sejour,
                         [(d, unit.id) for d in days]).pending
    waiting = services.book(bruno.user, NOW, bruno.household, bruno.child, sejour,
                            [(d, unit.id) for d in days]).waitlisted
    assert len(waiting) == 3
    # One day freed: the stay is not whole yet, nobody moves.
    services.refuse(agent, NOW, held[1], "Erreur")
    assert {p.state for p in waiting} == {"waitlisted"}
    services.refuse_many(agent, NOW, [held[0].id, held[2].id], "Erreur")
    assert {p.state for p in waiting} == {"pending"}
    assert len(outbox("bookings_promoted")) == 1
