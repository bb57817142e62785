"""Bookings: a Request (Dossier) and the Presences (one child, one unit, one
day) it covers, with the history of each presence's states.

A request is stored apart from the days it covers (indico's Reservation /
ReservationOccurrence). A presence is unique per child + unit + date among
the states that hold a place (partial unique index on both databases).
"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import relationship

from app.core import clock
from app.core.models import check_in
from app.core.states import HOLDING_STATES, PresenceState, RequestKind

_HOLDING_SQL = "state IN (" + ", ".join(f"'{s}'" for s in HOLDING_STATES) + ")"


class Request(Model):
    """Dossier: what one run of the wizard, or one cancellation, submits."""

    __tablename__ = "booking_request"
    id = Column(Integer, primary_key=True)  # N° dossier
    kind = Column(String(16), nullable=False, default=RequestKind.BOOKING.value)
    household_id = Column(Integer, ForeignKey("household.id"), nullable=False)
    child_id = Column(Integer, ForeignKey("child.id"), nullable=False)
    period_id = Column(Integer, ForeignKey("period.id"), nullable=False)
    created_at = Column(DateTime, nullable=False, default=clock.now)
    created_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    comment = Column(Text, nullable=False, default="")

    child = relationship("Child", lazy="joined")
    period = relationship("Period", lazy="joined")
    presences = relationship("Presence", back_populates="request",
                             foreign_keys="Presence.request_id",
                             order_by="(Presence.date, Presence.unit_id)")

    __table_args__ = (
        check_in("kind", RequestKind.values(), "ck_request_kind"),
        Index("ix_request_household_created", "household_id", "created_at"),
    )


class Presence(Model):
    """Présence: one child, one unit (régime), one day, one state."""

    __tablename__ = "presence"
    id = Column(Integer, primary_key=True)
    request_id = Column(Integer, ForeignKey("booking_request.id"), nullable=False)
    cancel_request_id = Column(Integer, ForeignKey("booking_request.id"), nullable=True)
    household_id = Column(Integer, ForeignKey("household.id"), nullable=False)
    child_id = Column(Integer, ForeignKey("child.id"), nullable=False)
    period_id = Column(Integer, ForeignKey("period.id"), nullable=False)
    unit_id = Column(Integer, ForeignKey("unit.id"), nullable=False)
    date = Column(Date, nullable=False)
    state = Column(String(20), nullable=False, default=PresenceState.PENDING.value)
    created_at = Column(DateTime, nullable=False, default=clock.now)
    updated_at = Column(DateTime, nullable=False, default=clock.now)
    decided_at = Column(DateTime, nullable=True)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    reason = Column(Text, nullable=True)  # refusal reason the family reads
    late_cancellation = Column(Boolean, nullable=False, default=False)  # billed anyway

    request = relationship("Request", back_populates="presences", foreign_keys=[request_id])
    unit = relationship("Unit", lazy="joined")
    child = relationship("Child")

    __table_args__ = (
        check_in("state", PresenceState.values(), "ck_presence_state"),
        Index(
            "uq_presence_holding",
            "child_id", "unit_id", "date",
            unique=True,
            sqlite_where=text(_HOLDING_SQL),
            postgresql_where=text(_HOLDING_SQL),
        ),
        Index("ix_presence_child_date", "child_id", "date"),
        Index("ix_presence_period_date_state", "period_id", "date", "state"),
        Index("ix_presence_household_date", "household_id", "date"),
        Index("ix_presence_request", "request_id"),
    )


class PresenceHistory(Model):
    """Each transition: from, to, who, when, why."""

    __tablename__ = "presence_history"
    id = Column(Integer, primary_key=True)
    presence_id = Column(Integer, ForeignKey("presence.id", ondelete="CASCADE"),
                         nullable=False)
    at = Column(DateTime, nullable=False, default=clock.now)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    from_state = Column(String(20), nullable=True)
    to_state = Column(String(20), nullable=False)
    reason = Column(Text, nullable=True)

    __table_args__ = (Index("ix_presence_history_presence", "presence_id", "at"),)
