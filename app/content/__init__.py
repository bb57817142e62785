"""content area: the public site (home, rubriques, news, documents, contacts,
accessibility statement, legal notice) and the agents' content screens."""

from __future__ import annotations


def register(app, appbuilder) -> None:
    from flask import url_for

    from app.content import services, views

    views.register_views(appbuilder)

    def document_url(document) -> str:
        return url_for("PublicSiteView.document", document_id=document.id,
                       filename=services.download_name(document))

    app.jinja_env.filters.update(
        text_html=services.text_to_html,
        file_size=services.format_size,
        section_label=services.section_label,
    )
    app.jinja_env.globals.update(document_url=document_url)

    @app.context_processor
    def _portail_site():
        # The footer of every page ("Besoin d'aide ?") needs the service's contact.
        # Loaded on first use only, so that e-mail templates do not query it.
        return {"portail_site": services.LazySettings()}
