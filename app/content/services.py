"""Public site content: settings, what is published, public documents.

Everything here is plain Python over the models: the views call it, the
tests call it. ``now`` is a parameter wherever publication matters.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from app.catalogue.models import Facility, ServiceKind
from app.content.models import SECTIONS, News, Page, PublicDocument
from app.core.errors import DomainError
from app.core.models import Setting
from app.extensions import db

# --------------------------------------------------------------------------
# Settings (core Setting rows)

SETTING_KEYS = ("service_name", "service_phone", "service_email", "welcome_text")

SETTING_LABELS = {
    "service_name": _l("Name of the service"),
    "service_phone": _l("Phone number of the service"),
    "service_email": _l("E-mail address of the service"),
    "welcome_text": _l("Welcome message of the home page"),
}


def setting_defaults() -> dict[str, str]:
    """French defaults used when a Setting row is missing or empty."""
    return {
        "service_name": _("Children and Youth Service"),
        "service_phone": "",
        "service_email": "",
        "welcome_text": _(
            "Welcome to the Family Portal. Without an account you can read the "
            "presentation of each service, its programmes, rules, prices and news. "
            "With your family account you register your children, book and cancel "
            "their days of attendance and follow your requests."
        ),
    }


def get_settings() -> dict[str, str]:
    """All the public settings, with defaults; never raises (used by every page)."""
    values = setting_defaults()
    try:
        rows = db.session.scalars(select(Setting).where(Setting.key.in_(SETTING_KEYS))).all()
    except SQLAlchemyError:
        db.session.rollback()
        return values
    for row in rows:
        if row.value and row.value.strip():
            values[row.key] = row.value.strip()
    return values


class LazySettings:
    """The settings, read from the database the first time a key is used."""

    def __init__(self):
        self._values = None

    def _load(self) -> dict[str, str]:
        if self._values is None:
            self._values = get_settings()
        return self._values

    def __getitem__(self, key):
        return self._load()[key]

    def __getattr__(self, key):
        if key.startswith("_"):
            raise AttributeError(key)
        return self._load().get(key, "")

    def get(self, key, default=""):
        return self._load().get(key, default)


def get_setting(key: str) -> str:
    return get_settings().get(key, "")


def service_name() -> str:
    return get_setting("service_name")


def service_phone() -> str:
    return get_setting("service_phone")


def service_email() -> str:
    return get_setting("service_email")


def welcome_text() -> str:
    return get_setting("welcome_text")


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^[0-9+ .()-]{6,30}$")


def save_settings(values: dict[str, str]) -> None:
    """Write the given settings (stripped); an empty value removes the row
    so that the default applies. Raises DomainError on a bad phone or e-mail."""
    cleaned = {key: (values.get(key) or "").strip() for key in SETTING_KEYS if key in values}
    email = cleaned.get("service_email")
    if email and not EMAIL_RE.match(email):
        raise DomainError(_l("The e-mail address of the service is not valid."))
    phone = cleaned.get("service_phone")
    if phone and not PHONE_RE.match(phone):
        raise DomainError(_l("The phone number of the service is not valid "
                             "(digits, spaces and dots only, e.g. 05 62 00 00 00)."))
    if len(cleaned.get("service_name", "")) > 200:
        raise DomainError(_l("The name of the service is too long (200 characters at most)."))
    for key, value in cleaned.items():
        row = db.session.get(Setting, key)
        if value:
            if row is None:
                db.session.add(Setting(key=key, value=value))
            else:
                row.value = value
        elif row is not None:
            db.session.delete(row)
    db.session.commit()


# --------------------------------------------------------------------------
# Sections (rubriques)

SECTION_LABELS = {
    "presentation": _l("Presentation"),
    "programmes": _l("Programmes"),
    "reglements": _l("Internal rules"),
    "projets": _l("Educational projects"),
    "tarifs": _l("Prices"),
    "menus": _l("Canteen menus"),
}


def section_label(section: str) -> str:
    return str(SECTION_LABELS.get(section, section))


def section_choices() -> list[tuple[str, str]]:
    return [(key, section_label(key)) for key in SECTIONS]


# --------------------------------------------------------------------------
# Publication

def _published(model, now: dt.datetime):
    """published_from <= now < published_until, None meaning open."""
    return and_(
        or_(model.published_from.is_(None), model.published_from <= now),
        or_(model.published_until.is_(None), model.published_until > now),
    )


def is_published(obj, now: dt.datetime) -> bool:
    start, end = obj.published_from, obj.published_until
    return (start is None or start <= now) and (end is None or now < end)


def service_kinds() -> list[ServiceKind]:
    return list(db.session.scalars(
        select(ServiceKind).order_by(ServiceKind.position, ServiceKind.name)))


def service_kind_by_code(code: str) -> ServiceKind | None:
    return db.session.scalar(select(ServiceKind).where(ServiceKind.code == code))


def published_pages(now: dt.datetime, service_kind_id=None, section=None,
                    general: bool = False) -> list[Page]:
    query = select(Page).where(_published(Page, now))
    if general:
        query = query.where(Page.service_kind_id.is_(None))
    elif service_kind_id is not None:
        query = query.where(Page.service_kind_id == service_kind_id)
    if section is not None:
        query = query.where(Page.section == section)
    return list(db.session.scalars(query.order_by(Page.position, Page.title, Page.id)))


def published_page_by_slug(slug: str, now: dt.datetime) -> Page | None:
    return db.session.scalar(select(Page).where(Page.slug == slug, _published(Page, now)))


def published_documents(now: dt.datetime, service_kind_id=None, section=None) -> list[PublicDocument]:
    query = select(PublicDocument).where(_published(PublicDocument, now))
    if service_kind_id is not None:
        query = query.where(PublicDocument.service_kind_id == service_kind_id)
    if section is not None:
        query = query.where(PublicDocument.section == section)
    return list(db.session.scalars(
        query.order_by(PublicDocument.title, PublicDocument.id)))


def published_document(document_id: int, now: dt.datetime) -> PublicDocument | None:
    return db.session.scalar(select(PublicDocument).where(
        PublicDocument.id == document_id, _published(PublicDocument, now)))


def published_news(now: dt.datetime, limit: int = 10) -> list[News]:
    return list(db.session.scalars(
        select(News).where(_published(News, now))
        .order_by(News.published_from.desc(), News.id.desc()).limit(limit)))


def active_facilities() -> list[Facility]:
    return list(db.session.scalars(
        select(Facility).where(Facility.active.is_(True)).order_by(Facility.name)))


def contact_facility_ids(user) -> list[int]:
    """Facilities whose contact ``user`` may edit: the facility scope of
    app.catalogue.services.facility_scope (every facility when none is
    assigned, or for an Admin)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    from app.catalogue.services import facility_scope

    scope = facility_scope(user)
    return list(db.session.scalars(select(Facility.id))) if scope is None else sorted(scope)


