"""Shared pieces: states, errors, clock, audit, French formats, error pages, CLI."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from app.core.cli import portail_cli

ERROR_TITLES = {
    400: _l("Requête invalide"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    413: _l("Fichier trop volumineux"),
    429: _l("Trop de tentatives"),
    500: _l("Erreur du serveur"),
    503: _l("Service indisponible"),
}
ERROR_TEXTS = {
    400: _l("La demande envoyée n'est pas valide. Revenez à la page précédente et réessayez."),
    403: _l("Vous n'avez pas accès à cette page."),
    404: _l("La page demandée n'existe pas ou n'est plus disponible."),
    405: _l("Cette action n'est pas possible sur cette page."),
    413: _l("Le fichier envoyé dépasse la taille autorisée (10 Mo)."),
    429: _l("Trop de tentatives en peu de temps. Patientez quelques minutes avant de réessayer."),
    500: _l("Une erreur est survenue de notre côté. Rien n'a été enregistré ; "
            "réessayez dans quelques instants."),
    503: _l("Le portail est momentanément indisponible. Réessayez dans quelques instants."),
}


def render_error(code: int, text=None):
    return render_template(
        "portail/error.html",
        code=code,
        title=ERROR_TITLES.get(code, ERROR_TITLES[500]),
        text=text or ERROR_TEXTS.get(code, ERROR_TEXTS[500]),
    ), code


def register(app, appbuilder) -> None:
    from app.extensions import db

    for code in ERROR_TITLES:
        app.register_error_handler(code, lambda e, code=code: _handle(code))

    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return render_error(400, _l("Le formulaire a expiré ou a déjà été envoyé. "
                                    "Rechargez la page et recommencez."))

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

    app.cli.add_command(portail_cli)


def _handle(code: int):
    if code == 500:
        from app.extensions import db

        db.session.rollback()
    return render_error(code)
