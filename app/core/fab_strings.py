"""Flask-AppBuilder's own screens in French.

FAB 5.3 ships a French catalogue that misses about thirty of its strings
(the Groups screens, "Database Error", "Not a valid choice", the list
buttons…) and gets others wrong: half-English ("Ajouter un filter", "Nombre
de record"), Spanish ("Contraseña modificada"), or the wrong meaning ("Sign
In" as "S'enregistrer"). The project's catalogue is loaded after FAB's and
overrides it, so each msgid below is marked here (extraction keeps it in
translations/fr) and translated there, through ``python -m tools.i18n``.

How the list was made: FAB's Python and templates were extracted with
pybabel (keywords ``_``, ``gettext``, ``lazy_gettext``, plus the two
``lazy_formatter_gettext`` descriptions of the user form) and compared with
FAB's fr catalogue; every FAB screen an administrator opens was then read
for English left over.

WTForms' own messages ("This field is required.", "Not a valid choice.",
"Not a valid integer value."…) are NOT listed: WTForms ships a French
catalogue (domain ``wtforms``) and Flask-WTF's ``FlaskForm`` (FAB's
``DynamicForm`` derives from it) uses it in every request
(``WTF_I18N_ENABLED``, on by default). A plain ``wtforms.Form`` would stay
English: derive forms from ``FlaskForm``.

Labels that FAB builds from column names ("Label", "Users", "Roles" on the
Groups screens, "User" and "Groups" in the roles search) never pass through
gettext; SCREEN_LABELS at the end relabels those two screens (FAB's own view
classes, so view and permission names do not change).

Left in English by FAB and not reachable from the catalogue: the "OK" of
confirmation dialogs, permission names on the role form ("can list on
UserDBModelView"), raw values (True, None) on the user's detail page.
"""

from __future__ import annotations

from flask_appbuilder.security.views import RoleModelView as _FabRoleModelView
from flask_appbuilder.security.views import UserGroupModelView as _FabUserGroupModelView
from flask_babel import lazy_gettext as _l

from app.core.security import PortailSecurityManager

# Missing from FAB's French catalogue.
MISSING = (
    _l("Database Error"),
    _l("Not a valid choice"),
    _l("Select Value"),
    _l("Must have at least two capital letters, one special character, two digits, three "
       "lower case letters and a minimal length of 10."),
    _l("Contains (insensitive)"),
    _l("Start with"),
    _l("In"),
    _l("Not In"),
    _l("Either select a role or a group"),
    _l("List Groups"),
    _l("Show Group"),
    _l("Add Group"),
    _l("Edit Group"),
    _l("Groups"),
    _l("User(s) exists in the group, cannot delete"),
    _l("User(s) exists in the role, cannot delete"),
    _l("Edit User Information"),
    _l("User information changed"),
    _l("The user's password for authentication"),
    _l("It's not a good policy to remove a user, just make it inactive"),
    _l("Please rewrite the user's password to confirm"),
    _l("The user role on the application, this will associate with a list of permissions"),
    _l("The user group on the application, this will associate with a list of roles "
       "associated with the group"),
    _l("List of Registration Requests"),
    _l("User confirmation needed"),
    _l("Add"),
    _l("Edit"),
    _l("Show"),
    _l("Delete"),
    _l("Detail"),
    _l("Are you sure you want to delete this item?"),
    _l("Sign In with "),
    _l("Cancel"),
)

# In FAB's French catalogue, but half-English, misspelt, Spanish or wrong.
WRONG = (
    _l("Add Filter"),
    _l("Record Count"),
    _l("Add a new record"),
    _l("Show record"),
    _l("Edit record"),
    _l("Delete record"),
    _l("You sure you want to delete this item?"),
    _l("Back"),
    _l("Save"),
    _l("Logout"),
    _l("Sign In"),
    _l("Enter your login and password below"),
    _l("Invalid login. Please try again."),
    _l("Password Changed"),
    _l("Passwords must match"),
    _l("Reset my password"),
    _l("Reset Password Form"),
    _l("Your user information"),
    _l("User info"),
    _l("Not a valid date value"),
    _l("Already exists."),
    _l("Is Active?"),
    _l("Full Name"),
    _l("Last login"),
    _l("Login count"),
    _l("Failed login count"),
    _l("List Users"),
    _l("Edit User"),
    _l("List Roles"),
    _l("Add Role"),
    _l("Edit Role"),
    _l("Copy Role"),
    _l("Copy the selected roles?"),
    _l("Write the user last name"),
    _l("The user's email, this will also be used for OID auth"),
    _l("Username valid for authentication on DB or LDAP, unused for OID auth"),
    _l("Please rewrite the password to confirm"),
    _l("Please use a good password policy, this application does not check this for you"),
    _l("Integrity error, probably unique constraint"),
    _l("Associated data exists, please delete them first"),
    _l("Not Contains"),
    _l("Ends with"),
    _l("Not Ends with"),
    _l("Equal to"),
    _l("Not Equal to"),
    _l("Smaller than"),
    _l("Add Base Permission"),
    _l("Edit Base Permission"),
    _l("Show Base Permission"),
    _l("List Base Permissions"),
    _l("Add View Menu"),
    _l("Edit View Menu"),
    _l("Show View Menu"),
    _l("List View Menus"),
    _l("List Permissions on Views/Menus"),
    _l("Fill out the registration form"),
    _l("Registration sent to your email"),
    _l("Not possible to register you at the moment, try again later"),
)

FAB_STRINGS = MISSING + WRONG


# Column labels FAB builds from column names ("Label", "Users", "Roles"…): they
# never pass through gettext, so the two screens get translated labels here.
# FAB's view classes are kept (same names, same permissions); only their
# instances are relabelled, below.
SCREEN_LABELS = {
    _FabRoleModelView: {
        "name": _l("Role name"),
        "permissions": _l("Permissions"),
        "user": _l("Users with this role"),
        "groups": _l("Groups with this role"),
    },
    _FabUserGroupModelView: {
        "name": _l("Group name"),
        "label": _l("Group label"),
        "description": _l("Group description"),
        "users": _l("Group members"),
        "roles": _l("Group roles"),
    },
}


def relabel(view, labels) -> None:
    """Give a registered FAB view new column labels, and rebuild its forms with them."""
    view.label_columns = {**view.label_columns, **labels}
    view.search_form = view.add_form = view.edit_form = None
    view._init_forms()


class FrenchSecurityManager(PortailSecurityManager):
    """The portal's security manager (app.core.security) with FAB's roles and
    groups screens relabelled in French, and without FAB's user statistics chart,
    which loads Google Charts from Google's servers. config.py names this class
    in FAB_SECURITY_MANAGER_CLASS."""

    userstatschartview = None

    def register_views(self):
        super().register_views()
        for view in self.appbuilder.baseviews:
            labels = SCREEN_LABELS.get(type(view))
            if labels:
                relabel(view, labels)
