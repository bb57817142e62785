"""Demo content: loads the FICTIONAL intercommunality of app/demo/fiction.py
(staff, settings, public pages, news, households in several states,
children, documents) and books presences in every state of the guide's
legend, with attendance and issued invoices for the finished months.

Every person, address, e-mail (example.org) and phone number (01 02 …) is
invented. ``load_demo()`` looks each row up by its natural key first, so
running it twice duplicates nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.catalogue.services import opening_dates
from app.content.models import News, Page
from app.core import clock
from app.core.models import Setting
from app.core.states import DocumentState, HouseholdStatus, PresenceState, RequestKind
from app.demo.catalogue import Catalogue, get_or_create, load_catalogue, school_year
from app.demo.fiction import (
    DOCUMENT_TYPES,
    FAMILIES,
    LEVEL_OFFSETS,
    PAGES,
    PASSWORDS,
    SETTINGS,
    STAFF,
    FamilySpec,
)
from app.extensions import db
from app.families.models import (
    AuthorizedPerson,
    Child,
    Document,
    DocumentType,
    Guardian,
    Household,
    HouseholdChild,
    SchoolInfo,
)
from app.bookings.models import Presence, PresenceHistory, Request

URL = "http://127.0.0.1:5000"


# A minimal valid one-page PDF, for the demo's uploaded documents.
_PDF_TEXT = "Document fictif de demonstration - Portail Famille"


def demo_pdf_bytes(text: str = _PDF_TEXT) -> bytes:
    stream = f"BT /F1 12 Tf 50 780 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


@dataclass
class Login:
    role: str
    login: str
    password: str
    who: str


@dataclass
class DemoResult:
    created: int = 0
    logins: list[Login] = field(default_factory=list)
    already_there: bool = False


# ---------------------------------------------------------------- helpers

def _user(role: str, email: str, first_name: str, last_name: str):
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=email)
    if user is not None:
        return user, False
    user = sm.add_user(username=email, first_name=first_name, last_name=last_name,
                       email=email, role=sm.find_role(role), password=PASSWORDS[role],
                       commit=False)
    if not user:
        raise RuntimeError(f"could not create the demo user {email}")
    db.session.flush()
    return user, True


def birth_date_for(level: str, first_year: int, month: int, day: int) -> dt.date:
    return dt.date(first_year - LEVEL_OFFSETS[level], month, day)


class Booker:
    """Writes Requests, Presences and their history the way the services would."""

    def __init__(self, now: dt.datetime, agent, cat: Catalogue):
        self.now = now
        self.agent = agent
        self.cat = cat
        self.count = 0

    def dates(self, key: str) -> tuple[list[dt.date], list[dt.date]]:
        days = opening_dates(self.cat.periods[key].id)
        today = self.now.date()
        return [d for d in days if d < today], [d for d in days if d >= today]

    def _at(self, day: dt.date, days_before: int) -> dt.datetime:
        moment = dt.datetime.combine(day - dt.timedelta(days=days_before), dt.time(20, 15))
        return min(moment, self.now - dt.timedelta(hours=2))

    def book(self, household, child, user, key: str, items, comment: str = ""):
        """``items``: [(date, unit name, final state, reason)] in one request."""
        if not items:
            return None
        period = self.cat.periods[key]
        if period.booking_opens_at and period.booking_opens_at > self.now:
            return None
        created = self._at(min(d for d, *_ in items), 12)
        request = Request(kind=RequestKind.BOOKING.value, household_id=household.id,
                          child_id=child.id, period_id=period.id, created_at=created,
                          created_by_id=user.id if user else None, comment=comment)
        db.session.add(request)
        db.session.flush()
        cancel_request = None
        for day, unit_name, state, reason in items:
            unit = self.cat.units[(key, unit_name)]
            steps = self._steps(period, state, created, reason)
            if any(to == PresenceState.CANCEL_REQUESTED.value for _, to, *_ in steps):
                if cancel_request is None:
                    cancel_request = Request(
                        kind=RequestKind.CANCELLATION.value, household_id=household.id,
                        child_id=child.id, period_id=period.id,
                        created_at=min(created + dt.timedelta(days=3), self.now),
                        created_by_id=user.id if user else None)
                    db.session.add(cancel_request)
                    db.session.flush()
            last_at = steps[-1][2]
            decided = [s for s in steps if s[3] is not None]
            presence = Presence(
                request_id=request.id, household_id=household.id, child_id=child.id,
                period_id=period.id, unit_id=unit.id, date=day, state=state,
                created_at=created, updated_at=last_at,
                cancel_request_id=cancel_request.id if cancel_request and state in (
                    PresenceState.CANCEL_REQUESTED.value,
                    PresenceState.CANCELLED.value) else None,
                decided_at=decided[-1][2] if decided else None,
                decided_by_id=decided[-1][3] if decided else None,
                reason=reason if state == PresenceState.REFUSED.value else None)
            db.session.add(presence)
            db.session.flush()
            for from_state, to_state, at, actor, why in steps:
                db.session.add(PresenceHistory(
                    presence_id=presence.id, at=at, from_state=from_state, to_state=to_state,
                    reason=why,
                    actor_id=actor if actor is not None else (user.id if user else None)))
            self.count += 1
        db.session.flush()
        return request

    def _steps(self, period, state: str, created: dt.datetime, reason):
        """[(from, to, at, deciding agent id or None for the family, reason)]."""
        agent_id = self.agent.id
        later = min(created + dt.timedelta(days=1, hours=-10), self.now)
        later2 = min(created + dt.timedelta(days=3), self.now)
        later3 = min(created + dt.timedelta(days=4), self.now)
        P = PresenceState
        first = (None, P.PENDING.value, created, None, None)
        accept = (P.PENDING.value, P.ACCEPTED.value, later, agent_id, None)
        if not period.requires_validation:
            first = (None, P.ACCEPTED.value, created, None, None)
            accept = None
        if state == P.PENDING.value:
            return [first]
        if state == P.WAITLISTED.value:
            return [(None, P.WAITLISTED.value, created, None, None)]
        if state == P.REFUSED.value:
            return [first, (P.PENDING.value, P.REFUSED.value, later, agent_id, reason)]
        accepted = [first] + ([accept] if accept else [])
        if state == P.ACCEPTED.value:
            return accepted
        ask = (P.ACCEPTED.value, P.CANCEL_REQUESTED.value, later2, None, reason)
        if state == P.CANCEL_REQUESTED.value:
            return accepted + [ask]
        if state == P.CANCELLED.value:
            return accepted + [ask, (P.CANCEL_REQUESTED.value, P.CANCELLED.value, later3,
                                     agent_id, None)]
        raise ValueError(state)


# ---------------------------------------------------------------- loaders

def load_settings() -> int:
    made = 0
    for key, value in SETTINGS.items():
        _, created = get_or_create(Setting, {"key": key}, {"value": value})
        made += created
    return made


def load_document_types() -> dict[str, DocumentType]:
    types = {}
    for position, (code, name, scope, required, validity) in enumerate(DOCUMENT_TYPES):
        types[code], _ = get_or_create(DocumentType, {"code": code}, dict(
            name=name, scope=scope, required=required, validity_months=validity,
            position=position))
    return types


def _tariff_text(cat: Catalogue, code: str) -> str:
    from app.core.i18n import format_money

    lines = ["Tarifs selon le quotient familial (QF) de la CAF ou de la MSA, par jour "
             "de présence :", ""]
    for (key, unit_name), unit in cat.units.items():
        period = cat.periods[key]
        if period.reception.service_kind.code != code:
            continue
        prices = []
        for tariff in sorted(unit.tariffs, key=lambda t: t.qf_min):
            bracket = (f"QF {tariff.qf_min} à {tariff.qf_max}" if tariff.qf_max is not None
                       else f"QF {tariff.qf_min} et plus")
            prices.append(f"{bracket} : {format_money(tariff.price_cents)}")
        line = f"{unit_name} ({period.name}) — " + " ; ".join(prices)
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def load_content(cat: Catalogue, now: dt.datetime) -> int:
    made = 0
    for code, pages in PAGES.items():
        kind = cat.kinds[code]
        for position, (section, title, body) in enumerate(pages):
            slug = f"{code.replace('_', '-')}-{section}"
            if body is None:
                body = _tariff_text(cat, code)
            _, created = get_or_create(Page, {"slug": slug}, dict(
                service_kind_id=kind.id, section=section, title=title, body=body,
                position=position, published_from=now - dt.timedelta(days=60)))
            made += created
    first, _start, _end = school_year(now.date())
    news = (
        ("Le programme des mercredis est en ligne",
         "Découvrez le programme des mercredis de l'ACM PITCHOUNET jusqu'aux vacances : "
         "potager, atelier cuisine et grands jeux. Il est consultable dans la rubrique "
         "« Nos accueils périscolaires des mercredis et soirs ».",
         "ACM PITCHOUNET", 6),
        (f"Nouveau séjour nature et montagne à l'été {first + 1}",
         "L'espace jeunes LA PASSERELLE propose cet été un séjour de cinq jours en "
         "montagne pour les 8-14 ans : douze places, réservation du séjour en entier sur le "
         "Portail Famille.",
         "ESPACE JEUNES LA PASSERELLE", 12),
        ("Dates d'inscription aux vacances d'hiver",
         f"Les inscriptions au centre de loisirs LES P'TITS LOUPS pour les vacances d'hiver "
         f"ouvrent le 1er décembre {first} à 9h sur le Portail Famille. Pensez à mettre à "
         f"jour votre attestation de quotient familial.",
         "ACM LES P'TITS LOUPS", 2),
    )
    for title, body, facility, days_ago in news:
        _, created = get_or_create(News, {"title": title}, dict(
            body=body, facility_id=cat.facilities[facility].id,
            published_from=now - dt.timedelta(days=days_ago)))
        made += created
    return made


def _store_document(household, doc_type, child, state, now, agent, uploaded_by,
                    filename: str, refusal_reason=None) -> Document:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + ".pdf"
    content = demo_pdf_bytes()
    (folder / stored_name).write_bytes(content)
    uploaded = now - dt.timedelta(days=40)
    checked = state in (DocumentState.ACCEPTED.value, DocumentState.REFUSED.value)
    expires = None
    if doc_type.validity_months and state == DocumentState.ACCEPTED.value:
        expires = (uploaded + dt.timedelta(days=30 * doc_type.validity_months)).date()
    document = Document(
        household_id=household.id, child_id=child.id if child else None,
        document_type_id=doc_type.id, original_filename=filename, stored_name=stored_name,
        content_type="application/pdf", size=len(content), state=state,
        uploaded_at=uploaded, uploaded_by_id=uploaded_by.id if uploaded_by else None,
        checked_at=uploaded + dt.timedelta(days=2) if checked else None,
        checked_by_id=agent.id if checked else None, refusal_reason=refusal_reason,
        expires_on=expires)
    db.session.add(document)
    return document


def load_family(spec: FamilySpec, children_by_key: dict, types: dict, agent, now,
                first_year: int) -> tuple[Household, dict, object, bool]:
    """Create one household (if its first guardian's e-mail is unknown)."""
    email = spec.guardians[0]["email"]
    existing = db.session.scalar(select(Guardian).where(Guardian.email == email))
    if existing is not None:
        household = db.session.get(Household, existing.household_id)
        user = db.session.get(current_app.appbuilder.sm.user_model, existing.user_id) \
            if existing.user_id else None
        for child in household.children:
            key = next((c["key"] for c in spec.children if c["first_name"] == child.first_name),
                       None)
            if key:
                children_by_key[key] = child
        return household, children_by_key, user, False

    label = f"{first_year}-{first_year + 1}"
    validated = spec.status == HouseholdStatus.VALIDATED.value
    submitted = spec.status in (HouseholdStatus.SUBMITTED.value, HouseholdStatus.VALIDATED.value)
    household = Household(
        address=spec.address, postcode=spec.postcode, city=spec.city, phone=spec.phone,
        family_situation=spec.situation, benefits_regime=spec.regime,
        allocataire_number=spec.allocataire, quotient_familial=spec.qf, qf_checked=validated,
        status=spec.status, created_at=now - dt.timedelta(days=120),
        conditions_accepted_at=now - dt.timedelta(days=100) if submitted else None,
        submitted_at=now - dt.timedelta(days=100 if validated else 2) if submitted else None,
        validated_at=now - dt.timedelta(days=98) if validated else None,
        validated_by_id=agent.id if validated else None)
    db.session.add(household)
    db.session.flush()
    first_user = None
    for position, g in enumerate(spec.guardians):
        user = None
        if g.get("login"):
            user, _ = _user("Famille", g["email"], g["first_name"], g["last_name"])
            first_user = first_user or user
        db.session.add(Guardian(
            household_id=household.id, user_id=user.id if user else None, position=position,
            civility=g["civility"], first_name=g["first_name"], last_name=g["last_name"],
            email=g["email"], email_verified_at=now - dt.timedelta(days=119) if user else None,
            mobile_phone=g["mobile"], profession=g.get("profession", ""),
            relationship_to_child="Mère" if g["civility"] == "Mme" else "Père"))
    for c in spec.children:
        level = c.get("level")
        birth = birth_date_for(level or c["age_level"], first_year, c["month"], c["day"])
        if c.get("years_younger"):
            birth = birth.replace(year=birth.year + c["years_younger"])
        child = Child(first_name=c["first_name"], last_name=c["last_name"], birth_date=birth,
                      sex=c["sex"], allergies=c.get("allergies", ""), pai=c.get("pai", False),
                      pai_details=c.get("pai_details", ""),
                      doctor_name="Dr Praticien FICTIF", doctor_phone="01 02 03 06 00",
                      image_rights=True, created_at=now - dt.timedelta(days=118))
        db.session.add(child)
        db.session.flush()
        db.session.add(HouseholdChild(household_id=household.id, child_id=child.id))
        if level:
            db.session.add(SchoolInfo(child_id=child.id, school_year=label,
                                      school_name=c.get("school_name", "École des Tilleuls"),
                                      level=level))
        db.session.add(AuthorizedPerson(
            child_id=child.id, household_id=household.id,
            name=f"Mamie {spec.guardians[0]['last_name']}", phone="06 01 02 09 99",
            relationship_to_child="Grand-mère"))
        children_by_key[c["key"]] = child
    for key in spec.shared_children:
        db.session.add(HouseholdChild(household_id=household.id,
                                      child_id=children_by_key[key].id))
    db.session.flush()
    # documents: accepted for validated households, waiting for the submitted one
    if submitted:
        state = DocumentState.ACCEPTED.value if validated else DocumentState.PENDING.value
        for code in ("attestation_qf", "justificatif_domicile", "assurance"):
            if spec.key == "rouquette" and code == "justificatif_domicile":
                _store_document(household, types[code], None, DocumentState.REFUSED.value, now,
                                agent, first_user, "facture-ancienne.pdf",
                                refusal_reason="Le justificatif date de plus de 3 mois.")
            _store_document(household, types[code], None, state, now, agent, first_user,
                            f"{code.replace('_', '-')}.pdf")
        for c in spec.children:
            child = children_by_key[c["key"]]
            _store_document(household, types["vaccinations"], child, state, now, agent,
                            first_user, f"vaccins-{c['first_name'].lower()}.pdf")
            if c.get("pai"):
                _store_document(household, types["pai"], child, state, now, agent,
                                first_user, f"pai-{c['first_name'].lower()}.pdf")
    db.session.flush()
    return household, children_by_key, first_user, True


def _book_families(booker: Booker, fam: dict, kids: dict) -> None:
    P = PresenceState
    A, PE, R, CR, C, W = (P.ACCEPTED.value, P.PENDING.value, P.REFUSED.value,
                          P.CANCEL_REQUESTED.value, P.CANCELLED.value, P.WAITLISTED.value)
    full = "Plus de place disponible ce jour-là."

    # MARCADIEU: Paul (GS) on the maternelle Wednesdays, every state of the legend
    if "marcadieu" in fam:
        household, user = fam["marcadieu"]
        paul, jeanne = kids["paul"], kids["jeanne"]
        past, future = booker.dates("mercredi_maternelle")
        booker.book(household, paul, user, "mercredi_maternelle",
                    [(d, "MERCREDI JOURNEE AVEC REPAS", A, None) for d in past])
        plan = [("MERCREDI JOURNEE AVEC REPAS", A, None),
                ("MERCREDI MATIN AVEC REPAS", CR, None),
                ("MERCREDI JOURNEE AVEC REPAS", PE, None),
                ("MERCREDI JOURNEE AVEC REPAS", R, full),
                ("MERCREDI APRES MIDI SANS REPAS", C, None),
                ("MERCREDI JOURNEE AVEC REPAS", W, None),
                ("MERCREDI MATIN SANS REPAS", PE, None),
                ("MERCREDI JOURNEE SANS REPAS", PE, None)]
        booker.book(household, paul, user, "mercredi_maternelle",
                    [(d, unit, state, reason)
                     for d, (unit, state, reason) in zip(future, plan)])
        # Jeanne (CE2, PAI): the canteen all year, accepted at once
        past, future = booker.dates("cantine")
        booker.book(household, jeanne, user, "cantine",
                    [(d, "REPAS CANTINE", A, None) for d in past + future])
        past, future = booker.dates("soir")
        booker.book(household, jeanne, user, "soir",
                    [(d, "SOIR 16H30-18H30", A, None) for d in past + future[:8]
                     if d.weekday() == 1])
        past, future = booker.dates("mercredi_elementaire")
        booker.book(household, jeanne, user, "mercredi_elementaire",
                    [(d, "MERCREDI MATIN SANS REPAS", PE, None) for d in future[1:3]])

    # ROUQUETTE: Hugo (CM2) alternate Wednesdays and the séjour; Lina (5e) soirées
    if "rouquette" in fam:
        household, user = fam["rouquette"]
        hugo, lina = kids["hugo"], kids["lina"]
        past, future = booker.dates("mercredi_elementaire")
        booker.book(household, hugo, user, "mercredi_elementaire",
                    [(d, "MERCREDI APRES MIDI AVEC REPAS", A, None) for d in past[::2]])
        booker.book(household, hugo, user, "mercredi_elementaire",
                    [(d, "MERCREDI APRES MIDI AVEC REPAS", A if i == 0 else PE, None)
                     for i, d in enumerate(future[0:6:2])])
        past, future = booker.dates("sejour")
        booker.book(household, hugo, user, "sejour",
                    [(d, "SÉJOUR 5 JOURS", PE, None) for d in past + future])
        past, future = booker.dates("soirees")
        booker.book(household, lina, user, "soirees",
                    [(d, "SOIRÉE 18H-22H", A, None) for d in past[-4:]])
        booker.book(household, lina, user, "soirees",
                    [(d, "SOIRÉE 18H-22H", s, None)
                     for d, s in zip(future[:3], (PE, C, PE))])

    # ESCUDIER / SABATHÉ: Léo (CE1) shared by his separated parents
    if "escudier" in fam and "sabathe" in fam:
        leo = kids["leo"]
        father, father_user = fam["escudier"]
        mother, mother_user = fam["sabathe"]
        past, future = booker.dates("mercredi_elementaire")
        booker.book(father, leo, father_user, "mercredi_elementaire",
                    [(d, "MERCREDI JOURNEE AVEC REPAS", A, None)
                     for d in (past + future[:6])[0::2]])
        booker.book(mother, leo, mother_user, "mercredi_elementaire",
                    [(d, "MERCREDI JOURNEE SANS REPAS", A if d in past else PE, None)
                     for d in (past + future[:6])[1::2]])
        past, future = booker.dates("soir")
        booker.book(mother, leo, mother_user, "soir",
                    [(d, "SOIR 16H30-17H30", A, None) for d in past + future[:10]
                     if d.weekday() in (0, 3)])
        past, future = booker.dates("cantine")
        booker.book(mother, leo, mother_user, "cantine",
                    [(d, "REPAS CANTINE", A, None) for d in past + future])


def _attendance(now: dt.datetime, agent, household_ids: list[int]) -> int:
    """Pointage of the past accepted presences of the new households, up to the day
    before yesterday (yesterday is left for the agents to mark); days more than a
    week old are locked."""
    from app.attendance.models import Attendance, AttendanceDayLock
    from app.catalogue.models import Period, Reception

    if not household_ids:
        return 0
    today = now.date()
    presences = db.session.scalars(select(Presence).where(
        Presence.household_id.in_(household_ids),
        Presence.state == PresenceState.ACCEPTED.value,
        Presence.date < today - dt.timedelta(days=1)).order_by(Presence.date, Presence.id)).all()
    facility_of = dict(db.session.execute(
        select(Period.id, Reception.facility_id).join(Reception)).all())
    locks = set()
    for index, presence in enumerate(presences):
        status = "present"
        if index % 23 == 7:
            status = "absent"
        elif index % 31 == 11:
            status = "excused"
        marked = dt.datetime.combine(presence.date, dt.time(18, 45))
        db.session.add(Attendance(presence_id=presence.id, status=status, marked_at=marked,
                                  marked_by_id=agent.id))
        if presence.date < today - dt.timedelta(days=7):
            locks.add((facility_of[presence.period_id], presence.date))
    for facility_id, day in sorted(locks):
        if not db.session.scalar(select(AttendanceDayLock.id).where(
                AttendanceDayLock.facility_id == facility_id, AttendanceDayLock.date == day)):
            db.session.add(AttendanceDayLock(
                facility_id=facility_id, date=day, locked_by_id=agent.id,
                locked_at=dt.datetime.combine(day, dt.time(19, 0))))
    db.session.flush()
    return len(presences)


def _bill_past_months(now: dt.datetime, accountant, first_year: int) -> int:
    """The school year's finished months billed and issued by the accountant, as
    on the 3rd of the following month at 9:00, so that "Mes factures" and the
    billing screens have invoices to show. Returns the number of invoices."""
    from app.billing.services import issue_invoices, run_billing

    count = 0
    year, month = first_year, 9
    while (year, month) < (now.year, now.month):
        following = (year + (month == 12), month % 12 + 1)
        issued_at = min(now, dt.datetime(*following, 3, 9, 0))
        if run_billing(accountant, issued_at, year, month).invoices:
            count += len(issue_invoices(accountant, issued_at, year, month))
        year, month = following
    return count


def load_demo(now: dt.datetime | None = None) -> DemoResult:
    """Load (or top up) the whole demo; commits. Returns the logins to print."""
    now = now or clock.now()
    result = DemoResult()
    cat = load_catalogue(now.date())
    result.created += cat.created
    staff = {}
    for role, email, first_name, last_name in STAFF:
        staff[role], made = _user(role, email, first_name, last_name)
        result.created += made
        result.logins.append(Login(role, email, PASSWORDS[role], f"{first_name} {last_name}"))
    agent = staff["Agent"]
    result.created += load_settings()
    types = load_document_types()
    result.created += load_content(cat, now)
    first_year, _start, _end = school_year(now.date())
    kids: dict = {}
    new_families: dict = {}
    for spec in FAMILIES:
        household, kids, user, made = load_family(spec, kids, types, agent, now, first_year)
        result.created += made
        if user is not None:
            g = spec.guardians[0]
            state = HouseholdStatus.label_of(spec.status)
            result.logins.append(Login("Famille", g["email"], PASSWORDS["Famille"],
                                       f"{g['first_name']} {g['last_name']} ({state})"))
        if made:
            new_families[spec.key] = (household, user)
    booker = Booker(now, agent, cat)
    _book_families(booker, new_families, kids)
    result.created += booker.count
    result.created += _attendance(now, agent, [h.id for h, _u in new_families.values()])
    db.session.commit()
    if new_families:
        result.created += _bill_past_months(now, staff["Comptable"], first_year)
    result.already_there = result.created == 0
    return result
