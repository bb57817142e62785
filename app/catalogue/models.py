"""Catalogue: what families can book.

Facility (Établissement) > Reception (Accueil: facility × service kind) >
Period (Période d'ouverture) with its OpeningDays, Slots (unités de
remplissage, capacity pools) and Units (Régimes, which take slots), and the
Tariffs of each unit by quotient familial bracket. SlotDay is the one
lockable row per slot and day that capacity checks lock (DESIGN.md §3).
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core.models import check_in
from app.core.states import BillingBasis, DeadlineMode


class Facility(Model):
    __tablename__ = "facility"
    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False, unique=True)
    address = Column(String(200), nullable=False, default="")
    postcode = Column(String(10), nullable=False, default="")
    city = Column(String(100), nullable=False, default="")
    phone = Column(String(30), nullable=False, default="")
    email = Column(String(200), nullable=False, default="")
    description = Column(Text, nullable=False, default="")
    opening_hours = Column(String(200), nullable=False, default="")
    school_zone = Column(String(1), nullable=False, default="C")
    active = Column(Boolean, nullable=False, default=True)

    receptions = relationship("Reception", back_populates="facility", lazy="selectin")

    __table_args__ = (check_in("school_zone", ("A", "B", "C"), "ck_facility_zone"),)

    def __str__(self):
        return self.name


class ServiceKind(Model):
    """The seven rows of the guide's table, with what each allows online."""

    __tablename__ = "service_kind"
    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    description = Column(Text, nullable=False, default="")
    allows_registration = Column(Boolean, nullable=False, default=True)
    allows_booking = Column(Boolean, nullable=False, default=True)
    allows_payment = Column(Boolean, nullable=False, default=False)
    allows_cancellation = Column(Boolean, nullable=False, default=True)
    allows_programme = Column(Boolean, nullable=False, default=True)
    billing_basis = Column(String(16), nullable=False, default=BillingBasis.BOOKED.value)

    __table_args__ = (
        check_in("billing_basis", BillingBasis.values(), "ck_service_kind_billing_basis"),
    )

    def __str__(self):
        return self.name


class Reception(Model):
    """Accueil: a facility × service kind, e.g. ACM PITCHOUNET > MERCREDIS."""

    __tablename__ = "reception"
    id = Column(Integer, primary_key=True)
    facility_id = Column(Integer, ForeignKey("facility.id"), nullable=False)
    service_kind_id = Column(Integer, ForeignKey("service_kind.id"), nullable=False)
    name = Column(String(120), nullable=False)

    facility = relationship("Facility", back_populates="receptions", lazy="joined")
    service_kind = relationship("ServiceKind", lazy="joined")
    periods = relationship("Period", back_populates="reception")

    __table_args__ = (
        UniqueConstraint("facility_id", "service_kind_id", "name", name="uq_reception"),
    )

    def __str__(self):
        return f"{self.facility.name} > {self.name}"


def _deadline_columns(prefix: str) -> dict:
    """The columns of one deadline rule: "N days before at HH:MM" (optionally
    counting working days only) or "weekday W of the week before (or two weeks
    before) at HH:MM"."""
    return {
        f"{prefix}_mode": Column(String(16), nullable=False, default=DeadlineMode.NONE.value),
        f"{prefix}_days": Column(Integer, nullable=False, default=0),
        f"{prefix}_working_days": Column(Boolean, nullable=False, default=False),
        f"{prefix}_weekday": Column(Integer, nullable=False, default=0),  # 0 = lundi
        f"{prefix}_weeks": Column(Integer, nullable=False, default=1),
        f"{prefix}_time": Column(Time, nullable=True),
    }


