"""Shared pieces: states, errors, clock, audit, French formats, error pages, CLI."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from app.core.cli import portail_cli

ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    413: _l("File too large"),
    429: _l("Too many attempts"),
    500: _l("Server error"),
    503: _l("Service unavailable"),
}
ERROR_TEXTS = {
    400: _l("The request sent is not valid. Go back to the previous page and try again."),
    403: _l("You do not have access to this page."),
    404: _l("The page you asked for does not exist or is no longer available."),
    405: _l("This action is not possible on this page."),
    413: _l("The file sent is larger than allowed (10 MB)."),
    429: _l("Too many attempts in a short time. Wait a few minutes before trying again."),
    500: _l("Something went wrong on our side. Nothing was saved; "
            "try again in a few moments."),
    503: _l("The portal is unavailable for a moment. Try again in a few moments."),
}


def render_error(code: int, text=None):
    context = dict(code=code, title=ERROR_TITLES.get(code, ERROR_TITLES[500]),
                   text=text or ERROR_TEXTS.get(code, ERROR_TEXTS[500]))
    try:
        return render_template("portail/error.html", **context), code
    except SQLAlchemyError:
        # The database itself is failing: the layout's menu, user and footer
        # read it. Draw the same French page without them (offline=True).
        from app.extensions import db

        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass
        return render_template("portail/error.html", offline=True, **context), code


def register(app, appbuilder) -> None:
    from app.core import backup  # noqa: F401  (portail backup / portail restore)
    from app import demo  # noqa: F401  (portail demo, portail generate)
    from app.core import hardening, headers
    from app.extensions import db

    headers.init_app(app)
    hardening.init_app(app)

    for code in ERROR_TITLES:
        app.register_error_handler(code, lambda e, code=code: _handle(code))

    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return render_error(400, _l("The form has expired or was already sent. "
                                    "Reload the page and start again."))

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()

    @app.before_request
    def _database_at_head():
        if app.config.get("_DB_CHECKED") or request.endpoint == "static":
            return None
        from app.core.dbcheck import database_revision_problem

        problem = database_revision_problem()
        if problem:
            app.logger.error(problem)
            return render_error(503)
        app.config["_DB_CHECKED"] = True
        return None

    @app.context_processor
    def _appbuilder_in_every_template():
        # FAB passes these to its own views; our pages and error pages need them too.
        return {"appbuilder": appbuilder, "base_template": appbuilder.base_template}

    app.cli.add_command(portail_cli)


def _handle(code: int):
    if code == 500:
        from app.extensions import db

        db.session.rollback()
    return render_error(code)
