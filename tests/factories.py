"""Factory functions with overridable defaults. Call inside an app context;
each commits so that the test client sees the rows."""

from __future__ import annotations

import datetime as dt
import itertools

from flask import current_app
from sqlalchemy import select

from app.catalogue import services as catalogue_services
from app.catalogue.models import (
    Facility,
    Period,
    Reception,
    ServiceKind,
    Slot,
    Tariff,
    Unit,
    UnitSlot,
)
from app.core.states import HouseholdStatus
from app.extensions import db
from app.families.models import Child, Guardian, Household, HouseholdChild, SchoolInfo

_seq = itertools.count(1)
PASSWORD = "un mot de passe solide"


def make_user(role: str, email: str | None = None, password: str = PASSWORD,
              household: Household | None = None, first_name="Camille", last_name="Essai",
              verified: bool = True, **household_kwargs):
    """A FAB user with ``role``; a Famille user is the primary guardian of a household."""
    sm = current_app.appbuilder.sm
    n = next(_seq)
    email = email or f"{role.lower()}{n}@exemple.test"
    role_obj = sm.find_role(role)
    assert role_obj is not None, f"unknown role {role}"
    user = sm.add_user(username=email, first_name=first_name, last_name=last_name,
                       email=email, role=role_obj, password=password)
    assert user, f"could not create user {email}"
    if role == "Famille":
        if household is None:
            household = make_household(**household_kwargs)
        position = len(household.guardians)
        db.session.add(Guardian(
            household_id=household.id, user_id=user.id, position=position,
            civility="Mme", first_name=first_name, last_name=last_name, email=email,
            email_verified_at=dt.datetime(2026, 1, 1) if verified else None,
            mobile_phone="06 00 00 00 00",
        ))
        db.session.commit()
    return user


def make_household(status: str = HouseholdStatus.VALIDATED.value, **kwargs) -> Household:
    values = dict(address="1 place de la Mairie", postcode="32300", city="Mirande",
                  phone="05 00 00 00 00", family_situation="married", benefits_regime="CAF",
                  allocataire_number="1234567", quotient_familial=650, qf_checked=True,
                  status=status)
    values.update(kwargs)
    household = Household(**values)
    db.session.add(household)
    db.session.commit()
    return household


def make_child(household: Household, first_name: str = "Paul", last_name: str = "Essai",
               birth_date: dt.date = dt.date(2021, 3, 14), sex: str = "M",
               school_level: str | None = None, school_year: str = "2026-2027",
               **kwargs) -> Child:
    child = Child(first_name=first_name, last_name=last_name, birth_date=birth_date,
                  sex=sex, **kwargs)
    db.session.add(child)
    db.session.flush()
    db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
    if school_level:
        db.session.add(SchoolInfo(child_id=child.id, school_year=school_year,
                                  school_name="École de Mirande", level=school_level))
    db.session.commit()
    return child


def link_child(household: Household, child: Child) -> None:
    """Attach an existing child to a second household (separated parents)."""
    db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
    db.session.commit()


def make_service_kind(code: str = "acm_mercredi", name: str = "ACM des Mercredis",
                      **kwargs) -> ServiceKind:
    existing = db.session.scalar(select(ServiceKind).where(ServiceKind.code == code))
    if existing:
        return existing
    kind = ServiceKind(code=code, name=name, **kwargs)
    db.session.add(kind)
    db.session.commit()
    return kind


def make_facility(name: str | None = None, **kwargs) -> Facility:
    name = name or f"ACM TEST {next(_seq)}"
    existing = db.session.scalar(select(Facility).where(Facility.name == name))
    if existing:
        return existing
    facility = Facility(name=name, address="2 rue des Écoles", postcode="32300",
                        city="Mirande", phone="05 00 00 00 01",
                        email="acm@exemple.test", **kwargs)
    db.session.add(facility)
    db.session.commit()
    return facility


