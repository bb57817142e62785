"""Roles and their permissions, declared in code.

Famille, Agent, Comptable and Admin are Flask-AppBuilder "builtin" roles: their
permissions are regular expressions checked at run time (anchored, FAB-NOTES),
so nothing needs to be synchronised for them to work. Public is the anonymous
role: the public site uses no permission at all, and the login pages are
FAB's own, which it always lets through.
"""

from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager

FAMILLE = "Famille"
AGENT = "Agent"
COMPTABLE = "Comptable"
ADMIN = "Admin"
PUBLIC = "Public"

STAFF_ROLES = (AGENT, COMPTABLE, ADMIN)

# Self-service on one's own FAB user (change password, edit name).
_SELF_SERVICE = [
    ["^UserDBModelView$", "^(can_userinfo|userinfoedit|resetmypassword)$"],
    ["^UserInfoEditView$", "^can_this_form_(get|post)$"],
    ["^ResetMyPasswordView$", "^can_this_form_(get|post)$"],
]


def _views(pattern: str, perms: str = ".*") -> list[str]:
    return [pattern, perms]


# view-name pattern -> permission pattern. Each area names its views with a
# prefix, and each menu entry is named after its view (categories after the
# prefix), so the matrix reads as what each role can open:
#   Family*    the parent's "Mon compte" pages (own household only)
#   Staff*     agents' screens (families, bookings, attendance, exports)
#   Billing*   billing runs, invoices, accounting exports
#   Catalogue* set-up of facilities, periods, units, tariffs
#   Content*   public pages, news, documents, contacts
ROLE_PERMISSIONS: dict[str, list[list[str]]] = {
    FAMILLE: _SELF_SERVICE + [
        ["^Family[A-Za-z]*View$", ".*"],
        ["^Family[A-Za-z]*$", "^menu_access$"],
    ],
    AGENT: _SELF_SERVICE + [
        ["^Staff[A-Za-z]*View$", ".*"],
        ["^Content[A-Za-z]*View$", ".*"],
        ["^Catalogue[A-Za-z]*View$", "^(can_list|can_show)$"],
        ["^(Staff|Content|Catalogue)[A-Za-z]*$", "^menu_access$"],
    ],
    COMPTABLE: _SELF_SERVICE + [
        ["^Billing[A-Za-z]*View$", ".*"],
        ["^Catalogue(Tariff|Unit|Period)View$", "^(can_list|can_show)$"],
        ["^(Billing[A-Za-z]*|Catalogue|Catalogue(Tariff|Unit|Period)View)$", "^menu_access$"],
    ],
    ADMIN: [[".*", ".*"]],
}


def _login_account_key() -> str:
    """Throttle key of a login POST: the account typed (lower case)."""
    from flask import request

    return "login-account:" + (request.form.get("username") or "").strip().lower()[:200]


class PortailSecurityManager(SecurityManager):
    """FAB's security manager with the portal's roles declared in code, the
    portal's login page (French, "Créer mon compte", "Mot de passe oublié ?",
    families land on /compte/) and login throttling per address AND per account."""

    from app.families.login import PortailAuthDBView as authdbview  # noqa: N813

    @staticmethod
    def create_builtin_roles():
        return {name: [tuple(p) for p in perms] for name, perms in ROLE_PERMISSIONS.items()}

    def register_views(self):
        super().register_views()
        if self.is_auth_limited and self.auth_view is not None:
            # FAB limits login POSTs per remote address; add a limit per account.
            from flask import request

            self.limiter.limit(self.auth_rate_limit, key_func=_login_account_key,
                               methods=["POST"],
                               exempt_when=lambda: not request.form.get("username"))(
                self.auth_view.blueprint)