# Slugs of the general pages that have their own route and fallback text.
SPECIAL_SLUGS = ("accessibilite", "mentions-legales")


def site_menu(now: dt.datetime) -> list[dict]:
    """The public "Menu" bar: each service kind with the rubriques that have
    published content (Présentation always), in the order of SECTIONS."""
    kinds = service_kinds()
    present: dict[int, set[str]] = {kind.id: {"presentation"} for kind in kinds}
    rows = db.session.execute(
        select(Page.service_kind_id, Page.section)
        .where(Page.service_kind_id.is_not(None), _published(Page, now))
        .union(select(PublicDocument.service_kind_id, PublicDocument.section)
               .where(PublicDocument.service_kind_id.is_not(None),
                      _published(PublicDocument, now))))
    for kind_id, section in rows:
        if kind_id in present:
            present[kind_id].add(section)
    return [
        {
            "kind": kind,
            "sections": [(section, section_label(section))
                         for section in SECTIONS if section in present[kind.id]],
        }
        for kind in kinds
    ]


def general_pages(now: dt.datetime) -> list[Page]:
    """Published pages that belong to no service (shown under "Informations")."""
    return [page for page in published_pages(now, general=True)
            if page.slug not in SPECIAL_SLUGS]


def rubrique(code: str, section: str, now: dt.datetime) -> dict | None:
    """What a rubrique page shows, or None when there is nothing to show (404)."""
    if section not in SECTIONS:
        return None
    kind = service_kind_by_code(code)
    if kind is None:
        return None
    pages = published_pages(now, service_kind_id=kind.id, section=section)
    documents = published_documents(now, service_kind_id=kind.id, section=section)
    if not pages and not documents and section != "presentation":
        return None
    return {"kind": kind, "section": section, "section_label": section_label(section),
            "pages": pages, "documents": documents}


# --------------------------------------------------------------------------
# Text of pages and news: plain text, shown escaped

_URL_RE = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")


