"""Families: households, guardians, children, school info, documents.

A child may belong to two households (separated parents): HouseholdChild
links them. Each guardian with a login has ``user_id``; the account holder is
the primary guardian.
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.core import clock
from app.core.models import check_in
from app.core.states import (
    Civility,
    DocumentState,
    FamilySituation,
    HouseholdStatus,
    SchoolLevel,
    Sex,
)


class Household(Model):
    """Mon foyer."""

    __tablename__ = "household"
    id = Column(Integer, primary_key=True)
    address = Column(String(200), nullable=False, default="")
    address_extra = Column(String(200), nullable=False, default="")
    postcode = Column(String(10), nullable=False, default="")
    city = Column(String(100), nullable=False, default="")
    phone = Column(String(30), nullable=False, default="")
    family_situation = Column(String(16), nullable=True)
    benefits_regime = Column(String(8), nullable=True)  # CAF, MSA, AUTRE
    allocataire_number = Column(String(30), nullable=False, default="")
    quotient_familial = Column(Integer, nullable=True)  # euros, as the CAF gives it
    qf_checked = Column(Boolean, nullable=False, default=False)
    status = Column(String(16), nullable=False, default=HouseholdStatus.DRAFT.value)
    conditions_accepted_at = Column(DateTime, nullable=True)
    submitted_at = Column(DateTime, nullable=True)
    validated_at = Column(DateTime, nullable=True)
    validated_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    refusal_reason = Column(Text, nullable=True)
    closure_requested_at = Column(DateTime, nullable=True)
    created_at = Column(DateTime, nullable=False, default=clock.now)

    guardians = relationship("Guardian", back_populates="household",
                             order_by="Guardian.position", lazy="selectin")
    children = relationship("Child", secondary="household_child", order_by="Child.birth_date",
                            viewonly=True)

    __table_args__ = (
        check_in("status", HouseholdStatus.values(), "ck_household_status"),
        check_in("family_situation", FamilySituation.values(), "ck_household_situation"),
        check_in("benefits_regime", ("CAF", "MSA", "AUTRE"), "ck_household_regime"),
        CheckConstraint("quotient_familial IS NULL OR quotient_familial >= 0",
                        name="ck_household_qf"),
        Index("ix_household_status", "status", "submitted_at"),
    )

    @property
    def primary_guardian(self):
        return self.guardians[0] if self.guardians else None

    def __str__(self):
        guardian = self.primary_guardian
        return guardian.full_name if guardian else f"Foyer {self.id}"


class Guardian(Model):
    """Responsable: "Moi" (position 0) or "Autre responsable"."""

    __tablename__ = "guardian"
    id = Column(Integer, primary_key=True)
    household_id = Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                          nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True,
                     unique=True)
    position = Column(Integer, nullable=False, default=0)
    civility = Column(String(4), nullable=True)
    first_name = Column(String(100), nullable=False, default="")
    last_name = Column(String(100), nullable=False, default="")
    birth_date = Column(Date, nullable=True)
    email = Column(String(200), nullable=False, default="")
    email_verified_at = Column(DateTime, nullable=True)
    mobile_phone = Column(String(30), nullable=False, default="")
    work_phone = Column(String(30), nullable=False, default="")
    profession = Column(String(120), nullable=False, default="")
    employer = Column(String(120), nullable=False, default="")
    relationship_to_child = Column(String(40), nullable=False, default="")

    household = relationship("Household", back_populates="guardians")

    __table_args__ = (
        check_in("civility", Civility.values(), "ck_guardian_civility"),
        UniqueConstraint("household_id", "position", name="uq_guardian_position"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}".strip()

    def __str__(self):
        return self.full_name


class Child(Model):
    """Enfant / usager."""

    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    first_name = Column(String(100), nullable=False)
    last_name = Column(String(100), nullable=False)
    birth_date = Column(Date, nullable=False)
    sex = Column(String(1), nullable=False)
    allergies = Column(Text, nullable=False, default="")
    pai = Column(Boolean, nullable=False, default=False)
    pai_details = Column(Text, nullable=False, default="")
    diet = Column(String(200), nullable=False, default="")
    doctor_name = Column(String(120), nullable=False, default="")
    doctor_phone = Column(String(30), nullable=False, default="")
    image_rights = Column(Boolean, nullable=False, default=False)
    notes = Column(Text, nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=clock.now)

    households = relationship("Household", secondary="household_child", viewonly=True)
    authorized_persons = relationship("AuthorizedPerson", back_populates="child",
                                      cascade="all, delete-orphan")
    school_infos = relationship("SchoolInfo", back_populates="child",
                                order_by="SchoolInfo.school_year.desc()")

    __table_args__ = (check_in("sex", Sex.values(), "ck_child_sex"),)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def __str__(self):
        return self.full_name


class HouseholdChild(Model):
    __tablename__ = "household_child"
    household_id = Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                          primary_key=True)
    child_id = Column(Integer, ForeignKey("child.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index("ix_household_child_child", "child_id"),)


class AuthorizedPerson(Model):
    """Person allowed to pick the child up."""

    __tablename__ = "authorized_person"
    id = Column(Integer, primary_key=True)
    child_id = Column(Integer, ForeignKey("child.id", ondelete="CASCADE"), nullable=False)
    household_id = Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                          nullable=False)
    name = Column(String(200), nullable=False)
    phone = Column(String(30), nullable=False, default="")
    relationship_to_child = Column(String(60), nullable=False, default="")

    child = relationship("Child", back_populates="authorized_persons")


class SchoolInfo(Model):
    """Informations scolaires for one school year."""

    __tablename__ = "school_info"
    id = Column(Integer, primary_key=True)
    child_id = Column(Integer, ForeignKey("child.id", ondelete="CASCADE"), nullable=False)
    school_year = Column(String(9), nullable=False)  # "2026-2027"
    school_name = Column(String(200), nullable=False)
    level = Column(String(8), nullable=False)

    child = relationship("Child", back_populates="school_infos")

    __table_args__ = (
        UniqueConstraint("child_id", "school_year", name="uq_school_info_year"),
        check_in("level", SchoolLevel.values(), "ck_school_info_level"),
    )


class DocumentType(Model):
    """A piece families must provide, for the household or for each child."""

    __tablename__ = "document_type"
    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    name = Column(String(160), nullable=False)
    scope = Column(String(10), nullable=False, default="household")
    required = Column(Boolean, nullable=False, default=True)
    validity_months = Column(Integer, nullable=True)
    position = Column(Integer, nullable=False, default=0)

    __table_args__ = (check_in("scope", ("household", "child"), "ck_document_type_scope"),)

    def __str__(self):
        return self.name


class Document(Model):
    """An uploaded piece; stored outside static files under a random name."""

    __tablename__ = "document"
    id = Column(Integer, primary_key=True)
    household_id = Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                          nullable=False)
    child_id = Column(Integer, ForeignKey("child.id", ondelete="CASCADE"), nullable=True)
    document_type_id = Column(Integer, ForeignKey("document_type.id"), nullable=False)
    original_filename = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    content_type = Column(String(60), nullable=False)
    size = Column(Integer, nullable=False)
    state = Column(String(16), nullable=False, default=DocumentState.PENDING.value)
    uploaded_at = Column(DateTime, nullable=False, default=clock.now)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    checked_at = Column(DateTime, nullable=True)
    checked_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    refusal_reason = Column(Text, nullable=True)
    expires_on = Column(Date, nullable=True)

    document_type = relationship("DocumentType", lazy="joined")
    child = relationship("Child")

    __table_args__ = (
        check_in("state", DocumentState.values(), "ck_document_state"),
        check_in("content_type", ("application/pdf", "image/jpeg", "image/png"),
                 "ck_document_content_type"),
        CheckConstraint("size > 0", name="ck_document_size"),
        Index("ix_document_household", "household_id", "document_type_id"),
    )


class OneTimeToken(Model):
    """Signed e-mail links: address check, password reset, guardian invitation.

    Only a hash of the token is stored; ``used_at`` makes it single-use.
    """

    __tablename__ = "one_time_token"
    id = Column(Integer, primary_key=True)
    purpose = Column(String(16), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=True)
    household_id = Column(Integer, ForeignKey("household.id", ondelete="CASCADE"),
                          nullable=True)
    email = Column(String(200), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=clock.now)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime, nullable=True)

    __table_args__ = (
        check_in("purpose", ("verify", "reset", "invite"), "ck_token_purpose"),
    )
