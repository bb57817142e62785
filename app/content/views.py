"""Public site views (no account needed) and the agents' content screens."""

from __future__ import annotations

from flask import abort, flash, g, redirect, send_file, url_for
from flask_appbuilder import BaseView, IndexView, ModelView, SimpleFormView, expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.catalogue.models import Facility
from app.content import forms, services
from app.content.models import News, Page, PublicDocument
from app.core import clock
from app.core.errors import DomainError
from app.core.fields import show_datetime
from app.core.views_common import add_menu_views
from app.extensions import db
from exports.lists import ExcelExportMixin


def _public_context(now) -> dict:
    """What every public page needs: the services "Menu" bar and general pages."""
    return {"site_menu": services.site_menu(now),
            "general_pages": services.general_pages(now)}


# --------------------------------------------------------------------------
# Public site


class HomeView(IndexView):
    """The home page: services menu, welcome, login, contacts, news, table, help."""

    index_template = "content/home.html"

    @expose("/")
    def index(self):
        now = clock.now()
        kinds = services.service_kinds()
        return self.render_template(
            self.index_template,
            title=_("Home"),
            service_kinds=kinds,
            facilities=services.active_facilities(),
            news=services.published_news(now, limit=6),
            settings=services.get_settings(),
            **_public_context(now),
        )


class PublicSiteView(BaseView):
    """Rubriques, general pages, contacts, news, documents, accessibility, legal notice."""

    route_base = ""
    default_view = "contacts"

    @expose("/services/<code>/")
    def service(self, code):
        return self.rubrique(code, "presentation")

    @expose("/services/<code>/<section>")
    def rubrique(self, code, section):
        now = clock.now()
        found = services.rubrique(code, section, now)
        if found is None:
            abort(404)
        title = f"{found['kind'].name} – {found['section_label']}"
        return self.render_template("content/rubrique.html", title=title,
                                    rubrique=found, **_public_context(now))

    @expose("/pages/<slug>")
    def page(self, slug):
        now = clock.now()
        page = services.published_page_by_slug(slug, now)
        if page is None:
            abort(404)
        if page.service_kind is not None:
            return redirect(url_for("PublicSiteView.rubrique", code=page.service_kind.code,
                                    section=page.section) + f"#page-{page.id}")
        return self.render_template("content/page.html", title=page.title, page=page,
                                    **_public_context(now))

    @expose("/accessibilite")
    def accessibility(self):
        return self._special_page("accessibilite", _("Accessibility statement"),
                                  "content/accessibility.html")

    @expose("/mentions-legales")
    def legal_notice(self):
        return self._special_page("mentions-legales", _("Legal notice"),
                                  "content/legal_notice.html")

    def _special_page(self, slug, default_title, fallback_template):
        now = clock.now()
        page = services.published_page_by_slug(slug, now)
        return self.render_template(
            "content/page.html" if page else fallback_template,
            title=page.title if page else default_title, page=page,
            settings=services.get_settings(), **_public_context(now))

    @expose("/contacts")
    def contacts(self):
        now = clock.now()
        return self.render_template("content/contacts.html", title=_("Contacts"),
                                    facilities=services.active_facilities(),
                                    settings=services.get_settings(),
                                    **_public_context(now))

    @expose("/actualites")
    def news(self):
        now = clock.now()
        return self.render_template("content/news.html", title=_("News"),
                                    news=services.published_news(now, limit=100),
                                    **_public_context(now))

    @expose("/documents/<int:document_id>/<path:filename>")
    def document(self, document_id, filename):
        """A published public document, never FAB's /download/ route."""
        document = services.published_document(document_id, clock.now())
        if document is None or filename != services.download_name(document):
            abort(404)
        path = services.document_path(document)
        if path is None:
            abort(404)
        response = send_file(path, mimetype=document.content_type, as_attachment=True,
                             download_name=services.download_name(document), max_age=300)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


# --------------------------------------------------------------------------
# Agents' screens (category "Content", Agent role by the Content prefix)


SECTION_FIELD_LABEL = _l("Section of the menu")


def _section_field():
    return SelectField(SECTION_FIELD_LABEL, choices=services.section_choices,
                       validators=[DataRequired()], widget=Select2Widget(),
                       description=_l("Where the content appears in the service's menu."))


_page_datamodel = SQLAInterface(Page)