def _inline(text: str) -> Markup:
    """Escape a line and turn http(s) addresses into links."""
    out = []
    last = 0
    for match in _URL_RE.finditer(text):
        out.append(escape(text[last:match.start()]))
        url = match.group(1)
        out.append(Markup('<a href="{0}" rel="noopener">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def text_to_html(text: str | None) -> Markup:
    """Plain text typed by an agent -> safe HTML: blank lines separate
    paragraphs, lines starting with "- " or "* " make a list, web addresses
    become links. No HTML typed by the agent is ever interpreted."""
    if not text:
        return Markup("")
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    html = []
    for block in blocks:
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if lines and all(re.match(r"^\s*[-*•]\s+", line) for line in lines):
            items = Markup("").join(
                Markup("<li>{}</li>").format(_inline(re.sub(r"^\s*[-*•]\s+", "", line)))
                for line in lines)
            html.append(Markup("<ul>{}</ul>").format(items))
        elif lines:
            html.append(Markup("<p>{}</p>").format(
                Markup("<br>\n").join(_inline(line) for line in lines)))
    return Markup("\n").join(html)


def slugify(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100] or "page"


def unique_slug(text: str, exclude_id: int | None = None) -> str:
    base = slugify(text)
    slug, n = base, 2
    while True:
        query = select(Page.id).where(Page.slug == slug)
        if exclude_id is not None:
            query = query.where(Page.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug = f"{base}-{n}"
        n += 1


# --------------------------------------------------------------------------
# Public documents: upload checked by content, stored under a random name

MAX_DOCUMENT_SIZE = 10 * 1024 * 1024

# (magic bytes, content type, extensions accepted for that type)
_SIGNATURES = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
)
EXTENSION_OF = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def public_folder() -> Path:
    folder = Path(current_app.config["PUBLIC_UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type, _extensions in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def check_upload(storage) -> tuple[str, int]:
    """Check an uploaded file (werkzeug FileStorage) without storing it.

    Returns (content type, size); raises DomainError with a French message
    when the file is missing, empty, too large or not a PDF/JPEG/PNG."""
    if storage is None or not getattr(storage, "filename", ""):
        raise DomainError(_l("Choose a file to send."))
    stream = storage.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise DomainError(_l("The file is empty."))
    if size > MAX_DOCUMENT_SIZE:
        raise DomainError(_l("The file is larger than 10 MB."))
    content_type = sniff_content_type(stream.read(16))
    stream.seek(0)
    if content_type is None:
        raise DomainError(_l("Only PDF, JPEG and PNG files are accepted: the content "
                             "of this file is not one of them."))
    return content_type, size


def clean_filename(filename: str, content_type: str) -> str:
    """A readable download name: no path, no control characters, right extension."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*]", "", name).strip(" .") or "document"
    stem, ext = os.path.splitext(name)
    allowed = next(exts for _m, ct, exts in _SIGNATURES if ct == content_type)
    if ext.lower() not in allowed:
        name = (stem or name) + EXTENSION_OF[content_type]
    return name[-120:]


def store_upload(document: PublicDocument, storage) -> PublicDocument:
    """Check ``storage`` and store it under a random name for ``document``
    (a new or existing PublicDocument; the previous file of an existing one is
    removed once the new one is written). The caller commits."""
    content_type, size = check_upload(storage)
    stored_name = secrets.token_hex(16) + EXTENSION_OF[content_type]
    path = public_folder() / stored_name
    storage.stream.seek(0)
    with path.open("wb") as handle:
        handle.write(storage.stream.read())
    previous = document.stored_name
    document.stored_name = stored_name
    document.content_type = content_type
    document.size = size
    document.original_filename = clean_filename(storage.filename, content_type)
    if previous and previous != stored_name:
        remove_stored_file(previous)
    return document


def remove_stored_file(stored_name: str | None) -> None:
    if not stored_name or "/" in stored_name or "\\" in stored_name:
        return
    try:
        (public_folder() / stored_name).unlink()
    except OSError:
        pass


def document_path(document: PublicDocument) -> Path | None:
    path = public_folder() / document.stored_name
    if "/" in document.stored_name or not path.is_file():
        return None
    return path


def download_name(document: PublicDocument) -> str:
    return document.original_filename


def format_size(size: int) -> str:
    """"245 ko", "1,2 Mo"."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=max(1, round(size / 1024)))
    return _("%(size)s MB", size=f"{size / (1024 * 1024):.1f}".replace(".", ","))
