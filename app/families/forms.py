"""Forms of the families area: they check the input and say what is wrong in
French; the services apply the rules."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.core.fields import FrenchDatePickerField, FrenchIntegerField
from app.core.states import Civility, FamilySituation, SchoolLevel, Sex
from app.families.services import PASSWORD_MIN_LENGTH

REQUIRED = _l("This field is required.")
TOO_LONG = _l("This field must not exceed %(max)d characters.")
BAD_EMAIL = _l("Enter a valid e-mail address.")
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_RE = r"^[0-9 +().-]*$"
BAD_PHONE = _l("Enter a phone number with digits only (spaces allowed).")
BAD_DATE = _l("This date does not exist. Write it as dd/mm/yyyy, for example 14/03/2021.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def required():
    return DataRequired(message=REQUIRED)


def length(maximum: int):
    return Length(max=maximum, message=TOO_LONG)


class FrenchSelectField(SelectField):
    """A select whose "not one of the choices" message is French."""

    def pre_validate(self, form):
        if self.data in (None, "") and not self.flags.required:
            return
        if not any(str(value) == str(self.data) for value, _label in self.choices or []):
            raise ValidationError(_l("Choose one of the values of the list."))


class PasswordRule:
    def __call__(self, form, field):
        if len(field.data or "") < PASSWORD_MIN_LENGTH:
            raise ValidationError(_l("The password must have at least 12 characters "
                                     "(a passphrase of several words is a good choice)."))
        if len(field.data or "") > 200:
            raise ValidationError(_l("The password must have at most 200 characters."))


def _choices(enum_cls, blank=True):
    items = [(value, str(label)) for value, label in enum_cls.choices()]
    return ([("", "—")] if blank else []) + items


class BaseForm(FlaskForm):
    """Refuses control characters (a NUL byte is not text: PostgreSQL rejects it)."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            data = field.data
            if isinstance(data, str) and re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", data):
                field.errors = list(field.errors) + [
                    str(_l("This field contains a character that is not allowed."))]
                valid = False
        return valid


class RegistrationForm(BaseForm):
    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[
        required(), length(200), Regexp(EMAIL_PATTERN, message=BAD_EMAIL)])
    password = PasswordField(_l("Password"), validators=[required(), PasswordRule()])
    confirm = PasswordField(_l("Confirm the password"), validators=[
        required(), EqualTo("password", message=_l("The two passwords are different."))])


class EmailOnlyForm(BaseForm):
    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[
        required(), length(200), Regexp(EMAIL_PATTERN, message=BAD_EMAIL)])


class NewPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[required(), PasswordRule()])
    confirm = PasswordField(_l("Confirm the password"), validators=[
        required(), EqualTo("password", message=_l("The two passwords are different."))])


class ChangePasswordForm(BaseForm):
    current = PasswordField(_l("Current password"), validators=[required()])
    password = PasswordField(_l("New password"), validators=[required(), PasswordRule()])
    confirm = PasswordField(_l("Confirm the password"), validators=[
        required(), EqualTo("password", message=_l("The two passwords are different."))])


