"""A large, realistic, deterministic dataset for benchmarks, written in bulk.

``generate(households, seed)`` adds N households (1–2 guardians, 1–3
children: about 1.65 a household), their school info, and a school year of
presences on the demo catalogue (created if missing; slot capacities are
raised so the bookings fit). Rows are written with SQLAlchemy Core
``insert()`` and lists of dicts (executemany / insertmanyvalues), a few
hundred households at a time; ids come back through RETURNING, so the same
code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict

from flask import current_app
from sqlalchemy import func, insert, select, text, update
from werkzeug.security import generate_password_hash

from app.bookings.models import Presence, PresenceHistory, Request
from app.catalogue.models import Slot
from app.catalogue.services import opening_dates
from app.core import clock
from app.core.states import (
    ELEMENTAIRE_LEVELS,
    MATERNELLE_LEVELS,
    HouseholdStatus,
    PresenceState,
    RequestKind,
)
from app.demo.catalogue import load_catalogue, school_year
from app.demo.fiction import LEVEL_OFFSETS, PASSWORDS
from app.extensions import db
from app.families.models import Child, Guardian, Household, HouseholdChild, SchoolInfo

CHUNK = 300  # households per batch

FIRST_NAMES_F = ("Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Rose", "Léa", "Anna",
                 "Mila", "Inès", "Ambre", "Julia", "Mia", "Léna", "Manon", "Zoé", "Agathe",
                 "Lou", "Jeanne", "Eva", "Nina", "Camille", "Sarah", "Romane", "Margaux")
FIRST_NAMES_M = ("Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Jules", "Adam", "Maël",
                 "Lucas", "Hugo", "Noah", "Liam", "Gabin", "Sacha", "Paul", "Nathan", "Aaron",
                 "Mohamed", "Tom", "Éden", "Théo", "Noé", "Victor", "Martin", "Timéo", "Axel")
ADULT_F = ("Sophie", "Claire", "Julie", "Aurélie", "Émilie", "Céline", "Nadia", "Sandrine",
           "Marion", "Laetitia", "Audrey", "Élodie", "Karine", "Virginie", "Fatima")
ADULT_M = ("Julien", "Thomas", "Nicolas", "Sébastien", "Karim", "Mathieu", "Romain", "David",
           "Olivier", "Guillaume", "Jérôme", "Cédric", "Yannick", "Franck", "Mehdi")
# Invented surnames (syllables put together), so no real family is named.
_SYLLABLES_1 = ("BEL", "CAS", "DU", "ES", "FOUR", "LA", "MAR", "PEY", "ROU", "SAB", "TOUR",
                "VAL", "BOR", "CAM", "GAR", "LAB", "MON", "SAINT", "VIL", "AR")
_SYLLABLES_2 = ("CADIEU", "QUETTE", "NIVAL", "COUR", "TELOT", "BERNE", "LONGUE", "DIER",
                "RADE", "SOLLE", "GASSE", "MOUNET", "PIAC", "TALOT", "VIGNE", "ZAC")
STREETS = ("rue des Écoles", "avenue des Platanes", "chemin des Vignes", "route de la Forêt",
           "impasse des Glycines", "place du Foirail", "rue du Lavoir", "allée des Tilleuls")
TOWNS = (("99110", "Villeneuve-des-Coteaux"), ("99120", "Lasserre-sur-Osse"),
         ("99130", "Castelnau-des-Prés"), ("99140", "Montclar-les-Vergers"))
SCHOOLS = {"maternelle": "École maternelle des Tilleuls",
           "elementaire": "École élémentaire des Tilleuls",
           "college": "Collège des Trois Vallons"}

P = PresenceState


def _level_group(level: str) -> str:
    if level in MATERNELLE_LEVELS:
        return "maternelle"
    if level in ELEMENTAIRE_LEVELS:
        return "elementaire"
    return "college"


def _insert(table, rows: list[dict], returning: bool = False) -> list[int]:
    """Bulk insert; with ``returning``, the new ids in the order of ``rows``."""
    if not rows:
        return []
    connection = db.session.connection()
    if returning:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(statement, rows).scalars())
    connection.execute(insert(table), rows)
    return []


def generate(households: int, seed: int = 1, now: dt.datetime | None = None,
             skip_fk_checks: bool = False) -> dict:
    """Add ``households`` generated households and their year of presences.

    ``skip_fk_checks`` (PostgreSQL, superuser only): the bulk transactions run with
    ``session_replication_role = replica``, which skips the foreign-key triggers
    (about 3x faster on presence rows; the rows are consistent by construction,
    unique indexes and check constraints still apply), as pg_restore
    --disable-triggers does.
    """
    started = time.perf_counter()
    now = now or clock.now()
    rng = random.Random(seed)
    cat = load_catalogue(now.date())
    db.session.commit()

    # capacities high enough for the bookings (loosely respected)
    slot_ids = [slot.id for slot in cat.slots.values()]
    db.session.execute(update(Slot).where(Slot.id.in_(slot_ids))
                       .values(capacity=func.max(Slot.capacity, households * 2)
                               if db.engine.dialect.name == "sqlite"
                               else func.greatest(Slot.capacity, households * 2)))
    db.session.commit()

    first_year, _start, _end = school_year(now.date())
    label = f"{first_year}-{first_year + 1}"
    today = now.date()
    days = {key: opening_dates(period.id) for key, period in cat.periods.items()}
    units = defaultdict(list)
    for (key, _name), unit in cat.units.items():
        units[key].append(unit.id)
    period_ids = {key: period.id for key, period in cat.periods.items()}
    validation = {key: period.requires_validation for key, period in cat.periods.items()}
    agent_id = None
    sm = current_app.appbuilder.sm
    agent = sm.find_user(username="agent.demo@example.org")
    if agent is not None:
        agent_id = agent.id
    role_id = sm.find_role("Famille").id
    password_hash = generate_password_hash(
        PASSWORDS["Famille"], method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    user_table = sm.user_model.__table__
    from flask_appbuilder.security.sqla.models import assoc_user_role

    run_tag = f"{seed}-{int(db.session.scalar(select(func.count(Household.id))) or 0)}"
    totals = defaultdict(int)
    for chunk_start in range(0, households, CHUNK):
        size = min(CHUNK, households - chunk_start)
        if skip_fk_checks and db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        _generate_chunk(rng, size, chunk_start, run_tag, now, today, label, first_year, days,
                        units, period_ids, validation, agent_id, role_id, password_hash,
                        user_table, assoc_user_role, totals)
        db.session.commit()
    totals["seconds"] = round(time.perf_counter() - started, 2)
    return dict(totals)


def _generate_chunk(rng, size, offset, run_tag, now, today, label, first_year, days, units,
                    period_ids, validation, agent_id, role_id, password_hash, user_table,
                    assoc_user_role, totals) -> None:
    # -- households and their account holders
    household_rows, plans = [], []
    for i in range(size):
        number = offset + i
        status = rng.choices((HouseholdStatus.VALIDATED.value, HouseholdStatus.SUBMITTED.value,
                              HouseholdStatus.DRAFT.value), weights=(90, 6, 4))[0]
        surname = rng.choice(_SYLLABLES_1) + rng.choice(_SYLLABLES_2)
        postcode, town = rng.choice(TOWNS)
        validated = status == HouseholdStatus.VALIDATED.value
        household_rows.append(dict(
            address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}", address_extra="",
            postcode=postcode, city=town, phone=f"01 02 {rng.randint(10, 99)} "
                                               f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
            family_situation=rng.choice(("married", "pacs", "cohabiting", "single",
                                         "separated", "divorced")),
            benefits_regime=rng.choice(("CAF", "CAF", "CAF", "MSA")),
            allocataire_number=f"{rng.randint(0, 9999999):07d}",
            quotient_familial=rng.randint(250, 1900), qf_checked=validated, status=status,
            created_at=now - dt.timedelta(days=rng.randint(90, 400)),
            conditions_accepted_at=now - dt.timedelta(days=80) if status != "draft" else None,
            submitted_at=now - dt.timedelta(days=rng.randint(1, 80)) if status != "draft"
            else None,
            validated_at=now - dt.timedelta(days=70) if validated else None,
            validated_by_id=agent_id if validated else None,
            refusal_reason=None, closure_requested_at=None))
        guardians = 2 if rng.random() < 0.65 else 1
        children = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        plans.append((number, surname, guardians, children, validated))
    household_ids = _insert(Household.__table__, household_rows, returning=True)

    user_rows = []
    for (number, surname, _g, _c, _v), household_id in zip(plans, household_ids):
        user_rows.append(dict(
            first_name=rng.choice(ADULT_F), last_name=surname,
            username=f"foyer{number + 1:05d}.{run_tag}@generated.test",
            email=f"foyer{number + 1:05d}.{run_tag}@generated.test",
            password=password_hash, active=True, created_on=now, changed_on=now,
            login_count=0, fail_login_count=0))
    user_ids = _insert(user_table, user_rows, returning=True)
    _insert(assoc_user_role, [dict(user_id=u, role_id=role_id) for u in user_ids])

    guardian_rows, child_rows, child_meta = [], [], []
    for (number, surname, guardians, children, validated), household_id, user_id, user_row in zip(
            plans, household_ids, user_ids, user_rows):
        for position in range(guardians):
            holder = position == 0
            guardian_rows.append(dict(
                household_id=household_id, user_id=user_id if holder else None,
                position=position, civility="Mme" if holder else "M.",
                first_name=user_row["first_name"] if holder else rng.choice(ADULT_M),
                last_name=surname, birth_date=None,
                email=user_row["email"] if holder
                else f"responsable2.{household_id}@generated.test",
                email_verified_at=now - dt.timedelta(days=100) if holder else None,
                mobile_phone=f"06 01 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                             f"{rng.randint(10, 99)}",
                work_phone="", profession="", employer="",
                relationship_to_child="Mère" if holder else "Père"))
        for _ in range(children):
            level = rng.choices(
                ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e", "4e",
                 "3e"), weights=(2, 8, 8, 8, 9, 9, 9, 9, 9, 6, 6, 5, 5))[0]
            sex = rng.choice(("F", "M"))
            birth = dt.date(first_year - LEVEL_OFFSETS[level], rng.randint(1, 12),
                            rng.randint(1, 28))
            child_rows.append(dict(
                first_name=rng.choice(FIRST_NAMES_F if sex == "F" else FIRST_NAMES_M),
                last_name=surname, birth_date=birth, sex=sex, allergies="", pai=False,
                pai_details="", diet="", doctor_name="", doctor_phone="",
                image_rights=rng.random() < 0.8, notes="", created_at=now))
            child_meta.append((household_id, user_id, level, validated))
    _insert(Guardian.__table__, guardian_rows)
    child_ids = _insert(Child.__table__, child_rows, returning=True)
    links = [dict(household_id=h, child_id=c) for (h, *_), c in zip(child_meta, child_ids)]
    # a few children shared with the next household (separated parents)
    for index in range(len(child_ids) - 1):
        if rng.random() < 0.01 and child_meta[index][0] != child_meta[index + 1][0]:
            links.append(dict(household_id=child_meta[index + 1][0], child_id=child_ids[index]))
    _insert(HouseholdChild.__table__, links)
    _insert(SchoolInfo.__table__, [
        dict(child_id=c, school_year=label, school_name=SCHOOLS[_level_group(level)],
             level=level)
        for (_h, _u, level, _v), c in zip(child_meta, child_ids)])
    totals["households"] += size
    totals["guardians"] += len(guardian_rows)
    totals["children"] += len(child_ids)

    # -- a school year of presences for the validated households' children
    request_rows, request_items = [], []
    for (household_id, user_id, level, validated), child_id in zip(child_meta, child_ids):
        if not validated:
            continue
        group = _level_group(level)
        if group == "maternelle":
            choices = ["mercredi_maternelle", "soir", "cantine"]
        elif group == "elementaire":
            choices = ["mercredi_elementaire", "soir", "cantine"]
        else:
            choices = ["soirees", "cantine"] if level == "6e" else ["soirees"]
        choices = [k for k in choices if k in period_ids]
        booked = rng.sample(choices, k=min(len(choices), rng.choice((1, 2, 2))))
        for key in booked:
            unit_id = rng.choice(units[key])
            if key in ("soir",):
                weekdays = set(rng.sample((0, 1, 3, 4), k=rng.randint(2, 4)))
                chosen = [d for d in days[key] if d.weekday() in weekdays and rng.random() < 0.9]
            elif key == "cantine":
                chosen = [d for d in days[key] if rng.random() < 0.97]
            else:
                chosen = [d for d in days[key] if rng.random() < 0.85]
            by_month = defaultdict(list)
            for day in chosen:
                by_month[(day.year, day.month)].append(day)
            for month_days in by_month.values():
                created = min(dt.datetime.combine(month_days[0] - dt.timedelta(days=20),
                                                  dt.time(20, 30)), now - dt.timedelta(hours=1))
                request_rows.append(dict(
                    kind=RequestKind.BOOKING.value, household_id=household_id,
                    child_id=child_id, period_id=period_ids[key], created_at=created,
                    created_by_id=user_id, comment=""))
                request_items.append((household_id, child_id, key, unit_id, user_id,
                                      created, month_days))
    request_ids = _reserve_ids(Request.__table__, len(request_rows))
    for request_id, row in zip(request_ids, request_rows):
        row["id"] = request_id
    _insert(Request.__table__, request_rows)

    presence_rows = []
    for request_id, (household_id, child_id, key, unit_id, user_id, created,
                     month_days) in zip(request_ids, request_items):
        for day in month_days:
            state = _state(rng, day < today, validation[key])
            decided = state not in (P.PENDING.value, P.WAITLISTED.value) and (
                validation[key] or state != P.ACCEPTED.value)
            decided_at = min(created + dt.timedelta(days=1), now)
            presence_rows.append(dict(
                request_id=request_id, cancel_request_id=None, household_id=household_id,
                child_id=child_id, period_id=period_ids[key], unit_id=unit_id, date=day,
                state=state, created_at=created, updated_at=decided_at if decided else created,
                decided_at=decided_at if decided else None,
                decided_by_id=agent_id if decided else None,
                reason="Plus de place disponible ce jour-là." if state == P.REFUSED.value
                else None, late_cancellation=False))
    if request_ids:
        first_id = db.session.scalar(select(func.coalesce(func.max(Presence.id), 0))) + 1
        for start in range(0, len(presence_rows), 20000):
            _insert(Presence.__table__, presence_rows[start:start + 20000])
        totals["presence_history"] += _history(first_id, agent_id)
        totals["attendance"] += _attendance(first_id, agent_id, today)
    totals["requests"] += len(request_ids)
    totals["presences"] += len(presence_rows)


def _reserve_ids(table, count: int) -> list[int]:
    """``count`` new ids for ``table`` (its sequence on PostgreSQL; max + 1… on SQLite,
    which has one writer at a time)."""
    if count == 0:
        return []
    if db.engine.dialect.name == "postgresql":
        return list(db.session.scalars(
            select(func.nextval(func.pg_get_serial_sequence(table.name, "id")))
            .select_from(func.generate_series(1, count))))
    first = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0))) + 1
    return list(range(first, first + count))


def _history(first_presence_id: int, agent_id) -> int:
    """The history rows of the presences just written (id >= ``first_presence_id``),
    written by the database itself (INSERT … SELECT), one row per transition."""
    from sqlalchemy import case, literal, null

    from app.catalogue.models import Period

    history = PresenceHistory.__table__
    presence = Presence.__table__
    request = Request.__table__
    period = Period.__table__
    columns = ["presence_id", "at", "actor_id", "from_state", "to_state", "reason"]
    joined = presence.join(request, request.c.id == presence.c.request_id).join(
        period, period.c.id == presence.c.period_id)
    recent = presence.c.id >= first_presence_id
    validated = period.c.requires_validation.is_(True)
    agent = literal(agent_id) if agent_id is not None else null()
    first_state = case(
        (presence.c.state == P.WAITLISTED.value, P.WAITLISTED.value),
        (validated, P.PENDING.value), else_=P.ACCEPTED.value)
    held = (P.ACCEPTED.value, P.CANCEL_REQUESTED.value, P.CANCELLED.value)
    steps = [
        # booked by the family
        (select(presence.c.id, presence.c.created_at, request.c.created_by_id, null(),
                first_state, null()).select_from(joined).where(recent)),
        # accepted by an agent
        (select(presence.c.id, presence.c.updated_at, agent, literal(P.PENDING.value),
                literal(P.ACCEPTED.value), null()).select_from(joined)
         .where(recent, validated, presence.c.state.in_(held))),
        # refused by an agent
        (select(presence.c.id, presence.c.updated_at, agent, literal(P.PENDING.value),
                literal(P.REFUSED.value), presence.c.reason).select_from(joined)
         .where(recent, presence.c.state == P.REFUSED.value)),
        # cancellation asked by the family
        (select(presence.c.id, presence.c.updated_at, request.c.created_by_id,
                literal(P.ACCEPTED.value), literal(P.CANCEL_REQUESTED.value), null())
         .select_from(joined)
         .where(recent, presence.c.state.in_((P.CANCEL_REQUESTED.value,
                                              P.CANCELLED.value)))),
        # cancellation accepted by an agent
        (select(presence.c.id, presence.c.updated_at, agent,
                literal(P.CANCEL_REQUESTED.value), literal(P.CANCELLED.value), null())
         .select_from(joined).where(recent, presence.c.state == P.CANCELLED.value)),
    ]
    connection = db.session.connection()
    written = 0
    for query in steps:
        written += connection.execution_options(preserve_rowcount=True).execute(
            insert(history).from_select(columns, query)).rowcount
    return written


def _attendance(first_presence_id: int, agent_id, today: dt.date) -> int:
    """Pointage of the past accepted presences just written (mostly present), by the
    database itself (INSERT … SELECT)."""
    from sqlalchemy import case, literal, literal_column, null

    from app.attendance.models import Attendance

    presence = Presence.__table__
    status = case((presence.c.id % 20 == 0, "absent"), (presence.c.id % 29 == 0, "excused"),
                  else_="present")
    if db.engine.dialect.name == "postgresql":
        marked_at = literal_column("presence.date + time '18:45'")
    else:
        marked_at = func.datetime(presence.c.date, "+18 hours", "+45 minutes")
    query = select(presence.c.id, status, marked_at,
                   literal(agent_id) if agent_id is not None else null()).where(
        presence.c.id >= first_presence_id, presence.c.state == P.ACCEPTED.value,
        presence.c.date < today)
    return db.session.connection().execution_options(preserve_rowcount=True).execute(
        insert(Attendance.__table__).from_select(
            ["presence_id", "status", "marked_at", "marked_by_id"], query)).rowcount


def _state(rng, past: bool, needs_validation: bool) -> str:
    roll = rng.random()
    if past:
        if roll < 0.92:
            return P.ACCEPTED.value
        if roll < 0.97:
            return P.CANCELLED.value
        return P.REFUSED.value if needs_validation else P.CANCELLED.value
    if roll < 0.80:
        return P.ACCEPTED.value
    if roll < 0.90:
        return P.PENDING.value if needs_validation else P.ACCEPTED.value
    if roll < 0.93:
        return P.CANCEL_REQUESTED.value
    if roll < 0.97:
        return P.CANCELLED.value
    if roll < 0.99:
        return P.REFUSED.value if needs_validation else P.CANCELLED.value
    return P.WAITLISTED.value if needs_validation else P.ACCEPTED.value