class Period(Model):
    """Période d'ouverture: dates, who may book, and the booking rules."""

    __tablename__ = "period"
    id = Column(Integer, primary_key=True)
    reception_id = Column(Integer, ForeignKey("reception.id"), nullable=False)
    name = Column(String(160), nullable=False)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    term_time = Column(Boolean, nullable=False, default=False)  # closed in school holidays
    weekdays = Column(String(20), nullable=False, default="0,1,2,3,4")  # 0 = lundi
    min_age = Column(Integer, nullable=True)  # years, inclusive
    max_age = Column(Integer, nullable=True)
    school_levels = Column(String(200), nullable=True)  # comma-separated codes
    booking_opens_at = Column(DateTime, nullable=True)
    locals().update(_deadline_columns("booking_deadline"))
    locals().update(_deadline_columns("cancel_deadline"))
    requires_validation = Column(Boolean, nullable=False, default=True)
    whole_booking = Column(Boolean, nullable=False, default=False)  # séjours
    waitlist_enabled = Column(Boolean, nullable=False, default=True)
    requires_documents = Column(Boolean, nullable=False, default=True)
    requires_school_info = Column(Boolean, nullable=False, default=False)
    published = Column(Boolean, nullable=False, default=True)
    description = Column(Text, nullable=False, default="")

    reception = relationship("Reception", back_populates="periods", lazy="joined")
    units = relationship("Unit", back_populates="period", order_by="Unit.position")
    slots = relationship("Slot", back_populates="period", order_by="Slot.position")
    opening_days = relationship("OpeningDay", back_populates="period", order_by="OpeningDay.date")

    __table_args__ = (
        UniqueConstraint("reception_id", "name", name="uq_period_name"),
        CheckConstraint("end_date >= start_date", name="ck_period_dates"),
        check_in("booking_deadline_mode", DeadlineMode.values(), "ck_period_booking_mode"),
        check_in("cancel_deadline_mode", DeadlineMode.values(), "ck_period_cancel_mode"),
        CheckConstraint("booking_deadline_days >= 0 AND cancel_deadline_days >= 0",
                        name="ck_period_deadline_days"),
        CheckConstraint("booking_deadline_weekday BETWEEN 0 AND 6 "
                        "AND cancel_deadline_weekday BETWEEN 0 AND 6",
                        name="ck_period_deadline_weekday"),
        CheckConstraint("booking_deadline_weeks BETWEEN 1 AND 2 "
                        "AND cancel_deadline_weeks BETWEEN 1 AND 2",
                        name="ck_period_deadline_weeks"),
    )

    def __str__(self):
        return self.name

    @property
    def service_kind(self):
        return self.reception.service_kind

    @property
    def facility(self):
        return self.reception.facility

    @property
    def booking_rule(self) -> str:
        """The booking deadline in words ("2 jour(s) avant à 12:00")."""
        from app.catalogue.services import describe_deadline

        return describe_deadline(self, "booking_deadline")

    @property
    def cancel_rule(self) -> str:
        """The cancellation deadline in words ("jeudi de la semaine précédente à 12:00")."""
        from app.catalogue.services import describe_deadline

        return describe_deadline(self, "cancel_deadline")

    @property
    def path(self) -> str:
        """"> Établissement > Accueil > Période", as the history shows it."""
        return f"> {self.reception.facility.name} > {self.reception.name} > {self.name}"


class OpeningDay(Model):
    __tablename__ = "opening_day"
    id = Column(Integer, primary_key=True)
    period_id = Column(Integer, ForeignKey("period.id", ondelete="CASCADE"), nullable=False)
    date = Column(Date, nullable=False)

    period = relationship("Period", back_populates="opening_days", lazy="selectin")

    __table_args__ = (UniqueConstraint("period_id", "date", name="uq_opening_day"),)


class Slot(Model):
    """Unité de remplissage: a pool of places of a period, per day."""

    __tablename__ = "slot"
    id = Column(Integer, primary_key=True)
    period_id = Column(Integer, ForeignKey("period.id", ondelete="CASCADE"), nullable=False)
    name = Column(String(80), nullable=False)
    capacity = Column(Integer, nullable=False)
    position = Column(Integer, nullable=False, default=0)

    period = relationship("Period", back_populates="slots", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("period_id", "name", name="uq_slot_name"),
        UniqueConstraint("id", "period_id", name="uq_slot_id_period"),
        CheckConstraint("capacity >= 0", name="ck_slot_capacity"),
    )

    def __str__(self):
        return self.name


