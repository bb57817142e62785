"""The rules behind "sous conditions": opening date, deadlines, eligibility,
the household's file, what the service kind allows, cancellation rules."""

from __future__ import annotations

import datetime as dt

import pytest

from app.bookings import services
from app.bookings.models import Presence, Request
from app.core.errors import DomainError
from app.core.states import HouseholdStatus
from app.extensions import db as _db
from tests import factories
from tests.bookings.conftest import NOW, WED, WED2, count, journee, make_family, outbox


def _book(fam, period, day=WED2, actor="family", now=NOW):
    user = fam.user if actor == "family" else actor
    return services.book(user, now, fam.household, fam.child, period,
                         [(day, journee(period).id)])


def test_booking_opens_on_its_date(family, db):
    period = factories.make_period(booking_opens_at=dt.datetime(2026, 9, 10, 8, 0),
                                   requires_documents=False)
    with pytest.raises(DomainError, match="ouvrent le 10/09/2026 à 08:00"):
        _book(family, period)
    assert len(_book(family, period, now=dt.datetime(2026, 9, 10, 8, 0)).pending) == 1


def test_booking_deadline_refuses_and_names_the_day(family, db, agent):
    period = factories.make_period(booking_deadline_mode="days_before", booking_deadline_days=2,
                                   booking_deadline_time=dt.time(12, 0),
                                   requires_documents=False)
    late = dt.datetime(2026, 9, 14, 12, 1)
    with pytest.raises(DomainError) as error:
        _book(family, period, now=late)
    assert "mercredi 16 septembre 2026" in str(error.value)
    assert "14/09/2026 à 12:00" in str(error.value)
    assert count(Presence) == 0
    assert len(_book(family, period, now=dt.datetime(2026, 9, 14, 12, 0)).pending) == 1
    # An agent may still book past the deadline.
    other = make_family(first_name="Sam", child_name="Noa")
    assert len(_book(other, period, actor=agent, now=late).pending) == 1


def test_past_days_and_closed_days(family, period):
    with pytest.raises(DomainError, match="déjà passé"):
        _book(family, period, day=dt.date(2026, 9, 2))
    with pytest.raises(DomainError, match="pas un jour d'ouverture"):
        _book(family, period, day=dt.date(2026, 9, 17))
    with pytest.raises(DomainError, match="pas un jour d'ouverture"):
        _book(family, period, day=dt.date(2026, 11, 11))  # 11 novembre


def test_age_limits_on_the_day(db):
    fam = make_family()  # Paul, born 14 March 2021: 5 years old until 14 March 2027
    period = factories.make_period(min_age=3, max_age=5, requires_documents=False)
    assert len(_book(fam, period).pending) == 1
    with pytest.raises(DomainError, match="trop âgé"):
        _book(fam, period, day=dt.date(2027, 3, 17))
    young = factories.make_period(min_age=6, requires_documents=False)
    with pytest.raises(DomainError, match="trop jeune"):
        _book(fam, young)


def test_school_level_of_that_school_year(db):
    fam = make_family()
    period = factories.make_period(school_levels="PS,MS,GS", requires_documents=False)
    with pytest.raises(DomainError, match="informations scolaires"):
        _book(fam, period)
    factories.make_child(fam.household, first_name="Léa", school_level="CP")
    from app.families.models import SchoolInfo

    _db.session.add(SchoolInfo(child_id=fam.child.id, school_year="2026-2027",
                               school_name="École", level="GS"))
    _db.session.commit()
    assert len(_book(fam, period).pending) == 1
    lea = _db.session.query(type(fam.child)).filter_by(first_name="Léa").one()
    with pytest.raises(DomainError, match="niveaux PS, MS, GS"):
        services.book(fam.user, NOW, fam.household, lea, period, [(WED2, journee(period).id)])


