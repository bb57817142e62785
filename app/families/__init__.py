"""families area: registration and e-mail check, households, guardians,
children, school info, documents; "Mon compte" screens; staff validation."""

from __future__ import annotations

DEFAULT_FORM_RATE_LIMIT = "10 per 10 minute"
DEFAULT_ACCOUNT_RATE_LIMIT = "5 per 10 minute"


def _email_key() -> str:
    from flask import request

    return "families-account:" + (request.form.get("email") or "").strip().lower()[:200]


def _no_email() -> bool:
    from flask import request

    return not (request.form.get("email") or "").strip()


def register(app, appbuilder) -> None:
    from app.families import services, views
    from app.notifications import views as notification_views

    # FAB's own password forms follow the portal's rule (12 characters or more).
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_ENABLED", True)
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", services.fab_password_validator)

    views.register_views(appbuilder)
    notification_views.register_views(appbuilder)

    # Throttle the public account forms (registration, new link, forgotten
    # password, new password, invitation) per address and per e-mail typed,
    # with FAB's own limiter, so RATELIMIT_ENABLED and RATELIMIT_STORAGE_URI
    # apply to them as to the login form.
    limiter = appbuilder.sm.limiter
    blueprint = app.blueprints["RegistrationView"]
    limiter.shared_limit(app.config.get("FAMILIES_FORM_RATE_LIMIT", DEFAULT_FORM_RATE_LIMIT),
                         scope="families-forms", methods=["POST"])(blueprint)
    limiter.shared_limit(app.config.get("FAMILIES_ACCOUNT_RATE_LIMIT",
                                        DEFAULT_ACCOUNT_RATE_LIMIT),
                         scope="families-account", key_func=_email_key, methods=["POST"],
                         exempt_when=_no_email)(blueprint)
