"""Attendance (pointage), kept apart from booking states."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.core import clock
from app.core.models import check_in
from app.core.states import AttendanceStatus


class Attendance(Model):
    __tablename__ = "attendance"
    id = Column(Integer, primary_key=True)
    presence_id = Column(Integer, ForeignKey("presence.id", ondelete="CASCADE"),
                         nullable=False, unique=True)
    status = Column(String(10), nullable=False)
    marked_at = Column(DateTime, nullable=False, default=clock.now)
    marked_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    presence = relationship("Presence", backref="attendance_record")

    __table_args__ = (check_in("status", AttendanceStatus.values(), "ck_attendance_status"),)


class AttendanceDayLock(Model):
    """A facility's day once its attendance is locked; changes then need a reason."""

    __tablename__ = "attendance_day_lock"
    id = Column(Integer, primary_key=True)
    facility_id = Column(Integer, ForeignKey("facility.id", ondelete="CASCADE"), nullable=False)
    date = Column(Date, nullable=False)
    locked_at = Column(DateTime, nullable=False, default=clock.now)
    locked_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    note = Column(Text, nullable=False, default="")

    __table_args__ = (UniqueConstraint("facility_id", "date", name="uq_attendance_day_lock"),)