def test_household_must_be_validated_with_a_checked_email(db, period):
    fam = make_family(status=HouseholdStatus.SUBMITTED.value)
    with pytest.raises(DomainError, match="validé"):
        _book(fam, period)
    unverified = make_family(first_name="Ines", verified=False)
    with pytest.raises(DomainError, match="adresse e-mail"):
        _book(unverified, period)
    assert count(Request) == 0


def test_required_documents(db, family):
    from app.families.models import Document, DocumentType

    doc_type = DocumentType(code="assurance", name="Attestation d'assurance", scope="child")
    _db.session.add(doc_type)
    _db.session.commit()
    period = factories.make_period(requires_documents=True)
    with pytest.raises(DomainError, match="Attestation d'assurance"):
        _book(family, period)
    document = Document(household_id=family.household.id, child_id=family.child.id,
                        document_type_id=doc_type.id, original_filename="a.pdf",
                        stored_name="x1", content_type="application/pdf", size=10,
                        state="accepted", expires_on=dt.date(2026, 9, 1))
    _db.session.add(document)
    _db.session.commit()
    with pytest.raises(DomainError, match="expiré"):
        _book(family, period)
    document.expires_on = dt.date(2027, 9, 1)
    _db.session.commit()
    assert len(_book(family, period).pending) == 1


def test_service_kind_that_cannot_be_booked_online(family, db):
    kind = factories.make_service_kind("assmat", "Assistant(e) maternel(le)", allows_booking=False)
    period = factories.make_period(service_kind=kind, requires_documents=False)
    with pytest.raises(DomainError, match="ne se fait pas en ligne"):
        _book(family, period)
    assert period not in services.bookable_periods(family.household, family.child, NOW)


def test_unpublished_period(family, db):
    period = factories.make_period(published=False, requires_documents=False)
    with pytest.raises(DomainError, match="pas ouverte"):
        _book(family, period)


def test_check_can_book(family, period):
    services.check_can_book(family.user, NOW, family.household, family.child, period, WED2)
    with pytest.raises(DomainError):
        services.check_can_book(family.user, NOW, family.household, family.child, period,
                                dt.date(2026, 9, 17))


def test_bookable_periods(family, db):
    open_period = factories.make_period(name="A OUVERTE", requires_documents=False)
    factories.make_period(name="B PLUS TARD", requires_documents=False,
                          booking_opens_at=dt.datetime(2026, 10, 1))
    factories.make_period(name="C TROP GRANDS", min_age=8, requires_documents=False)
    factories.make_period(name="D FINIE", start=dt.date(2026, 7, 1), end=dt.date(2026, 8, 31),
                          requires_documents=False)
    factories.make_period(name="E NON PUBLIEE", published=False, requires_documents=False)
    assert services.bookable_periods(family.household, family.child, NOW) == [open_period]


# --- cancellation rules -----------------------------------------------------

def _accepted(fam, period, day=WED2):
    return factories.make_presence(fam.child, period=period, unit=journee(period), day=day,
                                   state="accepted", household=fam.household)


def test_cancellation_past_the_deadline_says_whom_to_call(family, db):
    period = factories.make_period(cancel_deadline_mode="days_before", cancel_deadline_days=2,
                                   cancel_deadline_working_days=True,
                                   cancel_deadline_time=dt.time(18, 0), requires_documents=False)
    presence = _accepted(family, period)
    with pytest.raises(DomainError) as error:
        services.ask_cancellation(family.user, dt.datetime(2026, 9, 14, 18, 1), [presence])
    message = str(error.value)
    assert "délai d'annulation" in message and "14/09/2026 à 18:00" in message
    assert period.reception.facility.name in message and "05 00 00 00 01" in message
    _db.session.refresh(presence)
    assert presence.state == "accepted" and count(Request) == 1
    request = services.ask_cancellation(family.user, dt.datetime(2026, 9, 14, 18, 0), [presence])
    assert request.kind == "cancellation" and presence.cancel_request_id == request.id
    assert presence.state == "cancel_requested"


