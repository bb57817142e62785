"""Portail Famille: the application factory.

``create_app(config=None)`` builds a fresh Flask app with its own
Flask-AppBuilder each call (tests build several). ``config`` is a mapping
that overrides the settings read from the environment by ``config.py``.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from flask import Flask

import config as settings_module
from app.extensions import csrf, db, migrate

AREAS = (
    "core",
    "dashboard",
    "notifications",
    "catalogue",
    "content",
    "families",
    "bookings",
    "attendance",
    "billing",
)

log = logging.getLogger(__name__)


def import_models() -> None:
    """Import every area's models (and FAB's) so that the metadata is complete."""
    importlib.import_module("flask_appbuilder.security.sqla.models")
    for area in AREAS:
        importlib.import_module(f"app.{area}.models")


def create_app(config: dict | None = None) -> Flask:
    from flask_appbuilder import AppBuilder

    from app.core import i18n

    settings = settings_module.from_environment()
    if config:
        settings.update(config)
        if "SQLALCHEMY_DATABASE_URI" in config:
            settings["SQLALCHEMY_DATABASE_URI"] = settings_module.normalise_database_url(
                config["SQLALCHEMY_DATABASE_URI"]
            )

    app = Flask(
        __name__,
        instance_path=str(settings_module.INSTANCE_DIR),
        instance_relative_config=False,
    )
    app.config.update(settings)
    _engine_options(app)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    Path(app.config["PUBLIC_UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    i18n.compile_catalogues()
    import_models()

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(settings_module.BASE_DIR / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)

    with app.app_context():
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        i18n.init_app(app)
        for area in AREAS:
            module = importlib.import_module(f"app.{area}")
            register = getattr(module, "register", None)
            if register is not None:
                register(app, appbuilder)
    return app


def _engine_options(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        options["connect_args"] = connect_args
        if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
            Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
