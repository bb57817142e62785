"""Accounts: registration, the e-mail address check, one-time link tokens,
forgotten and changed passwords and their rule, the invitation of the second
responsable, and the family's request to close the account."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import audit
from app.core.errors import DomainError
from app.core.security import FAMILLE
from app.core.states import HouseholdStatus
from app.extensions import db
from app.families.models import Guardian, Household, OneTimeToken
from app.families.services.common import (
    checked_email,
    find_user_by_email,
    guardian_of_user,
    is_closing,
    link,
    mail_household,
    normalise_email,
    other_guardian,
    require_family_edit,
    require_guardian_of,
    security_manager,
    user_model,
)
from app.notifications.services import queue_email

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 200
PASSWORD_RULE = _l("At least 12 characters. A passphrase of several words is a good choice, "
                   "for example: \"quatre chats jouent au soleil\".")

TOKEN_LIFETIMES = {
    "verify": dt.timedelta(hours=48),
    "reset": dt.timedelta(hours=2),
    "invite": dt.timedelta(days=7),
}
# What each link token opens, and the e-mail that carries it.
TOKEN_PATHS = {
    "verify": "/compte/confirmer/",
    "reset": "/compte/nouveau-mot-de-passe/",
    "invite": "/compte/invitation/",
}
TOKEN_EMAILS = {"verify": "families_verify", "reset": "families_reset",
                "invite": "families_invite"}

INVALID_LINK = _l("This link is not valid. Check that you copied the whole "
                  "address, or ask for a new link.")


# --------------------------------------------------------------------------
# The password rule
# --------------------------------------------------------------------------

def check_password_rule(password: str, email: str = "") -> None:
    """Raise DomainError when the password does not follow the rule."""
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise DomainError(_l("The password must have at least 12 characters "
                             "(a passphrase of several words is a good choice)."))
    if len(password) > PASSWORD_MAX_LENGTH:
        raise DomainError(_l("The password must have at most 200 characters."))
    if email and password.strip().lower() == normalise_email(email):
        raise DomainError(_l("The password must not be your e-mail address."))


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB's own password forms (reset my
    password, users screens) follow the same rule, in French."""
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    try:
        check_password_rule(password)
    except DomainError as error:
        raise PasswordComplexityValidationError(str(error.message)) from None