class SlotDay(Model):
    """One lockable row per slot and opening day; capacity may be overridden."""

    __tablename__ = "slot_day"
    id = Column(Integer, primary_key=True)
    slot_id = Column(Integer, ForeignKey("slot.id", ondelete="CASCADE"), nullable=False)
    date = Column(Date, nullable=False)
    capacity_override = Column(Integer, nullable=True)
    version = Column(Integer, nullable=False, default=0)

    slot = relationship("Slot")

    __table_args__ = (
        UniqueConstraint("slot_id", "date", name="uq_slot_day"),
        CheckConstraint("capacity_override IS NULL OR capacity_override >= 0",
                        name="ck_slot_day_capacity"),
    )


class Unit(Model):
    """Régime: what a family books for a day; it takes one or more slots."""

    __tablename__ = "unit"
    id = Column(Integer, primary_key=True)
    period_id = Column(Integer, ForeignKey("period.id", ondelete="CASCADE"), nullable=False)
    name = Column(String(120), nullable=False)
    colour = Column(String(7), nullable=False, default="#3c8dbc")
    start_time = Column(Time, nullable=True)
    end_time = Column(Time, nullable=True)
    position = Column(Integer, nullable=False, default=0)

    period = relationship("Period", back_populates="units", lazy="selectin")
    slots = relationship("Slot", secondary="unit_slot", order_by="Slot.position",
                         lazy="selectin", viewonly=True)
    tariffs = relationship("Tariff", back_populates="unit", order_by="Tariff.qf_min")

    __table_args__ = (
        UniqueConstraint("period_id", "name", name="uq_unit_name"),
        UniqueConstraint("id", "period_id", name="uq_unit_id_period"),
        CheckConstraint("colour LIKE '#%'", name="ck_unit_colour"),
    )

    def __str__(self):
        return self.name

    @property
    def minutes(self) -> int:
        """Length of the unit in minutes (CAF statistics count hours)."""
        if not (self.start_time and self.end_time):
            return 0
        start = self.start_time.hour * 60 + self.start_time.minute
        end = self.end_time.hour * 60 + self.end_time.minute
        return max(0, end - start)


class UnitSlot(Model):
    """Which slots a unit takes; both must belong to the same period."""

    __tablename__ = "unit_slot"
    unit_id = Column(Integer, primary_key=True)
    slot_id = Column(Integer, primary_key=True)
    period_id = Column(Integer, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(["unit_id", "period_id"], ["unit.id", "unit.period_id"],
                             name="fk_unit_slot_unit", ondelete="CASCADE"),
        ForeignKeyConstraint(["slot_id", "period_id"], ["slot.id", "slot.period_id"],
                             name="fk_unit_slot_slot", ondelete="CASCADE"),
    )


class Tariff(Model):
    """Price of a unit for a quotient familial bracket [qf_min, qf_max]."""

    __tablename__ = "tariff"
    id = Column(Integer, primary_key=True)
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="CASCADE"), nullable=False)
    qf_min = Column(Integer, nullable=False, default=0)
    qf_max = Column(Integer, nullable=True)  # None: no upper bound (highest bracket)
    price_cents = Column(Integer, nullable=False)

    unit = relationship("Unit", back_populates="tariffs", lazy="selectin")

    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="ck_tariff_price"),
        CheckConstraint("qf_min >= 0 AND (qf_max IS NULL OR qf_max >= qf_min)",
                        name="ck_tariff_bracket"),
        UniqueConstraint("unit_id", "qf_min", name="uq_tariff_bracket"),
    )


class StaffFacility(Model):
    """An agent assigned to facilities sees only those (none assigned: all)."""

    __tablename__ = "staff_facility"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    facility_id = Column(Integer, ForeignKey("facility.id", ondelete="CASCADE"),
                         primary_key=True)
