"""Public site content: pages by service and section, news, documents."""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from app.core import clock
from app.core.models import check_in

SECTIONS = ("presentation", "programmes", "reglements", "projets", "tarifs", "menus")


class Page(Model):
    """A rubrique of the public "Menu" bar, for one service kind (or general)."""

    __tablename__ = "content_page"
    id = Column(Integer, primary_key=True)
    service_kind_id = Column(Integer, ForeignKey("service_kind.id"), nullable=True)
    section = Column(String(16), nullable=False, default="presentation")
    slug = Column(String(120), nullable=False, unique=True)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    position = Column(Integer, nullable=False, default=0)
    published_from = Column(DateTime, nullable=True)
    published_until = Column(DateTime, nullable=True)
    updated_at = Column(DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    service_kind = relationship("ServiceKind")

    __table_args__ = (check_in("section", SECTIONS, "ck_content_page_section"),)

    def __str__(self):
        return self.title


class News(Model):
    """Actualités: programmes, nouveaux séjours, dates d'inscription."""

    __tablename__ = "content_news"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False, default="")
    facility_id = Column(Integer, ForeignKey("facility.id"), nullable=True)
    published_from = Column(DateTime, nullable=False, default=clock.now)
    published_until = Column(DateTime, nullable=True)

    facility = relationship("Facility")

    __table_args__ = (Index("ix_content_news_published", "published_from"),)

    def __str__(self):
        return self.title


class PublicDocument(Model):
    """A downloadable document of the public site (programme, règlement…)."""

    __tablename__ = "content_document"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    service_kind_id = Column(Integer, ForeignKey("service_kind.id"), nullable=True)
    section = Column(String(16), nullable=False, default="programmes")
    original_filename = Column(String(255), nullable=False)
    stored_name = Column(String(80), nullable=False, unique=True)
    content_type = Column(String(60), nullable=False)
    size = Column(Integer, nullable=False)
    published_from = Column(DateTime, nullable=True)
    published_until = Column(DateTime, nullable=True)
    uploaded_at = Column(DateTime, nullable=False, default=clock.now)

    service_kind = relationship("ServiceKind")

    __table_args__ = (check_in("section", SECTIONS, "ck_content_document_section"),)

    def __str__(self):
        return self.title
