"""The demo catalogue: a fictional intercommunality's facilities, services,
receptions, periods (of the current school year), slots, units and tariffs.

Everything is looked up by its natural key before being created, so loading
it twice changes nothing. Used by ``portail demo`` and ``portail generate``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from app.catalogue import services as catalogue_services
from app.catalogue.models import (
    Facility,
    OpeningDay,
    Period,
    Reception,
    ServiceKind,
    Slot,
    Tariff,
    Unit,
    UnitSlot,
)
from app.core import clock
from app.core.states import (
    COLLEGE_LEVELS,
    ELEMENTAIRE_LEVELS,
    MATERNELLE_LEVELS,
    BillingBasis,
    DeadlineMode,
)
from app.extensions import db

ZONE = "C"

# code, name, allows: registration, booking, payment, cancellation, programme; billing basis
SERVICE_KINDS = (
    ("acm_mercredi", "ACM des Mercredis", True, True, False, True, True, "booked",
     "Accueil de loisirs des mercredis en période scolaire, à la journée ou à la demi-journée, "
     "avec ou sans repas."),
    ("acm_soir", "ACM du Soir", True, True, False, True, True, "booked",
     "Accueil périscolaire du soir après la classe, les lundis, mardis, jeudis et vendredis."),
    ("centre_loisirs", "Centres de loisirs", True, True, False, True, True, "booked",
     "Accueils de loisirs pendant les vacances scolaires, pour les enfants de 3 à 12 ans."),
    ("sejour", "Séjours", True, True, False, True, True, "booked",
     "Séjours de plusieurs jours avec hébergement, l'été, pour les 8-14 ans."),
    ("soiree_jeunesse", "Soirées jeunesse", True, True, False, True, True, "booked",
     "Soirées à l'espace jeunes pour les 11-17 ans, le vendredi soir."),
    ("cantine", "Cantines", True, True, False, False, True, "attended",
     "Restauration scolaire. La réservation se fait pour l'année entière ; "
     "seuls les jours de présence sont facturés."),
    ("assistant_maternel", "Assistant(e) maternel(le)", True, True, False, True, True, "booked",
     "Mise en relation avec les assistant(e)s maternel(le)s agréé(e)s du territoire."),
)

FACILITIES = (
    dict(name="ACM PITCHOUNET", address="12 rue des Écoliers", postcode="99110",
         city="Villeneuve-des-Coteaux", phone="01 02 03 04 11",
         email="acm.pitchounet@example.org",
         opening_hours="Mercredis 7h30-18h30 ; soirs 16h30-18h30",
         description="Accueil de loisirs des 3-11 ans, au cœur du groupe scolaire des "
                     "Tilleuls : mercredis, accueil du soir et restauration scolaire."),
    dict(name="ACM LES P'TITS LOUPS", address="3 chemin du Moulin", postcode="99120",
         city="Lasserre-sur-Osse", phone="01 02 03 04 12",
         email="acm.ptitsloups@example.org",
         opening_hours="Vacances scolaires, du lundi au vendredi, 7h30-18h30",
         description="Centre de loisirs des vacances scolaires, au bord de la rivière, "
                     "pour les 3-12 ans."),
    dict(name="ESPACE JEUNES LA PASSERELLE", address="1 place du Foirail", postcode="99130",
         city="Castelnau-des-Prés", phone="01 02 03 04 13",
         email="espace.jeunes@example.org",
         opening_hours="Vendredis 18h-22h ; séjours l'été",
         description="Lieu d'accueil des 11-17 ans : soirées du vendredi, projets de jeunes "
                     "et séjours d'été."),
)

# facility, service kind code, reception name
RECEPTIONS = (
    ("ACM PITCHOUNET", "acm_mercredi", "MERCREDIS"),
    ("ACM PITCHOUNET", "acm_soir", "SOIRS"),
    ("ACM PITCHOUNET", "cantine", "RESTAURANT SCOLAIRE"),
    ("ACM LES P'TITS LOUPS", "centre_loisirs", "VACANCES SCOLAIRES"),
    ("ESPACE JEUNES LA PASSERELLE", "sejour", "SÉJOURS"),
    ("ESPACE JEUNES LA PASSERELLE", "soiree_jeunesse", "SOIRÉES"),
)

# QF brackets (euros, inclusive) shared by every unit
BRACKETS = ((0, 600), (601, 900), (901, 1200), (1201, None))
BRACKET_FACTORS = (100, 125, 150, 175)  # percent of the base price

MERCREDI_UNITS = (
    # name, colour, start, end, slots, base price (cents, first bracket)
    ("MERCREDI JOURNEE SANS REPAS", "#3c8dbc", "08:30", "17:30", ("matin", "après-midi"), 600),
    ("MERCREDI MATIN SANS REPAS", "#00a65a", "08:30", "12:00", ("matin",), 300),
    ("MERCREDI MATIN AVEC REPAS", "#f39c12", "08:30", "13:30", ("matin", "repas"), 620),
    ("MERCREDI JOURNEE AVEC REPAS", "#dd4b39", "08:30", "17:30",
     ("matin", "repas", "après-midi"), 920),
    ("MERCREDI APRES MIDI AVEC REPAS", "#605ca8", "12:00", "17:30",
     ("repas", "après-midi"), 620),
    ("MERCREDI APRES MIDI SANS REPAS", "#39cccc", "13:30", "17:30", ("après-midi",), 300),
)
VACANCES_UNITS = (
    ("VACANCES JOURNEE AVEC REPAS", "#dd4b39", "08:30", "17:30",
     ("matin", "repas", "après-midi"), 950),
    ("VACANCES JOURNEE SANS REPAS", "#3c8dbc", "08:30", "17:30", ("matin", "après-midi"), 650),
    ("VACANCES MATIN AVEC REPAS", "#f39c12", "08:30", "13:30", ("matin", "repas"), 650),
    ("VACANCES APRES MIDI SANS REPAS", "#39cccc", "13:30", "17:30", ("après-midi",), 320),
)


@dataclass
class PeriodSpec:
    key: str
    facility: str
    kind: str
    reception: str
    name: str
    start: dt.date
    end: dt.date
    weekdays: str
    slots: tuple  # (name, capacity)
    units: tuple  # (name, colour, start, end, slots, base price)
    term_time: bool = False
    min_age: int | None = None
    max_age: int | None = None
    school_levels: tuple | None = None
    booking_opens_at: dt.datetime | None = None
    booking: dict = field(default_factory=dict)
    cancel: dict = field(default_factory=dict)
    requires_validation: bool = True
    whole_booking: bool = False
    waitlist_enabled: bool = True
    requires_documents: bool = True
    requires_school_info: bool = False
    description: str = ""


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _holiday_ranges(year: int) -> dict[str, list[dt.date]]:
    """Zone C school holidays of a calendar year by name (empty if unknown)."""
    try:
        data = catalogue_services._school_holiday_dates().holidays_for_year_and_zone(year, ZONE)
    except Exception:  # outside the package's data
        return {}
    ranges: dict[str, list[dt.date]] = {}
    for day, info in data.items():
        ranges.setdefault(info["nom_vacances"], []).append(day)
    return ranges


def school_year(today: dt.date | None = None) -> tuple[int, dt.date, dt.date]:
    """(first year, first school day, last school day) of the current school year."""
    today = today or clock.today()
    first, _second = clock.school_year_of(today)
    start = dt.date(first, 9, 1)
    for _ in range(14):  # la rentrée: the first school day of September
        if start.weekday() < 5 and not catalogue_services.is_school_holiday(start, ZONE):
            break
        start += dt.timedelta(days=1)
    summer = sorted(_holiday_ranges(first + 1).get("Vacances d'été", []))
    end = summer[0] - dt.timedelta(days=1) if summer else dt.date(first + 1, 7, 3)
    return first, start, end


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def period_specs(today: dt.date | None = None) -> list[PeriodSpec]:
    first, start, end = school_year(today)
    label = f"{first}-{first + 1}"
    summer_start = _monday_on_or_after(end + dt.timedelta(days=1))
    summer_end = dt.date(first + 1, 7, 30)
    while summer_end.weekday() >= 5:
        summer_end -= dt.timedelta(days=1)
    # the séjour: the first full Monday-Friday week of July without a public holiday,
    # from the second week of the holidays on
    sejour_start = summer_start + dt.timedelta(days=7)
    while any(catalogue_services.is_public_holiday(sejour_start + dt.timedelta(days=i))
              for i in range(5)):
        sejour_start += dt.timedelta(days=7)
    school_opens = dt.datetime(first, 6, 15, 9, 0)
    holidays_open = dt.datetime(first, 10, 1, 9, 0)
    maternelle_elementaire = MATERNELLE_LEVELS + ELEMENTAIRE_LEVELS
    slot3 = lambda capacity: (("matin", capacity), ("repas", capacity),  # noqa: E731
                              ("après-midi", capacity))
    mercredi_booking = dict(mode=DeadlineMode.DAYS_BEFORE.value, days=2, time="12:00")
    mercredi_cancel = dict(mode=DeadlineMode.WEEKDAY_BEFORE.value, weekday=3, weeks=1,
                           time="12:00")
    specs = [
        PeriodSpec(
            key="mercredi_maternelle", facility="ACM PITCHOUNET", kind="acm_mercredi",
            reception="MERCREDIS", name=f"ACM MERCREDI MATERNELLE {label}",
            start=start, end=end, weekdays="2", term_time=True, slots=slot3(24),
            units=MERCREDI_UNITS, school_levels=MATERNELLE_LEVELS, min_age=2, max_age=6,
            booking_opens_at=school_opens, booking=mercredi_booking, cancel=mercredi_cancel,
            description="Les mercredis des enfants de maternelle (TPS à GS), en période scolaire.",
        ),
        PeriodSpec(
            key="mercredi_elementaire", facility="ACM PITCHOUNET", kind="acm_mercredi",
            reception="MERCREDIS", name=f"ACM MERCREDI ELEMENTAIRE {label}",
            start=start, end=end, weekdays="2", term_time=True, slots=slot3(36),
            units=MERCREDI_UNITS, school_levels=ELEMENTAIRE_LEVELS, min_age=5, max_age=11,
            booking_opens_at=school_opens, booking=mercredi_booking, cancel=mercredi_cancel,
            description="Les mercredis des enfants d'élémentaire (CP à CM2), "
                        "en période scolaire.",
        ),
        PeriodSpec(
            key="soir", facility="ACM PITCHOUNET", kind="acm_soir", reception="SOIRS",
            name=f"ACM DU SOIR {label}", start=start, end=end, weekdays="0,1,3,4",
            term_time=True, slots=(("soir", 40),),
            units=(("SOIR 16H30-17H30", "#00c0ef", "16:30", "17:30", ("soir",), 120),
                   ("SOIR 16H30-18H30", "#0073b7", "16:30", "18:30", ("soir",), 200)),
            school_levels=maternelle_elementaire, min_age=2, max_age=11,
            booking_opens_at=school_opens, requires_validation=False,
            booking=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=1, time="18:00"),
            cancel=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=1, time="12:00"),
            description="Accueil du soir après la classe, acceptée aussitôt.",
        ),
        PeriodSpec(
            key="cantine", facility="ACM PITCHOUNET", kind="cantine",
            reception="RESTAURANT SCOLAIRE", name=f"CANTINE ÉCOLE DES TILLEULS {label}",
            start=start, end=end, weekdays="0,1,3,4", term_time=True,
            slots=(("repas", 150),),
            units=(("REPAS CANTINE", "#d81b60", "11:45", "13:15", ("repas",), 250),),
            school_levels=maternelle_elementaire, booking_opens_at=school_opens,
            requires_validation=False, requires_school_info=True, waitlist_enabled=False,
            booking=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=2, working_days=True,
                         time="10:00"),
            cancel=dict(mode=DeadlineMode.NONE.value),
            description="Restauration scolaire de l'école des Tilleuls, réservée pour l'année.",
        ),
        PeriodSpec(
            key="ete", facility="ACM LES P'TITS LOUPS", kind="centre_loisirs",
            reception="VACANCES SCOLAIRES", name=f"VACANCES D'ÉTÉ {first + 1}",
            start=summer_start, end=summer_end, weekdays="0,1,2,3,4", slots=slot3(40),
            units=VACANCES_UNITS, min_age=3, max_age=12, booking_opens_at=holidays_open,
            booking=dict(mode=DeadlineMode.WEEKDAY_BEFORE.value, weekday=4, weeks=2,
                         time="12:00"),
            cancel=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=7, working_days=True,
                        time="12:00"),
            description="Le centre de loisirs de juillet : sorties, grands jeux, baignade.",
        ),
        PeriodSpec(
            key="sejour", facility="ESPACE JEUNES LA PASSERELLE", kind="sejour",
            reception="SÉJOURS", name=f"SÉJOUR NATURE ET MONTAGNE {first + 1}",
            start=sejour_start, end=sejour_start + dt.timedelta(days=4),
            weekdays="0,1,2,3,4", slots=(("places", 12),),
            units=(("SÉJOUR 5 JOURS", "#ff851b", "08:00", "18:00", ("places",), 3000),),
            min_age=8, max_age=14, booking_opens_at=holidays_open, whole_booking=True,
            booking=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=21, time="12:00"),
            cancel=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=15, time="12:00"),
            description="Cinq jours sous tente en moyenne montagne : randonnée, escalade, "
                        "veillées. Le séjour se réserve en entier.",
        ),
        PeriodSpec(
            key="soirees", facility="ESPACE JEUNES LA PASSERELLE", kind="soiree_jeunesse",
            reception="SOIRÉES", name=f"SOIRÉES JEUNESSE {label}", start=start, end=end,
            weekdays="4", term_time=True, slots=(("soirée", 20),),
            units=(("SOIRÉE 18H-22H", "#001f3f", "18:00", "22:00", ("soirée",), 300),),
            min_age=11, max_age=17, school_levels=COLLEGE_LEVELS + ("lycee",),
            booking_opens_at=school_opens,
            booking=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=2, time="12:00"),
            cancel=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=1, time="12:00"),
            description="Les soirées du vendredi à l'espace jeunes.",
        ),
    ]
    winter = sorted(_holiday_ranges(first + 1).get("Vacances d'hiver", []))
    if winter:
        specs.insert(4, PeriodSpec(
            key="hiver", facility="ACM LES P'TITS LOUPS", kind="centre_loisirs",
            reception="VACANCES SCOLAIRES", name=f"VACANCES D'HIVER {first + 1}",
            start=winter[0], end=winter[-1], weekdays="0,1,2,3,4", slots=slot3(40),
            units=VACANCES_UNITS, min_age=3, max_age=12,
            booking_opens_at=dt.datetime(first, 12, 1, 9, 0),
            booking=dict(mode=DeadlineMode.WEEKDAY_BEFORE.value, weekday=4, weeks=2,
                         time="12:00"),
            cancel=dict(mode=DeadlineMode.DAYS_BEFORE.value, days=7, working_days=True,
                        time="12:00"),
            description="Le centre de loisirs des vacances d'hiver.",
        ))
    return specs


def get_or_create(model, lookup: dict, values: dict | None = None):
    """The row matching ``lookup``, or a new one with ``values`` too (flushed);
    returns (row, created): running the demo twice adds nothing."""
    query = select(model)
    for name, value in lookup.items():
        query = query.where(getattr(model, name) == value)
    row = db.session.scalar(query)
    if row is not None:
        return row, False
    row = model(**lookup, **(values or {}))
    db.session.add(row)
    db.session.flush()
    return row, True


def _deadline_values(prefix: str, rule: dict) -> dict:
    return {
        f"{prefix}_mode": rule.get("mode", DeadlineMode.NONE.value),
        f"{prefix}_days": rule.get("days", 0),
        f"{prefix}_working_days": rule.get("working_days", False),
        f"{prefix}_weekday": rule.get("weekday", 0),
        f"{prefix}_weeks": rule.get("weeks", 1),
        f"{prefix}_time": _time(rule["time"]) if rule.get("time") else None,
    }


@dataclass
class Catalogue:
    """What the loader made or found, by natural keys."""

    facilities: dict = field(default_factory=dict)  # name -> Facility
    kinds: dict = field(default_factory=dict)  # code -> ServiceKind
    periods: dict = field(default_factory=dict)  # spec key -> Period
    units: dict = field(default_factory=dict)  # (spec key, unit name) -> Unit
    slots: dict = field(default_factory=dict)  # (spec key, slot name) -> Slot
    created: int = 0


def load_catalogue(today: dt.date | None = None, generate_days: bool = True) -> Catalogue:
    """Create what is missing of the demo catalogue; returns it. Flushes, no commit."""
    cat = Catalogue()
    for position, (code, name, reg, book, pay, cancel, programme, basis,
                   description) in enumerate(SERVICE_KINDS, start=1):
        kind, made = get_or_create(ServiceKind, {"code": code}, dict(
            name=name, position=position, description=description,
            allows_registration=reg, allows_booking=book, allows_payment=pay,
            allows_cancellation=cancel, allows_programme=programme,
            billing_basis=BillingBasis(basis).value))
        cat.kinds[code] = kind
        cat.created += made
    for values in FACILITIES:
        values = dict(values)
        facility, made = get_or_create(Facility, {"name": values.pop("name")},
                                        dict(values, school_zone=ZONE))
        cat.facilities[facility.name] = facility
        cat.created += made
    receptions = {}
    for facility_name, code, name in RECEPTIONS:
        reception, made = get_or_create(Reception, {
            "facility_id": cat.facilities[facility_name].id,
            "service_kind_id": cat.kinds[code].id, "name": name})
        receptions[(facility_name, code)] = reception
        cat.created += made
    for spec in period_specs(today):
        reception = receptions[(spec.facility, spec.kind)]
        period, made = get_or_create(Period, {"reception_id": reception.id, "name": spec.name},
                                      dict(
            start_date=spec.start, end_date=spec.end, term_time=spec.term_time,
            weekdays=spec.weekdays, min_age=spec.min_age, max_age=spec.max_age,
            school_levels=",".join(spec.school_levels) if spec.school_levels else None,
            booking_opens_at=spec.booking_opens_at,
            requires_validation=spec.requires_validation, whole_booking=spec.whole_booking,
            waitlist_enabled=spec.waitlist_enabled, requires_documents=spec.requires_documents,
            requires_school_info=spec.requires_school_info, published=True,
            description=spec.description,
            **_deadline_values("booking_deadline", spec.booking),
            **_deadline_values("cancel_deadline", spec.cancel)))
        cat.periods[spec.key] = period
        cat.created += made
        for position, (slot_name, capacity) in enumerate(spec.slots):
            slot, made = get_or_create(Slot, {"period_id": period.id, "name": slot_name},
                                        dict(capacity=capacity, position=position))
            cat.slots[(spec.key, slot_name)] = slot
            cat.created += made
        for position, (unit_name, colour, start, end, slot_names,
                       base_price) in enumerate(spec.units):
            unit, made = get_or_create(Unit, {"period_id": period.id, "name": unit_name},
                                        dict(colour=colour, start_time=_time(start),
                                             end_time=_time(end), position=position))
            cat.units[(spec.key, unit_name)] = unit
            cat.created += made
            for slot_name in slot_names:
                slot = cat.slots[(spec.key, slot_name)]
                _, made = get_or_create(UnitSlot, {"unit_id": unit.id, "slot_id": slot.id},
                                         {"period_id": period.id})
            for (qf_min, qf_max), factor in zip(BRACKETS, BRACKET_FACTORS):
                price = round(base_price * factor / 100 / 5) * 5
                _, made = get_or_create(Tariff, {"unit_id": unit.id, "qf_min": qf_min},
                                         dict(qf_max=qf_max, price_cents=price))
        if generate_days and not db.session.scalar(
                select(OpeningDay.id).where(OpeningDay.period_id == period.id).limit(1)):
            db.session.expire(period)
            catalogue_services.generate_opening_days(period)
    db.session.flush()
    return cat