def _hash_password(password: str) -> str:
    return generate_password_hash(
        password, method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def _add_family_user(email: str, password: str):
    """A new FAB user with role Famille (not committed), or DomainError."""
    sm = security_manager()
    user = sm.add_user(username=email, first_name="", last_name="", email=email,
                       role=sm.find_role(FAMILLE), password=password, commit=False)
    if not user:
        raise DomainError(_l("The account could not be created. Try again in a few moments."))
    return user


# --------------------------------------------------------------------------
# One-time tokens (address check, password reset, invitation)
# --------------------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"portail-{purpose}")


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(purpose: str, now: dt.datetime, user=None, household=None, email="") -> str:
    """A signed link token; only the hash of its random part is stored."""
    raw = secrets.token_urlsafe(32)
    db.session.add(OneTimeToken(
        purpose=purpose, token_hash=_hash_token(raw), user_id=getattr(user, "id", None),
        household_id=getattr(household, "id", None), email=normalise_email(email),
        created_at=now, expires_at=now + TOKEN_LIFETIMES[purpose]))
    return _serializer(purpose).dumps(raw)


def _retire_tokens(purpose: str, now: dt.datetime, user_id=None, email=None) -> None:
    query = select(OneTimeToken).where(OneTimeToken.purpose == purpose,
                                       OneTimeToken.used_at.is_(None))
    if user_id is not None:
        query = query.where(OneTimeToken.user_id == user_id)
    if email is not None:
        query = query.where(OneTimeToken.email == normalise_email(email))
    for token in db.session.scalars(query):
        token.used_at = now


def _mail_link(purpose: str, email: str, now: dt.datetime, user=None, household=None,
               **context) -> str:
    """Send a new link of ``purpose`` to ``email``; the older unused links of
    the same user (or, without a user, of the same address) stop working."""
    if user is not None:
        _retire_tokens(purpose, now, user_id=user.id)
    else:
        _retire_tokens(purpose, now, email=email)
    token = issue_token(purpose, now, user=user, household=household, email=email)
    queue_email(email, TOKEN_EMAILS[purpose], now, household_id=getattr(household, "id", None),
                link=link(TOKEN_PATHS[purpose] + token), **context)
    return token


def peek_token(purpose: str, signed: str, now: dt.datetime) -> OneTimeToken:
    """The token row of a link, or DomainError saying why the link cannot be used."""
    try:
        raw = _serializer(purpose).loads(signed or "")
    except BadSignature:
        raise DomainError(INVALID_LINK) from None
    token = db.session.scalar(select(OneTimeToken).where(
        OneTimeToken.token_hash == _hash_token(str(raw)), OneTimeToken.purpose == purpose))
    if token is None:
        raise DomainError(INVALID_LINK)
    if token.used_at is not None:
        raise DomainError(_l("This link has already been used. Each link works only once: "
                             "ask for a new link if you need one."))
    if token.expires_at <= now:
        raise DomainError(_l("This link has expired. Ask for a new link."))
    return token


# --------------------------------------------------------------------------
# Registration, address check, password
# --------------------------------------------------------------------------

def register_account(actor, email: str, password: str, now: dt.datetime):
    """Create a family account (FAB user with role Famille, draft household,
    primary guardian) and send the address check link.

    An address that already has an account gets an e-mail saying so instead;
    the caller shows the same page in both cases. Returns the new user or None.
    """
    email = checked_email(email)
    check_password_rule(password, email)
    if find_user_by_email(email) is not None:
        queue_email(email, "families_account_exists", now,
                    login_url=link("/login/"),
                    reset_url=link("/compte/mot-de-passe-oublie"))
        return None
    user = _add_family_user(email, password)
    household = Household(status=HouseholdStatus.DRAFT.value, created_at=now)
    db.session.add(household)
    db.session.flush()
    db.session.add(Guardian(household_id=household.id, user_id=user.id, position=0,
                            email=email))
    db.session.flush()
    audit.record(user, "account_created", household, now, household_id=household.id,
                 email=email)
    _mail_link("verify", email, now, user=user, household=household)
    return user


def verify_email(actor, token: str, now: dt.datetime) -> Guardian:
    """Mark the guardian's address as checked (the link from the e-mail)."""
    row = peek_token("verify", token, now)
    row.used_at = now
    guardian = guardian_of_user(row.user_id)
    if guardian is None or normalise_email(guardian.email) != row.email:
        raise DomainError(INVALID_LINK)
    if guardian.email_verified_at is None:
        guardian.email_verified_at = now
        audit.record(actor, "email_verified", guardian, now,
                     household_id=guardian.household_id, email=guardian.email)
    return guardian


def resend_verification(actor, email: str, now: dt.datetime) -> None:
    """Send a new address check link when the address has an unchecked account.

    Says nothing about whether the address has an account (the caller shows
    the same page whatever happened).
    """
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    guardian = guardian_of_user(user.id)
    if guardian is None or guardian.email_verified_at is not None:
        return
    _mail_link("verify", guardian.email, now, user=user,
               household=db.session.get(Household, guardian.household_id))


def request_password_reset(actor, email: str, now: dt.datetime) -> None:
    """Send a password reset link (2 hours) when the address has an active account."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    _mail_link("reset", user.email, now, user=user)


def reset_password(actor, token: str, new_password: str, now: dt.datetime):
    """Set a new password from a reset link; the link then stops working."""
    row = peek_token("reset", token, now)
    user = db.session.get(user_model(), row.user_id) if row.user_id else None
    if user is None or not user.active:
        raise DomainError(INVALID_LINK)
    check_password_rule(new_password, user.email)
    row.used_at = now
    user.password = _hash_password(new_password)
    audit.record(user, "password_reset", user, now)
    return user


def change_password(actor, current_password: str, new_password: str, now: dt.datetime) -> None:
    if not check_password_hash(actor.password or "", current_password or ""):
        raise DomainError(_l("The current password is not correct."))
    check_password_rule(new_password, actor.email)
    actor.password = _hash_password(new_password)
    audit.record(actor, "password_changed", actor, now)


# --------------------------------------------------------------------------
# Second guardian: invitation
# --------------------------------------------------------------------------

def invite_guardian(actor, household: Household, email: str, now: dt.datetime) -> str:
    """Invite the other responsable to make their own login to this household."""
    me = require_family_edit(actor, household)
    email = checked_email(email)
    if email == normalise_email(me.email):
        raise DomainError(_l("Invite the other responsable with their own e-mail address."))
    other = other_guardian(household)
    if other is not None and other.user_id is not None:
        raise DomainError(_l("The other responsable already has a login to this household."))
    if other is None:
        other = Guardian(household_id=household.id, position=1, email=email)
        db.session.add(other)
        db.session.flush()
    else:
        other.email = email
    audit.record(actor, "guardian_invited", other, now, household_id=household.id, email=email)
    return _mail_link("invite", email, now, household=household,
                      inviter=me.full_name or me.email)


def accept_invitation(actor, token: str, password: str, now: dt.datetime):
    """The invited person makes their own login and joins the household."""
    row = peek_token("invite", token, now)
    household = db.session.get(Household, row.household_id) if row.household_id else None
    if household is None or household.status == HouseholdStatus.CLOSED.value:
        raise DomainError(INVALID_LINK)
    if find_user_by_email(row.email) is not None:
        raise DomainError(_l("This address already has an account. Ask the account holder "
                             "to invite another address, or contact our services."))
    check_password_rule(password, row.email)
    row.used_at = now
    user = _add_family_user(row.email, password)
    other = other_guardian(household)
    if other is None:
        other = Guardian(household_id=household.id, position=1)
        db.session.add(other)
    other.user_id = user.id
    other.email = row.email
    other.email_verified_at = now  # the link came to this address
    user.first_name = (other.first_name or "")[:64]
    user.last_name = (other.last_name or "")[:64]
    db.session.flush()
    audit.record(user, "invitation_accepted", other, now, household_id=household.id,
                 email=row.email)
    return user


# --------------------------------------------------------------------------
# Closure (RGPD): the family's request
# --------------------------------------------------------------------------

def request_closure(actor, household: Household, now: dt.datetime) -> Household:
    require_guardian_of(actor, household)
    if is_closing(household):
        raise DomainError(_l("The closure of this account has already been requested."))
    audit.record(actor, "closure_requested", household, now, household_id=household.id,
                 previous_status=household.status)
    household.status = HouseholdStatus.CLOSING.value
    household.closure_requested_at = now
    mail_household(household, "families_closure_requested", now)
    return household
