"""The login page: FAB's AuthDBView in French, in the portal's layout, with
"Créer mon compte" and "Mot de passe oublié ?"; a family lands on "Mon compte"."""

from __future__ import annotations

from flask import current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_appbuilder.security.decorators import no_cache
from flask_babel import lazy_gettext as _l
from flask_login import login_user, user_logged_out

FAMILY_HOME = "/compte/"


# What a new session keeps from the one before login/logout: only the language.
KEPT_SESSION_KEYS = ("locale",)


def renew_session() -> None:
    """Start a new session (session fixation): nothing planted before login
    (a wizard draft, Flask-Login's flags, a CSRF token) survives it."""
    kept = {key: session[key] for key in KEPT_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)
    # Flask-WTF caches the signed CSRF token of the old session on ``g``.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@user_logged_out.connect
def _forget_session_on_logout(_app, user=None, **_extra):
    if has_request_context():
        renew_session()


def _is_family(user) -> bool:
    return any(role.name == "Famille" for role in getattr(user, "roles", []) or [])


class PortailAuthDBView(AuthDBView):
    login_template = "families/login.html"
    invalid_login_message = _l("Incorrect e-mail address or password. Try again, or use "
                               "\u201cForgotten password?\u201d.")
    title = _l("Log in")

    def _next_for(self, user) -> str:
        requested = request.args.get("next", "")
        if requested:
            return get_safe_redirect(requested)
        if _is_family(user):
            return FAMILY_HOME
        roles = {role.name for role in getattr(user, "roles", []) or []}
        if roles & {"Agent", "Admin"}:
            return url_for("StaffDashboardView.index")
        if "Comptable" in roles:
            return url_for("BillingRunView.index")
        return self.appbuilder.get_url_for_index

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._next_for(g.user))
        form = LoginForm_db()
        if form.validate_on_submit():
            typed = (form.username.data or "") + (form.password.data or "")
            user = None if "\x00" in typed else self.appbuilder.sm.auth_user_db(
                form.username.data, form.password.data)
            if not user:
                flash(str(self.invalid_login_message), "warning")
                next_url = request.args.get("next", "")
                return redirect(self.appbuilder.get_url_for_login_with(
                    get_safe_redirect(next_url) if next_url else None))
            renew_session()
            login_user(user, remember=False)
            return redirect(self._next_for(user))
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)