class ContentPageView(ExcelExportMixin, ModelView):
    datamodel = _page_datamodel
    list_title = _l("Pages of the public site")
    show_title = _l("Page of the public site")
    add_title = _l("Add a page to the public site")
    edit_title = _l("Edit a page of the public site")

    label_columns = {
        "service_kind": _l("Service"),
        "section": SECTION_FIELD_LABEL,
        "slug": _l("Page address"),
        "title": _l("Page title"),
        "body": _l("Page text"),
        "position": _l("Order in the rubrique"),
        "published_from": _l("Published from"),
        "published_until": _l("Published until"),
        "updated_at": _l("Last modified"),
    }
    description_columns = {
        "service_kind": _l("Leave empty for a general page (accessibility statement: "
                           "address \"accessibilite\"; legal notice: \"mentions-legales\")."),
        "body": _l("Plain text: a blank line starts a paragraph, lines starting with "
                   "\"- \" make a list, web addresses become links."),
        "position": _l("Smaller numbers come first."),
    }
    list_columns = ["title", "service_kind", "section", "published_from", "published_until",
                    "updated_at"]
    show_columns = ["title", "service_kind", "section", "slug", "body", "position",
                    "published_from", "published_until", "updated_at"]
    add_columns = ["service_kind", "section", "title", "slug", "body", "position",
                   "published_from", "published_until"]
    edit_columns = add_columns
    search_columns = ["title", "service_kind", "slug", "body"]
    order_columns = ["title", "section", "published_from", "published_until", "updated_at"]
    base_order = ("updated_at", "desc")
    formatters_columns = {
        "section": services.section_label,
        "published_from": show_datetime,
        "published_until": show_datetime,
        "updated_at": show_datetime,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "section": _section_field(),
        "slug": forms.slug_field(_page_datamodel),
        **forms.publication_fields(),
    }

    def pre_add(self, item):
        self._fill(item)

    def pre_update(self, item):
        self._fill(item)

    def _fill(self, item):
        item.title = (item.title or "").strip()
        item.body = item.body or ""
        item.position = item.position or 0
        if not item.slug:  # a typed address was checked unique by the form
            item.slug = services.unique_slug(item.title, exclude_id=item.id)
        item.updated_at = clock.now()


class ContentNewsView(ExcelExportMixin, ModelView):
    datamodel = SQLAInterface(News)
    list_title = _l("News of the public site")
    show_title = _l("News item")
    add_title = _l("Add a news item")
    edit_title = _l("Edit a news item")

    label_columns = {
        "title": _l("News title"),
        "body": _l("News text"),
        "facility": _l("Facility concerned"),
        "published_from": _l("Published from"),
        "published_until": _l("Published until"),
    }
    description_columns = {
        "title": _l("For example: programme of the holidays online, new stay, "
                    "registration dates."),
        "body": _l("Plain text: a blank line starts a paragraph, lines starting with "
                   "\"- \" make a list, web addresses become links."),
        "facility": _l("Optional."),
    }
    list_columns = ["title", "facility", "published_from", "published_until"]
    show_columns = ["title", "body", "facility", "published_from", "published_until"]
    add_columns = ["title", "body", "facility", "published_from", "published_until"]
    edit_columns = add_columns
    search_columns = ["title", "body", "facility"]
    order_columns = ["title", "published_from", "published_until"]
    base_order = ("published_from", "desc")
    formatters_columns = {"published_from": show_datetime, "published_until": show_datetime}
    add_form_extra_fields = edit_form_extra_fields = forms.publication_fields()

    def pre_add(self, item):
        self._fill(item)

    def pre_update(self, item):
        self._fill(item)

    def _fill(self, item):
        item.title = (item.title or "").strip()
        item.body = item.body or ""
        if item.published_from is None:
            item.published_from = clock.now()


