"""Public pages (no permission): create an account, confirm the address,
ask for a new link, forgotten password, accept an invitation."""

from __future__ import annotations

from flask import flash, redirect, request
from flask_appbuilder import expose
from flask_babel import gettext as _
from flask_login import current_user

from app.core import clock
from app.core.errors import DomainError
from app.extensions import db
from app.families import access, forms, services
from app.families.views.common import FamiliesView, attempt


class RegistrationView(FamiliesView):
    route_base = "/compte"
    default_view = "register"

    def _link_problem(self, error: DomainError, **ask_again):
        """A link that cannot be used (400), with where to ask for a new one."""
        db.session.rollback()
        return self.render("families/link_problem.html", message=error.message,
                           **ask_again), 400

    @expose("/creer", methods=["GET", "POST"])
    def register(self):
        if current_user.is_authenticated:
            return redirect("/compte/")
        form = forms.RegistrationForm()
        if form.validate_on_submit() and attempt(lambda: services.register_account(
                None, form.email.data, form.password.data, clock.now())):
            return self.render("families/check_email.html", email=form.email.data)
        return self.render("families/register.html", form=form, title=_("Create my account"))

    @expose("/confirmer/<token>", methods=["GET", "POST"])
    def confirm(self, token):
        """The address check link. Opening it only shows a button: the address
        is confirmed by the POST, so a mail scanner that opens every link of a
        message confirms nothing and does not use the link up."""
        now = clock.now()
        actor = current_user if current_user.is_authenticated else None
        try:
            row = services.peek_token("verify", token, now)
            if request.method == "POST":
                services.verify_email(actor, token, now)
                db.session.commit()
        except DomainError as error:
            return self._link_problem(error, resend=True)
        if request.method == "GET":
            return self.render("families/confirm_email.html", email=row.email,
                               title=_("Confirm my e-mail address"))
        flash(_("Thank you: your e-mail address is confirmed."), "success")
        return redirect("/compte/" if current_user.is_authenticated
                        else self.appbuilder.get_url_for_login)

    def _ask_for_link(self, service, template: str, title: str, form=None, **sent):
        """A page with one e-mail field that sends a link: the same answer
        whether or not the address has an account."""
        form = form or forms.EmailOnlyForm()
        if form.validate_on_submit():
            service(None, form.email.data, clock.now())
            db.session.commit()
            return self.render("families/link_sent.html", **sent)
        return self.render(template, form=form, title=title)

    @expose("/renvoyer-lien", methods=["GET", "POST"])
    def resend(self):
        form = forms.EmailOnlyForm()
        if current_user.is_authenticated and request.method == "GET":
            guardian = access.guardian_of(current_user)
            if guardian is not None:
                form.email.data = guardian.email
        return self._ask_for_link(services.resend_verification, "families/resend.html",
                                  _("Receive a new confirmation link"), form)

    @expose("/mot-de-passe-oublie", methods=["GET", "POST"])
    def forgotten(self):
        return self._ask_for_link(services.request_password_reset, "families/forgotten.html",
                                  _("Forgotten password?"), reset=True)

    def _password_from_link(self, purpose: str, token: str, service, done: str,
                            template: str, title: str, **ask_again):
        """A page opened from an e-mailed link where a password is chosen
        (new password, invitation); then to the login page."""
        now = clock.now()
        try:
            row = services.peek_token(purpose, token, now)
        except DomainError as error:
            return self._link_problem(error, **ask_again)
        form = forms.NewPasswordForm()
        if form.validate_on_submit() and attempt(
                lambda: service(None, token, form.password.data, now), done):
            return redirect(self.appbuilder.get_url_for_login)
        return self.render(template, form=form, email=row.email, title=title)

    @expose("/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
    def new_password(self, token):
        return self._password_from_link(
            "reset", token, services.reset_password,
            _("Your password has been changed. You can log in."),
            "families/new_password.html", _("Choose a new password"), reset=True)

    @expose("/invitation/<token>", methods=["GET", "POST"])
    def invitation(self, token):
        return self._password_from_link(
            "invite", token, services.accept_invitation,
            _("Your login is ready: log in with your e-mail address and your password."),
            "families/invitation.html", _("Join the family account"))
