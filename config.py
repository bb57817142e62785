"""Infrastructure settings only.

Business rules (deadlines, capacities, prices) live in the database and are
edited by agents. This module reads the environment once, checks it and
builds the configuration mapping given to ``create_app``.

Environment variables:
  PORTAIL_ENV       "development" (default) or "production"
  DATABASE_URL      SQLAlchemy URL; default SQLite under instance/
  SECRET_KEY        required in production (at least 32 characters)
  MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS,
  MAIL_DEFAULT_SENDER   SMTP used by ``flask --app run portail send-mail``
  PORTAIL_BASE_URL  public address used in e-mail links (required in production)
  UPLOAD_FOLDER     where family documents are stored (default instance/uploads)
  RATELIMIT_STORAGE_URI  shared store for login throttling (default memory://)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _(message: str) -> str:
    """Marks a message for extraction; translated later by ``translate``."""
    return message


def translate(message: str, **params) -> str:
    """French text of an English source message, before any app exists.

    The compiled catalogue (translations/fr) is read directly with Babel; the
    English message is the fallback when the catalogue cannot be read.
    """
    try:
        from babel.support import Translations

        from app.core.i18n import compile_catalogues

        compile_catalogues(BASE_DIR / "translations")
        text = Translations.load(str(BASE_DIR / "translations"), ["fr"]).gettext(message)
    except Exception:  # a broken catalogue must not hide the real problem
        text = message
    return text % params if params else text


class ConfigError(Exception):
    """A missing or wrong setting: the message names the variable and what is expected.

    ``str(error)`` is English (logs); ``error.french()`` is the line shown to a person.
    """

    def __init__(self, message: str, **params):
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)

    def french(self) -> str:
        return translate(self.message, **self.params)


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(_("%(name)s=%(value)s: expected true or false"),
                      name=name, value=repr(value))


def _port(name: str, value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ConfigError(_("%(name)s=%(value)s: expected a port number between 1 and 65535"),
                          name=name, value=repr(value))
    return port


def _folder(name: str, value: str) -> str:
    """A folder the portal can create and write to."""
    path = Path(value)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise ConfigError(_("%(name)s=%(value)s: expected a folder the portal can create "
                            "and write to"), name=name, value=repr(value)) from None
    if not os.access(path, os.W_OK):
        raise ConfigError(_("%(name)s=%(value)s: expected a folder the portal can create "
                            "and write to"), name=name, value=repr(value))
    return value


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not (url.startswith("sqlite://") or url.startswith("postgresql+psycopg://")):
        raise ConfigError(
            _("DATABASE_URL=%(scheme)s:…: expected sqlite:///… or postgresql://…"),
            scheme=url.split(":", 1)[0],
        )
    return url


def default_settings() -> dict:
    """Defaults that need nothing from the environment."""
    return {
        "APP_NAME": "Portail Famille",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{INSTANCE_DIR / 'portail.db'}",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Flask-AppBuilder
        "FAB_CREATE_DB": False,  # Alembic owns the schema
        "FAB_UPDATE_PERMS": False,  # `flask --app run portail sync-perms` at deploy
        "FAB_ADD_SECURITY_API": False,
        "FAB_API_SWAGGER_UI": False,
        "FAB_INDEX_VIEW": "app.content.views.HomeView",
        "FAB_BASE_TEMPLATE": "portail/base.html",
        # app.core.security.PortailSecurityManager with FAB's roles and groups screens
        # in French (app/core/fab_strings.py)
        "FAB_SECURITY_MANAGER_CLASS": "app.core.fab_strings.FrenchSecurityManager",
        "AUTH_TYPE": 1,  # AUTH_DB
        "AUTH_USER_REGISTRATION": False,  # our own registration (families area)
        "AUTH_RATE_LIMITED": True,
        "RATELIMIT_ENABLED": True,
        "AUTH_RATE_LIMIT": "10 per 5 minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "APP_THEME": "",
        # French only
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LANGUAGES": {"fr": {"flag": "fr", "name": "Français"}},
        # Forms
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "UPLOAD_FOLDER": str(INSTANCE_DIR / "uploads"),
        "PUBLIC_UPLOAD_FOLDER": str(INSTANCE_DIR / "public"),
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Mail (outbox first; SMTP only when MAIL_SERVER is set)
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": False,
        "MAIL_DEFAULT_SENDER": "portail-famille@example.org",
        "PORTAIL_BASE_URL": "http://127.0.0.1:5000",
        "PORTAIL_ENV": "development",
        "PORTAIL_TIMEZONE": "Europe/Paris",
    }


def from_environment(environ: os._Environ | dict | None = None) -> dict:
    """Build the settings from the environment, raising ConfigError on a bad value."""
    env = os.environ if environ is None else environ
    settings = default_settings()

    mode = env.get("PORTAIL_ENV", "development").strip().lower()
    if mode not in {"development", "production"}:
        raise ConfigError(_("PORTAIL_ENV=%(value)s: expected development or production"),
                          value=repr(mode))
    settings["PORTAIL_ENV"] = mode

    if env.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])

    secret = env.get("SECRET_KEY", "")
    if mode == "production":
        if len(secret) < 32:
            raise ConfigError(_(
                "SECRET_KEY: required in production, at least 32 characters "
                "(python -c 'import secrets; print(secrets.token_hex(32))')"
            ))
        if not env.get("PORTAIL_BASE_URL"):
            raise ConfigError(_("PORTAIL_BASE_URL: required in production, the public address "
                                "used in e-mail links (for example https://portail.example.org)"))
        settings["SESSION_COOKIE_SECURE"] = True
        settings["REMEMBER_COOKIE_SECURE"] = True
    settings["SECRET_KEY"] = secret or _development_secret()

    for name in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER",
                 "PORTAIL_BASE_URL", "RATELIMIT_STORAGE_URI"):
        if env.get(name):
            settings[name] = env[name]
    for name in ("UPLOAD_FOLDER", "PUBLIC_UPLOAD_FOLDER"):
        if env.get(name):
            settings[name] = _folder(name, env[name])
    if env.get("MAIL_PORT"):
        settings["MAIL_PORT"] = _port("MAIL_PORT", env["MAIL_PORT"])
    if "@" not in settings["MAIL_DEFAULT_SENDER"]:
        raise ConfigError(_("MAIL_DEFAULT_SENDER=%(value)s: expected an e-mail address"),
                          value=repr(settings["MAIL_DEFAULT_SENDER"]))
    if not settings["PORTAIL_BASE_URL"].startswith(("http://", "https://")):
        raise ConfigError(_("PORTAIL_BASE_URL=%(value)s: expected an address starting with "
                            "http:// or https://"), value=repr(settings["PORTAIL_BASE_URL"]))
    if env.get("MAIL_USE_TLS"):
        settings["MAIL_USE_TLS"] = _bool("MAIL_USE_TLS", env["MAIL_USE_TLS"])
    settings["PORTAIL_BASE_URL"] = settings["PORTAIL_BASE_URL"].rstrip("/")
    return settings


def _development_secret() -> str:
    """A per-machine secret kept in instance/ so sessions survive restarts."""
    path = INSTANCE_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except OSError:
        pass
    key = secrets.token_hex(32)
    try:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(key)
    except OSError:
        pass
    return key
