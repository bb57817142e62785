"""The family's "Mes documents": each piece with its state, "+" to send a
file, and the download of a file sent."""

from __future__ import annotations

from flask import redirect, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_login import current_user

from app.core import clock
from app.families import access, forms, services
from app.families.models import Document, DocumentType
from app.families.views.common import (
    FamilyPages,
    attempt,
    flash_form_errors,
    row_or_404,
    send_document,
)


class FamilyDocumentView(FamilyPages):
    """Mes documents: each piece with its state, "+" to send a file."""

    default_view = "documents"

    def _store(self, household, doc_type, child, upload) -> None:
        """Store the file and commit its row; a file whose row is not
        committed is removed from the disk."""
        data = upload.read(services.MAX_UPLOAD_BYTES + 1)
        stored = []

        def store():
            document = services.upload_document(current_user, household, doc_type, child,
                                                upload.filename, data, clock.now())
            stored.append(document.stored_name)
            return document

        done = None
        try:
            done = attempt(store, _("The document has been sent: our services will check it."))
        finally:
            if not done:
                for name in stored:
                    services.remove_stored_file(name)

    @expose("/documents")
    @has_access
    def documents(self):
        household = access.current_household()
        return self.page("families/documents.html", household=household,
                         lines=services.document_lines(household, clock.today()),
                         form=forms.DocumentUploadForm(),
                         crumbs=[(_("My documents"), None)])

    @expose("/documents/envoyer", methods=["POST"])
    @has_access
    def upload(self):
        household = access.current_household()
        form = forms.DocumentUploadForm()
        if not form.validate_on_submit():
            flash_form_errors(form)
            return redirect(url_for("FamilyDocumentView.documents"))
        doc_type = row_or_404(DocumentType, form.document_type.data)
        child = None
        if doc_type.scope == "child":
            child = access.child_of(household, form.child.data)
        self._store(household, doc_type, child, form.file.data)
        return redirect(url_for("FamilyDocumentView.documents"))

    @expose("/documents/<int:document_id>/fichier")
    @has_access
    def file(self, document_id):
        household = access.current_household()
        return send_document(access.owned_or_404(Document, document_id, household))
