"""Helpers for the families tests."""

from __future__ import annotations

import re

from sqlalchemy import select

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
PASSWORD = "quatre chats jouent au soleil"


def outbox(db, to=None, template=None):
    from app.notifications.models import OutgoingEmail

    query = select(OutgoingEmail).order_by(OutgoingEmail.id)
    if to:
        query = query.where(OutgoingEmail.to_address == to)
    if template:
        query = query.where(OutgoingEmail.template == template)
    db.session.expire_all()
    return list(db.session.scalars(query))


def link_in(email, path_part: str) -> str:
    """The path of the link of an outbox e-mail (after the base URL)."""
    match = re.search(r"http://localhost(/compte/%s/\S+)" % path_part, email.body_text)
    assert match, email.body_text
    return match.group(1)


def page(response) -> str:
    """The page's text with HTML entities decoded (n&#39;est -> n'est)."""
    import html

    return html.unescape(response.get_data(as_text=True))


def make_document_type(db, code="assurance", name="Attestation d'assurance", scope="household",
                       required=True, validity_months=None, position=0):
    from app.families.models import DocumentType

    doc_type = DocumentType(code=code, name=name, scope=scope, required=required,
                            validity_months=validity_months, position=position)
    db.session.add(doc_type)
    db.session.commit()
    return doc_type


def text(response) -> str:
    """The visible text of a page: tags removed, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page(response))).replace(" )", ")")
