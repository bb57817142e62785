"""The permission matrix: what each role can and cannot open.

Permissions are declared in code (app/core/security.py) by view-name prefix.
This test reads every view registered in the app and checks each of its
permissions against the matrix below, so a new view with a wrong name, or a
widened regex, fails here. Then it opens real pages as each role.
"""

from __future__ import annotations

import pytest

from app.core.security import ADMIN, AGENT, COMPTABLE, FAMILLE

PREFIXES = ("Family", "Staff", "Content", "Catalogue", "Billing")
READ = {"can_list", "can_show"}
# FAB's own views that every logged-in user needs for their own account.
SELF_SERVICE = {
    ("UserDBModelView", "can_userinfo"), ("UserDBModelView", "userinfoedit"),
    ("UserDBModelView", "resetmypassword"),
    ("UserInfoEditView", "can_this_form_get"), ("UserInfoEditView", "can_this_form_post"),
    ("ResetMyPasswordView", "can_this_form_get"), ("ResetMyPasswordView", "can_this_form_post"),
}
# Views that carry no permission check (public pages, login, registration).
# FAB's security screens (our subclasses translate them): Admin only.
FAB_SECURITY = {
    "UserDBModelView", "RoleModelView", "GroupModelView", "PermissionModelView",
    "ViewMenuModelView", "PermissionViewModelView", "RegisterUserModelView",
    "UserInfoEditView", "ResetMyPasswordView", "ResetPasswordView", "UserStatsChartView",
}
FAB_INTERNAL = {
    "AuthDBView", "UtilView", "LocaleView", "SecurityApi", "OpenApi", "SwaggerView",
    "MenuApi", "IndexView",
}


def expected(role: str, view: str, permission: str) -> bool:
    if role == ADMIN:
        return True
    if (view, permission) in SELF_SERVICE:
        return True
    if role == FAMILLE:
        return view.startswith("Family")
    if role == AGENT:
        if view.startswith(("Staff", "Content")):
            return True
        return view.startswith("Catalogue") and permission in READ
    if role == COMPTABLE:
        if view.startswith("Billing"):
            return True
        return (view in {"CatalogueTariffView", "CatalogueUnitView", "CataloguePeriodView"}
                and permission in READ)
    raise AssertionError(role)


def _views_and_permissions(app):
    for view in app.appbuilder.baseviews:
        name = view.class_permission_name if hasattr(view, "class_permission_name") else \
            view.__class__.__name__
        for permission in sorted(getattr(view, "base_permissions", None) or []):
            yield view.__class__.__name__, name, permission


@pytest.mark.parametrize("role", [FAMILLE, AGENT, COMPTABLE, ADMIN])
def test_each_role_gets_exactly_the_matrix(app, role):
    sm = app.appbuilder.sm
    with app.app_context():
        role_obj = sm.find_role(role)
        wrong = []
        for _cls, view_name, permission in _views_and_permissions(app):
            got = sm._has_access_builtin_roles(role_obj, permission, view_name)
            if got != expected(role, view_name, permission):
                wrong.append((view_name, permission, got))
    assert wrong == [], f"{role}: permissions differ from the matrix: {wrong}"


def test_every_portal_view_is_named_for_its_audience(app):
    """A protected view of ours must carry one of the prefixes the roles know."""
    unknown = []
    for view in app.appbuilder.baseviews:
        module = type(view).__module__
        if not module.startswith("app.") or not getattr(view, "base_permissions", None):
            continue
        name = getattr(view, "class_permission_name", type(view).__name__)
        if not name.startswith(PREFIXES) and name not in FAB_SECURITY:
            unknown.append(name)
    assert unknown == []


def _first_url(app, view_prefix: str):
    """The URL of the first GET route without arguments of a view whose name starts so."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(view_prefix) and not rule.arguments \
                and "GET" in rule.methods:
            return rule.rule
    return None


@pytest.mark.parametrize("role,prefix,allowed", [
    (FAMILLE, "Staff", False), (FAMILLE, "Billing", False), (FAMILLE, "Catalogue", False),
    (FAMILLE, "Content", False), (FAMILLE, "UserDBModelView.list", False),
    (AGENT, "Billing", False), (AGENT, "Family", False), (AGENT, "UserDBModelView.list", False),
    (COMPTABLE, "Family", False), (COMPTABLE, "Content", False),
    (ADMIN, "UserDBModelView.list", True),
])
def test_roles_open_or_are_refused_real_pages(app, client, login_as, role, prefix, allowed):
    url = _first_url(app, prefix)
    if url is None:
        pytest.skip(f"no {prefix} page registered yet")
    login_as(role)
    response = client.get(url)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code in (302, 403, 404), (url, response.status_code)
        if response.status_code == 403:
            assert "Accès refusé" in response.get_data(as_text=True)