class ProfileForm(BaseForm):
    civility = FrenchSelectField(_l("Civility"), choices=[], validators=[required()])
    last_name = StringField(_l("Last name"), validators=[required(), length(100)])
    first_name = StringField(_l("First name"), validators=[required(), length(100)])
    birth_date = FrenchDatePickerField(_l("Date of birth"), validators=[Optional()],
                                       invalid_value_message=BAD_DATE)
    mobile_phone = StringField(_l("Mobile phone"), validators=[
        required(), length(30), Regexp(PHONE_RE, message=BAD_PHONE)])
    work_phone = StringField(_l("Work phone"), validators=[
        length(30), Regexp(PHONE_RE, message=BAD_PHONE)])
    profession = StringField(_l("Profession"), validators=[length(120)])
    employer = StringField(_l("Employer"), validators=[length(120)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.civility.choices = _choices(Civility)


class OtherGuardianForm(ProfileForm):
    email = EmailField(_l("E-mail address"), filters=[_strip], validators=[
        Optional(), length(200), Regexp(EMAIL_PATTERN, message=BAD_EMAIL)])
    relationship_to_child = StringField(_l("Relationship to the children"),
                                        validators=[length(40)])
    mobile_phone = StringField(_l("Mobile phone"), validators=[
        length(30), Regexp(PHONE_RE, message=BAD_PHONE)])


class AddressForm(BaseForm):
    address = StringField(_l("Address"), validators=[required(), length(200)])
    address_extra = StringField(_l("Address (continued)"), validators=[length(200)])
    postcode = StringField(_l("Postcode"), validators=[
        required(), Regexp(r"^\d{5}$", message=_l("The postcode has 5 digits."))])
    city = StringField(_l("Town"), validators=[required(), length(100)])
    phone = StringField(_l("Home phone"), validators=[
        length(30), Regexp(PHONE_RE, message=BAD_PHONE)])


class HouseholdInfoForm(BaseForm):
    family_situation = FrenchSelectField(_l("Family situation"), choices=[], validators=[required()])
    benefits_regime = FrenchSelectField(_l("Benefits scheme"), choices=[], validators=[Optional()])
    allocataire_number = StringField(_l("Allocataire number (CAF/MSA)"), validators=[
        length(30), Regexp(r"^[0-9A-Za-z ]*$",
                           message=_l("The allocataire number has only digits and letters."))])
    quotient_familial = FrenchIntegerField(_l("Quotient familial"), validators=[
        Optional(), NumberRange(min=0, max=100000,
                                message=_l("The quotient familial cannot be negative "
                                           "(between 0 and 100000)."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.family_situation.choices = _choices(FamilySituation)
        self.benefits_regime.choices = [("", "—"), ("CAF", "CAF"), ("MSA", "MSA"),
                                        ("AUTRE", str(_l("Other scheme")))]


class ChildForm(BaseForm):
    last_name = StringField(_l("Last name"), validators=[required(), length(100)])
    first_name = StringField(_l("First name"), validators=[required(), length(100)])
    birth_date = FrenchDatePickerField(_l("Date of birth"), validators=[
        InputRequired(message=REQUIRED)], invalid_value_message=BAD_DATE)
    sex = FrenchSelectField(_l("Sex"), choices=[], validators=[required()])
    allergies = TextAreaField(_l("Allergies"), validators=[length(2000)])
    pai = BooleanField(_l("PAI (individual care plan)"))
    pai_details = TextAreaField(_l("PAI details"), validators=[length(2000)])
    diet = StringField(_l("Diet"), validators=[length(200)])
    doctor_name = StringField(_l("Family doctor"), validators=[length(120)])
    doctor_phone = StringField(_l("Doctor's phone"), validators=[
        length(30), Regexp(PHONE_RE, message=BAD_PHONE)])
    image_rights = BooleanField(_l("I allow the service to take and use pictures "
                                   "of my child (image rights)"))
    notes = TextAreaField(_l("Other information for the team"), validators=[length(2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sex.choices = _choices(Sex)


class AuthorizedPersonForm(BaseForm):
    name = StringField(_l("Full name"), validators=[required(), length(200)])
    phone = StringField(_l("Phone"), validators=[
        required(), length(30), Regexp(PHONE_RE, message=BAD_PHONE)])
    relationship_to_child = StringField(_l("Relationship"), validators=[length(60)])


class SchoolInfoForm(BaseForm):
    school_year = FrenchSelectField(_l("School year"), choices=[], validators=[required()])
    school_name = StringField(_l("School"), validators=[required(), length(200)])
    level = FrenchSelectField(_l("Level"), choices=[], validators=[required()])

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.school_year.choices = [(y, y) for y in years]
        self.level.choices = _choices(SchoolLevel)


class DocumentUploadForm(BaseForm):
    document_type = HiddenField(validators=[required()])
    child = HiddenField()
    file = FileField(_l("File (PDF, JPEG or PNG, 10 MB at most)"),
                     validators=[DataRequired(message=_l("Choose a file to send."))])


class SubmitForm(BaseForm):
    accept = BooleanField(_l("I certify that the information given is accurate and I accept "
                             "the validation conditions of the service."))


class InviteForm(BaseForm):
    email = EmailField(_l("E-mail address of the other responsable"), filters=[_strip], validators=[
        required(), length(200), Regexp(EMAIL_PATTERN, message=BAD_EMAIL)])


class ConfirmForm(BaseForm):
    """A form with only its CSRF token (buttons that change something)."""


class ReasonForm(BaseForm):
    reason = TextAreaField(_l("Reason (the family will read it)"), validators=[
        required(), length(2000)])


class LinkChildForm(BaseForm):
    child_id = FrenchIntegerField(_l("Number of the child (shown in the other household's file)"),
                            validators=[InputRequired(message=REQUIRED)])
