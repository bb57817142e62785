"""The outbox: every e-mail the portal sends is first written here."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from app.core import clock
from app.core.models import check_in
from app.core.states import EmailStatus


class OutgoingEmail(Model):
    __tablename__ = "outgoing_email"
    id = Column(Integer, primary_key=True)
    to_address = Column(String(200), nullable=False)
    subject = Column(String(300), nullable=False)
    body_text = Column(Text, nullable=False)
    template = Column(String(60), nullable=False, default="")
    household_id = Column(Integer, ForeignKey("household.id", ondelete="SET NULL"))
    status = Column(String(10), nullable=False, default=EmailStatus.PENDING.value)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=clock.now)
    next_attempt_at = Column(DateTime, nullable=False, default=clock.now)
    sent_at = Column(DateTime, nullable=True)

    __table_args__ = (
        check_in("status", EmailStatus.values(), "ck_outgoing_email_status"),
        Index("ix_outgoing_email_due", "status", "next_attempt_at"),
    )