def test_cantine_cannot_be_cancelled_online(family, db, agent):
    kind = factories.make_service_kind("cantine", "Cantines", allows_cancellation=False)
    period = factories.make_period(service_kind=kind, requires_documents=False)
    presence = _accepted(family, period)
    with pytest.raises(DomainError, match="pas possible en ligne") as error:
        services.ask_cancellation(family.user, NOW, [presence])
    assert "05 00 00 00 01" in str(error.value)
    # The agent can.
    services.cancel_by_agent(agent, NOW, presence, "Appel de la famille")
    assert presence.state == "cancelled" and presence.late_cancellation is False


def test_agent_late_cancellation_is_billed(family, period, agent):
    presence = _accepted(family, period, day=WED)
    services.cancel_by_agent(agent, dt.datetime(2026, 9, 9, 8, 0), presence, "Malade")
    assert presence.state == "cancelled" and presence.late_cancellation is True
    mail = outbox("bookings_cancelled")[0]
    assert "sera facturé" in mail.body_text
    other = _accepted(family, period, day=WED2)
    services.cancel_by_agent(agent, NOW, other, "", late=True)
    assert other.late_cancellation is True


def test_period_without_validation_cancels_at_once(family, db):
    period = factories.make_period(requires_validation=False, requires_documents=False)
    presence = _accepted(family, period)
    request = services.ask_cancellation(family.user, NOW, [presence])
    assert presence.state == "cancelled" and presence.cancel_request_id == request.id
    assert outbox("bookings_cancellation")


def test_cancellation_of_several_days_is_all_or_nothing(family, period):
    first, second = _accepted(family, period, WED2), _accepted(family, period, dt.date(2026, 9, 23))
    refused = factories.make_presence(family.child, period=period, unit=journee(period),
                                      day=dt.date(2026, 9, 30), state="refused",
                                      household=family.household)
    with pytest.raises(DomainError):
        services.ask_cancellation(family.user, NOW, [first, second, refused])
    assert count(Request) == 3  # the factories' requests only
    request = services.ask_cancellation(family.user, NOW, [first, second], comment="Vacances")
    assert {first.cancel_request_id, second.cancel_request_id} == {request.id}
    assert request.comment == "Vacances"
    assert len(outbox("bookings_cancellation")) == 1


def test_cancellation_mixing_pending_and_accepted(family, period):
    accepted = _accepted(family, period)
    pending = factories.make_presence(family.child, period=period, unit=journee(period),
                                      day=dt.date(2026, 9, 23), state="pending",
                                      household=family.household)
    request = services.ask_cancellation(family.user, NOW, [accepted, pending])
    assert accepted.state == "cancel_requested" and pending.state == "withdrawn"
    assert pending.cancel_request_id is None and accepted.cancel_request_id == request.id
    only_pending = factories.make_presence(family.child, period=period, unit=journee(period),
                                           day=dt.date(2026, 9, 30), state="pending",
                                           household=family.household)
    assert services.ask_cancellation(family.user, NOW, [only_pending]) is None


def test_day_problems_checks_many_days_at_once(family, db):
    period = factories.make_period(booking_deadline_mode="days_before", booking_deadline_days=2,
                                   booking_deadline_time=dt.time(12, 0),
                                   requires_documents=False)
    now = dt.datetime(2026, 9, 14, 13, 0)
    problems = services.day_problems(family.user, now, family.household, family.child, period,
                                     [WED, WED2, dt.date(2026, 9, 17), dt.date(2026, 9, 23)])
    assert set(problems) == {WED, WED2, dt.date(2026, 9, 17)}
    assert "déjà passé" in problems[WED] and "closes" in problems[WED2]
    closed = factories.make_period(published=False, requires_documents=False)
    assert set(services.day_problems(family.user, now, family.household, family.child, closed,
                                     [dt.date(2026, 9, 23)])) == {dt.date(2026, 9, 23)}
