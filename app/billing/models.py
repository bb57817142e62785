"""Billing: monthly invoices per household, gapless numbers, credit notes."""

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
    text,
)
from sqlalchemy.orm import relationship

from app.core import clock
from app.core.models import check_in
from app.core.states import InvoiceKind, InvoiceStatus


class InvoiceSequence(Model):
    """One row per year and kind, locked while a number is taken: numbers have
    no gaps. Invoices (FAC-2026-000123) and credit notes (AV-2026-000001) each
    have their own continuous series."""

    __tablename__ = "invoice_sequence"
    year = Column(Integer, primary_key=True)
    kind = Column(String(12), primary_key=True, default=InvoiceKind.INVOICE.value)
    last_number = Column(Integer, nullable=False, default=0)


class Invoice(Model):
    __tablename__ = "invoice"
    id = Column(Integer, primary_key=True)
    household_id = Column(Integer, ForeignKey("household.id"), nullable=False)
    year = Column(Integer, nullable=False)
    month = Column(Integer, nullable=False)
    kind = Column(String(12), nullable=False, default=InvoiceKind.INVOICE.value)
    status = Column(String(8), nullable=False, default=InvoiceStatus.DRAFT.value)
    number = Column(String(20), nullable=True, unique=True)  # FAC-2026-000123 once issued
    total_cents = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False, default=clock.now)
    issued_at = Column(DateTime, nullable=True)
    issued_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    credits_invoice_id = Column(Integer, ForeignKey("invoice.id"), nullable=True)
    note = Column(Text, nullable=False, default="")  # a credit note's reason, shown to the family

    lines = relationship("InvoiceLine", back_populates="invoice",
                         cascade="all, delete-orphan", order_by="InvoiceLine.position")
    household = relationship("Household")

    __table_args__ = (
        check_in("kind", InvoiceKind.values(), "ck_invoice_kind"),
        check_in("status", InvoiceStatus.values(), "ck_invoice_status"),
        CheckConstraint("month BETWEEN 1 AND 12", name="ck_invoice_month"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="ck_invoice_number"),
        Index("uq_invoice_household_month", "household_id", "year", "month", unique=True,
              sqlite_where=text("kind = 'invoice'"),
              postgresql_where=text("kind = 'invoice'")),
        Index("ix_invoice_period", "year", "month", "status"),
    )


class InvoiceLine(Model):
    __tablename__ = "invoice_line"
    id = Column(Integer, primary_key=True)
    invoice_id = Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    child_id = Column(Integer, ForeignKey("child.id"), nullable=True)
    unit_id = Column(Integer, ForeignKey("unit.id"), nullable=True)
    label = Column(String(300), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_cents = Column(Integer, nullable=False)
    amount_cents = Column(Integer, nullable=False)

    invoice = relationship("Invoice", back_populates="lines")

    __table_args__ = (
        CheckConstraint("amount_cents = quantity * unit_price_cents", name="ck_invoice_line_amount"),
    )