def make_period(name: str | None = None, facility: Facility | None = None,
                service_kind: ServiceKind | None = None,
                start: dt.date = dt.date(2026, 9, 2), end: dt.date = dt.date(2027, 7, 3),
                weekdays: str = "2", capacity: int = 20,
                units: tuple = (("MERCREDI JOURNEE AVEC REPAS", "#e67e22", ("matin", "repas", "apres-midi")),
                                ("MERCREDI MATIN SANS REPAS", "#3498db", ("matin",))),
                price_cents: int = 1000, term_time: bool = False, **kwargs) -> Period:
    """A period with slots, units (each taking some slots), a tariff and opening days."""
    facility = facility or make_facility()
    service_kind = service_kind or make_service_kind()
    reception = db.session.scalar(select(Reception).where(
        Reception.facility_id == facility.id, Reception.service_kind_id == service_kind.id))
    if reception is None:
        reception = Reception(facility_id=facility.id, service_kind_id=service_kind.id,
                              name=service_kind.name.upper())
        db.session.add(reception)
        db.session.flush()
    period = Period(reception_id=reception.id, name=name or f"PERIODE {next(_seq)}",
                    start_date=start, end_date=end, weekdays=weekdays, term_time=term_time,
                    **kwargs)
    db.session.add(period)
    db.session.flush()
    slots = {}
    for _unit_name, _colour, slot_names in units:
        for slot_name in slot_names:
            if slot_name not in slots:
                slots[slot_name] = Slot(period_id=period.id, name=slot_name,
                                        capacity=capacity, position=len(slots))
                db.session.add(slots[slot_name])
    db.session.flush()
    for position, (unit_name, colour, slot_names) in enumerate(units):
        unit = Unit(period_id=period.id, name=unit_name, colour=colour, position=position,
                    start_time=dt.time(8, 30), end_time=dt.time(17, 30))
        db.session.add(unit)
        db.session.flush()
        for slot_name in slot_names:
            db.session.add(UnitSlot(unit_id=unit.id, slot_id=slots[slot_name].id,
                                    period_id=period.id))
        db.session.add(Tariff(unit_id=unit.id, qf_min=0, qf_max=None, price_cents=price_cents))
    db.session.flush()
    catalogue_services.generate_opening_days(period)
    db.session.commit()
    return period


def make_presence(child: Child, period: Period | None = None, unit: Unit | None = None,
                  day: dt.date | None = None, state: str = "accepted",
                  household: Household | None = None, late_cancellation: bool = False,
                  attendance: str | None = None, commit: bool = True):
    """A presence (with its request and history row) written straight through the
    models, for tests that need bookings without the bookings engine.
    ``attendance``: "present" / "absent" / "excused" adds the pointage."""
    from app.attendance.models import Attendance
    from app.bookings.models import Presence, PresenceHistory, Request

    period = period or make_period()
    if unit is None:
        unit = db.session.scalar(select(Unit).where(Unit.period_id == period.id)
                                 .order_by(Unit.position))
    if day is None:
        day = catalogue_services.opening_dates(period.id)[0]
    if household is None:
        household = db.session.scalar(
            select(Household).join(HouseholdChild, HouseholdChild.household_id == Household.id)
            .where(HouseholdChild.child_id == child.id).order_by(Household.id))
    request = Request(household_id=household.id, child_id=child.id, period_id=period.id,
                      created_at=dt.datetime(2026, 8, 1, 10, 0))
    db.session.add(request)
    db.session.flush()
    presence = Presence(request_id=request.id, household_id=household.id, child_id=child.id,
                        period_id=period.id, unit_id=unit.id, date=day, state=state,
                        late_cancellation=late_cancellation,
                        created_at=dt.datetime(2026, 8, 1, 10, 0),
                        updated_at=dt.datetime(2026, 8, 1, 10, 0))
    db.session.add(presence)
    db.session.flush()
    db.session.add(PresenceHistory(presence_id=presence.id, at=dt.datetime(2026, 8, 1, 10, 0),
                                   from_state=None, to_state=state))
    if attendance:
        db.session.add(Attendance(presence_id=presence.id, status=attendance,
                                  marked_at=dt.datetime.combine(day, dt.time(9, 0))))
    if commit:
        db.session.commit()
    return presence


# --- content (public site) -------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def make_page(title: str = "Présentation des ACM", service_kind=None, section: str = "presentation",
              body: str = "Nos accueils de loisirs accueillent les enfants de 3 à 12 ans.",
              slug: str | None = None, **kwargs):
    from app.content.models import Page

    page = Page(title=title, service_kind_id=service_kind.id if service_kind else None,
                section=section, body=body, slug=slug or f"page-{next(_seq)}", **kwargs)
    db.session.add(page)
    db.session.commit()
    return page


def make_news(title: str = "Programme des vacances en ligne",
              body: str = "Le programme des vacances d'automne est disponible.",
              published_from: dt.datetime = dt.datetime(2026, 9, 1, 8, 0), **kwargs):
    from app.content.models import News

    news = News(title=title, body=body, published_from=published_from, **kwargs)
    db.session.add(news)
    db.session.commit()
    return news


def make_public_document(title: str = "Programme ALSH automne", service_kind=None,
                         section: str = "programmes", content: bytes = PDF_BYTES,
                         filename: str = "programme-automne.pdf", **kwargs):
    """A public document whose file is written to PUBLIC_UPLOAD_FOLDER."""
    import os
    import secrets

    from app.content.models import PublicDocument

    stored_name = secrets.token_hex(16) + ".pdf"
    folder = current_app.config["PUBLIC_UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, stored_name), "wb") as handle:
        handle.write(content)
    document = PublicDocument(
        title=title, service_kind_id=service_kind.id if service_kind else None,
        section=section, original_filename=filename, stored_name=stored_name,
        content_type="application/pdf", size=len(content), **kwargs)
    db.session.add(document)
    db.session.commit()
    return document


def set_setting(key: str, value: str) -> None:
    from app.core.models import Setting

    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.commit()