class ContentDocumentView(ExcelExportMixin, ModelView):
    datamodel = SQLAInterface(PublicDocument)
    list_title = _l("Documents of the public site")
    show_title = _l("Document of the public site")
    add_title = _l("Add a document to the public site")
    edit_title = _l("Edit a document of the public site")

    label_columns = {
        "title": _l("Document title"),
        "service_kind": _l("Service"),
        "section": SECTION_FIELD_LABEL,
        "original_filename": _l("File name"),
        "content_type": _l("File type"),
        "size": _l("Size"),
        "upload": _l("File (PDF, JPEG or PNG, 10 MB at most)"),
        "published_from": _l("Published from"),
        "published_until": _l("Published until"),
        "uploaded_at": _l("Sent on"),
    }
    description_columns = {
        "service_kind": _l("The service whose rubrique shows the document."),
    }
    list_columns = ["title", "service_kind", "section", "original_filename",
                    "published_from", "published_until"]
    show_columns = ["title", "service_kind", "section", "original_filename", "content_type",
                    "size", "published_from", "published_until", "uploaded_at"]
    add_columns = ["title", "service_kind", "section", "upload", "published_from",
                   "published_until"]
    edit_columns = add_columns
    search_columns = ["title", "service_kind", "original_filename"]
    order_columns = ["title", "section", "published_from", "published_until", "uploaded_at"]
    base_order = ("uploaded_at", "desc")
    formatters_columns = {
        "section": services.section_label,
        "size": services.format_size,
        "published_from": show_datetime,
        "published_until": show_datetime,
        "uploaded_at": show_datetime,
    }
    add_form_extra_fields = {"section": _section_field(), "upload": forms.upload_field(True),
                             **forms.publication_fields()}
    edit_form_extra_fields = {"section": _section_field(), "upload": forms.upload_field(False),
                              **forms.publication_fields()}

    def pre_add(self, item):
        upload = item.__dict__.pop("upload", None)
        item.title = (item.title or "").strip()
        item.uploaded_at = clock.now()
        services.store_upload(item, upload)

    def pre_update(self, item):
        upload = item.__dict__.pop("upload", None)
        item.title = (item.title or "").strip()
        if upload is not None and getattr(upload, "filename", ""):
            services.store_upload(item, upload)
            item.uploaded_at = clock.now()

    def post_delete(self, item):
        services.remove_stored_file(item.stored_name)


class ContentContactView(ExcelExportMixin, ModelView):
    """The contact details of the facilities shown on the public site."""

    datamodel = SQLAInterface(Facility)
    list_title = _l("Contacts of the facilities")
    show_title = _l("Contact of the facility")
    edit_title = _l("Edit the contact of the facility")
    can_add = False
    can_delete = False
    base_permissions = ["can_list", "can_show", "can_edit"]
    # An agent assigned to facilities edits only theirs (none assigned: all).
    base_filters = [["id", FilterInFunction, lambda: services.contact_facility_ids(g.user)]]

    label_columns = {
        "name": _l("Facility"),
        "address": _l("Street address"),
        "postcode": _l("Postcode"),
        "city": _l("Town"),
        "phone": _l("Phone of the facility"),
        "email": _l("E-mail of the facility"),
        "opening_hours": _l("Opening hours"),
        "description": _l("Public description"),
    }
    description_columns = {
        "opening_hours": _l("For example: Wednesdays 7:30-18:30, school days 16:30-18:30."),
        "description": _l("Shown with the contact on the public site."),
    }
    list_columns = ["name", "city", "phone", "email", "opening_hours"]
    show_columns = ["name", "address", "postcode", "city", "phone", "email",
                    "opening_hours", "description"]
    edit_columns = ["address", "postcode", "city", "phone", "email", "opening_hours",
                    "description"]
    search_columns = ["name", "city"]
    order_columns = ["name", "city"]
    base_order = ("name", "asc")
    validators_columns = {"email": [forms.optional_email()]}

    def pre_update(self, item):
        for column in ("address", "postcode", "city", "phone", "email", "opening_hours",
                       "description"):
            setattr(item, column, (getattr(item, column) or "").strip())


class ContentSettingsView(SimpleFormView):
    """Name, phone and e-mail of the service, welcome message of the home page."""

    form = forms.SettingsForm
    form_title = _l("Service contact and welcome message")

    def form_get(self, form):
        values = services.get_settings()
        stored = {key: value for key, value in values.items()}
        defaults = services.setting_defaults()
        for key in services.SETTING_KEYS:
            # Show the stored value; a default is shown only where nothing is stored.
            getattr(form, key).data = stored.get(key) or defaults.get(key, "")

    def form_post(self, form):
        try:
            services.save_settings({key: getattr(form, key).data or ""
                                    for key in services.SETTING_KEYS})
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
            return redirect(url_for("ContentSettingsView.this_form_get"))
        flash(_("The contact details of the service were saved."), "success")
        return redirect(url_for("ContentSettingsView.this_form_get"))


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(PublicSiteView())
    category = dict(category="Content", category_label=_l("Site content"),
                    category_icon="fa-newspaper-o")
    add_menu_views(appbuilder, category, (
        (ContentNewsView, _l("News"), "fa-bullhorn"),
        (ContentPageView, _l("Pages and rubriques"), "fa-file-text-o"),
        (ContentDocumentView, _l("Public documents"), "fa-file-pdf-o"),
        (ContentContactView, _l("Contacts of the facilities"), "fa-phone"),
        (ContentSettingsView, _l("Service contact and welcome"), "fa-cog"),
    ))
