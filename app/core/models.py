"""Shared tables: the audit log and settings stored in the database."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)

from app.core import clock


def check_in(column: str, values, name: str) -> CheckConstraint:
    """A check constraint that keeps a state column within its values."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class AuditLog(Model):
    """Who did what, when, to which object; old and new values in ``details``."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=clock.now)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    action = Column(String(64), nullable=False)
    object_type = Column(String(64), nullable=False)
    object_id = Column(Integer, nullable=True)
    household_id = Column(Integer, nullable=True)
    details = Column(Text, nullable=True)  # JSON

    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_household_at", "household_id", "at"),
    )


class Setting(Model):
    """Service-wide settings edited by administrators (name, phone, e-mail…)."""

    __tablename__ = "setting"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False, default="")
