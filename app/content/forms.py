"""Form fields of the content screens: publication dates, checked uploads."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, BS3TextFieldWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.validators import Unique
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from app.content import services
from app.core.errors import DomainError
from app.core.fields import FrenchDateTimeField

DATETIME_MESSAGE = _l("Enter a date as DD/MM/YYYY, optionally followed by a time as HH:MM "
                      "(for example 07/09/2026 08:30).")


class EndsAfterStart:
    """published_until must come after published_from."""

    def __call__(self, form, field):
        start = getattr(form, "published_from", None)
        if field.data and start is not None and start.data and field.data <= start.data:
            raise ValidationError(_("The end of publication must come after its start."))


class CheckedUpload:
    """The uploaded file must be a PDF, JPEG or PNG (by its content) of 10 MB at most."""

    def __init__(self, required: bool):
        self.required = required
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form, field):
        storage = field.data
        if not storage or not getattr(storage, "filename", ""):
            if self.required:
                raise ValidationError(_("Choose a file to send."))
            return
        try:
            services.check_upload(storage)
        except DomainError as error:
            raise ValidationError(str(error.message)) from None


def publication_fields(start_required_text=None) -> dict:
    return {
        "published_from": FrenchDateTimeField(
            _l("Published from"), invalid_value_message=DATETIME_MESSAGE,
            description=start_required_text or _l(
                "DD/MM/YYYY or DD/MM/YYYY HH:MM. Leave empty to publish now."),
        ),
        "published_until": FrenchDateTimeField(
            _l("Published until"),
            description=_l("DD/MM/YYYY or DD/MM/YYYY HH:MM, excluded. "
                           "Leave empty to keep it online."),
            validators=[EndsAfterStart()], invalid_value_message=DATETIME_MESSAGE,
        ),
    }


def upload_field(required: bool) -> FileField:
    return FileField(
        _l("File (PDF, JPEG or PNG, 10 MB at most)"),
        description=_l("Choose the file to publish.") if required else _l(
            "Leave empty to keep the current file; choose one to replace it."),
        validators=[CheckedUpload(required)],
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )


def slug_field(datamodel) -> StringField:
    return StringField(
        _l("Page address"),
        description=_l("Lowercase letters, digits and dashes, e.g. tarifs-2026. "
                       "Leave empty to make it from the title."),
        validators=[Optional(), Length(max=120),
                    Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$",
                           message=_l("Use only lowercase letters, digits and dashes.")),
                    Unique(datamodel, "slug",
                           message=_l("This page address is already used by another page."))],
        widget=BS3TextFieldWidget(),
    )


def optional_email():
    return Regexp(services.EMAIL_RE.pattern + r"|^$",
                  message=_l("Enter a valid e-mail address (for example nom@exemple.fr)."))


class SettingsForm(DynamicForm):
    service_name = StringField(
        services.SETTING_LABELS["service_name"],
        description=_l("Shown in the footer and in \"Besoin d'aide ?\"."),
        validators=[Optional(), Length(max=200)], widget=BS3TextFieldWidget())
    service_phone = StringField(
        services.SETTING_LABELS["service_phone"],
        description=_l("For example 05 62 00 00 00."),
        validators=[Optional(), Length(max=30),
                    Regexp(services.PHONE_RE.pattern,
                           message=_l("Enter a phone number with digits, spaces or dots "
                                      "(for example 05 62 00 00 00)."))],
        widget=BS3TextFieldWidget())
    service_email = StringField(
        services.SETTING_LABELS["service_email"],
        description=_l("The address families may write to."),
        validators=[Optional(), Length(max=200), optional_email()],
        widget=BS3TextFieldWidget())
    welcome_text = TextAreaField(
        services.SETTING_LABELS["welcome_text"],
        description=_l("Plain text; a blank line starts a new paragraph. "
                       "Leave empty for the default message."),
        validators=[Optional(), Length(max=5000)], widget=BS3TextAreaFieldWidget())
