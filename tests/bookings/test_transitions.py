"""Every transition from every state: allowed moves change the state and write
history, audit and e-mail; forbidden ones raise a French DomainError and
change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings import services
from app.bookings.models import PresenceHistory
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.models import AuditLog
from app.core.states import PresenceState
from app.notifications.models import OutgoingEmail
from tests import factories
from tests.bookings.conftest import NOW, WED2, count, history_of, journee

STATES = [s.value for s in PresenceState]


def _withdraw(fam, agent, p):
    services.withdraw(fam.user, NOW, p)


def _accept(fam, agent, p):
    services.accept(agent, NOW, p)


def _refuse(fam, agent, p):
    services.refuse(agent, NOW, p, "Effectif complet")


def _ask(fam, agent, p):
    services.ask_cancellation(fam.user, NOW, [p])


def _accept_cancel(fam, agent, p):
    services.accept_cancellation(agent, NOW, p)


def _refuse_cancel(fam, agent, p):
    services.refuse_cancellation(agent, NOW, p, "Délai dépassé")


def _agent_cancel(fam, agent, p):
    services.cancel_by_agent(agent, NOW, p, "Fermeture exceptionnelle")


TRANSITIONS = {
    # name: (function, {from_state: (to_state, e-mail template)})
    "withdraw": (_withdraw, {"pending": ("withdrawn", "bookings_withdrawn"),
                             "waitlisted": ("withdrawn", "bookings_withdrawn")}),
    "accept": (_accept, {"pending": ("accepted", "bookings_accepted")}),
    "refuse": (_refuse, {"pending": ("refused", "bookings_refused")}),
    "ask_cancellation": (_ask, {"accepted": ("cancel_requested", "bookings_cancellation"),
                                "pending": ("withdrawn", "bookings_cancellation"),
                                "waitlisted": ("withdrawn", "bookings_cancellation")}),
    "accept_cancellation": (_accept_cancel,
                            {"cancel_requested": ("cancelled", "bookings_cancelled")}),
    "refuse_cancellation": (_refuse_cancel, {"cancel_requested": (
        "accepted", "bookings_cancellation_refused")}),
    "cancel_by_agent": (_agent_cancel, {"accepted": ("cancelled", "bookings_cancelled"),
                                        "cancel_requested": ("cancelled", "bookings_cancelled")}),
}
CASES = [(name, state) for name in TRANSITIONS for state in STATES]


@pytest.mark.parametrize("name,state", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_transition_from_state(name, state, family, agent, period, db):
    function, allowed = TRANSITIONS[name]
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state=state, household=family.household)
    presence_id = presence.id
    histories, audits, emails = count(PresenceHistory), count(AuditLog), count(OutgoingEmail)
    if state in allowed:
        to_state, template = allowed[state]
        function(family, agent, presence)
        db.session.expire_all()
        presence = db.session.get(type(presence), presence_id)
        assert presence.state == to_state
        last = history_of(presence)[-1]
        assert (last.from_state, last.to_state) == (state, to_state)
        assert count(PresenceHistory) == histories + 1
        assert count(AuditLog) > audits
        mails = db.session.query(OutgoingEmail).filter_by(template=template).all()
        assert len(mails) == 1 and mails[0].to_address == family.user.email
        assert "mercredi 16 septembre 2026" in mails[0].body_text
        assert "Bonjour" in mails[0].body_text
    else:
        with pytest.raises(DomainError) as error:
            function(family, agent, presence)
        message = str(error.value)
        assert "cette réservation est « " in message and "mercredi 16 septembre 2026" in message
        db.session.expire_all()
        presence = db.session.get(type(presence), presence_id)
        assert presence.state == state
        assert count(PresenceHistory) == histories
        assert count(AuditLog) == audits
        assert count(OutgoingEmail) == emails


@pytest.mark.parametrize("state", STATES)
def test_expire_from_state(state, family, period, db):
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state=state, household=family.household)
    presence_id = presence.id
    expected = {"pending": "expired", "waitlisted": "expired",
                "cancel_requested": "cancel_expired"}.get(state, state)
    # The day itself: nothing expires yet.
    assert services.expire(dt.datetime(2026, 9, 16, 23, 59)) == {"expired": 0, "cancel_expired": 0}
    counts = services.expire(dt.datetime(2026, 9, 17, 0, 30))
    db.session.expire_all()
    presence = db.session.get(type(presence), presence_id)
    assert presence.state == expected
    changed = expected != state
    assert counts == {"expired": int(changed and expected == "expired"),
                      "cancel_expired": int(changed and expected == "cancel_expired")}
    mails = db.session.query(OutgoingEmail).filter_by(template="bookings_expired").all()
    if expected != state:
        assert history_of(presence)[-1].to_state == expected
        assert len(mails) == 1 and "expiré" in mails[0].body_text
        assert count(AuditLog, AuditLog.action == "presence.expire") == 1
    else:
        assert mails == []


def test_refusal_needs_a_reason(family, agent, period, db):
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state="pending", household=family.household)
    with pytest.raises(DomainError, match="motif"):
        services.refuse(agent, NOW, presence, "   ")
    db.session.refresh(presence)
    assert presence.state == "pending"


def test_refusal_reason_and_decider_are_kept(family, agent, period, db):
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state="pending", household=family.household)
    services.refuse(agent, NOW, presence, "Effectif complet")
    db.session.refresh(presence)
    assert presence.reason == "Effectif complet"
    assert presence.decided_by_id == agent.id and presence.decided_at == NOW
    assert history_of(presence)[-1].reason == "Effectif complet"
    assert history_of(presence)[-1].actor_id == agent.id
    mail = db.session.query(OutgoingEmail).filter_by(template="bookings_refused").one()
    assert "Motif : Effectif complet" in mail.body_text


def test_a_family_cannot_accept_or_refuse(family, period, db):
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state="pending", household=family.household)
    with pytest.raises(Forbidden):
        services.accept(family.user, NOW, presence)
    with pytest.raises(Forbidden):
        services.refuse(family.user, NOW, presence, "non")
    with pytest.raises(Forbidden):
        services.accept_many(family.user, NOW, [presence.id])


def test_a_family_cannot_touch_another_households_presence(family, other_family, period, db):
    presence = factories.make_presence(other_family.child, period=period, unit=journee(period),
                                       day=WED2, state="pending",
                                       household=other_family.household)
    with pytest.raises(NotFound):
        services.withdraw(family.user, NOW, presence)
    accepted = factories.make_presence(other_family.child, period=period, unit=journee(period),
                                       day=dt.date(2026, 9, 23), state="accepted",
                                       household=other_family.household)
    with pytest.raises(NotFound):
        services.ask_cancellation(family.user, NOW, [accepted])
    db.session.refresh(presence)
    db.session.refresh(accepted)
    assert (presence.state, accepted.state) == ("pending", "accepted")


def test_an_agent_limited_to_facilities(family, period, agent, db):
    from app.catalogue.models import StaffFacility

    elsewhere = factories.make_facility("ACM AILLEURS")
    db.session.add(StaffFacility(user_id=agent.id, facility_id=elsewhere.id))
    db.session.commit()
    presence = factories.make_presence(family.child, period=period, unit=journee(period),
                                       day=WED2, state="pending", household=family.household)
    with pytest.raises(Forbidden):
        services.accept(agent, NOW, presence)
    result = services.accept_many(agent, NOW, [presence.id])
    assert result.done == 0 and presence.id in result.errors
    db.session.add(StaffFacility(user_id=agent.id, facility_id=period.reception.facility_id))
    db.session.commit()
    services.accept(agent, NOW, presence)
    assert presence.state == "accepted"
