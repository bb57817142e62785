"""What several areas' screens share.

``add_menu_views``: register views in one menu category, each menu entry
named after its view class (the role rules of app/core/security.py match
those names).

``PageView``: a screen whose home is one page at the view's ``route_base``
(GET ``/``, endpoint ``<ViewClass>.index``, permission ``can_index``). Every
subclass defines ``page()``, the response of GET ``/``, and may expose more
routes of its own.
"""

from __future__ import annotations

from flask_appbuilder import BaseView, expose, has_access


class PageView(BaseView):
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.page()


def add_menu_views(appbuilder, category: dict, entries) -> None:
    """``entries``: (view class, French label, icon) in menu order;
    ``category``: category, category_label and category_icon."""
    for view, label, icon in entries:
        appbuilder.add_view(view, view.__name__, label=label, icon=icon, **category)
