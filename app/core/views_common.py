"""What several areas' screens share.

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
