"""Guards in front of Flask-AppBuilder routes the portal does not use as FAB
intended, so that hostile input gets a 404/400 and never a server error."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import abort, redirect, request


# Primary keys are PostgreSQL ``integer`` columns: a larger id in a URL would
# be a database error (and SQLite cannot even take one beyond 64 bits).
MAX_ID = 2**31 - 1
_NUMBER = re.compile(r"\s*[+-]?\d+\s*")


def init_app(app) -> None:
    _guard_fab_list_args(app)

    @app.before_request
    def _ids_in_range():
        for name, value in (request.view_args or {}).items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int) and abs(value) > MAX_ID:
                abort(404)
            if (name == "pk" and isinstance(value, str) and _NUMBER.fullmatch(value)
                    and abs(int(value)) > MAX_ID):
                abort(404)

    @app.before_request
    def _no_fab_file_downloads():
        # FAB's ModelView ``/download/<filename>`` serves any file of
        # UPLOAD_FOLDER (family documents included) to anyone with
        # can_download on any view, and fails (500) on a name without
        # "_sep_". No view of the portal has file columns: family documents
        # and public documents have their own checked routes.
        rule = request.url_rule
        if rule is not None and rule.rule.endswith("/download/<string:filename>"):
            abort(404)

    @app.before_request
    def _unknown_fab_action():
        # FAB looks the action up before checking permissions and fails
        # (500) on a name that is not one of the view's actions.
        endpoint = request.endpoint or ""
        if not endpoint.endswith((".action", ".action_post")):
            return
        view = getattr(app.view_functions.get(endpoint), "__self__", None)
        actions = getattr(view, "actions", None)
        if actions is None:
            return
        if endpoint.endswith(".action_post"):
            name = request.form.get("action")
            if name not in actions:
                abort(400)
        elif (request.view_args or {}).get("name") not in actions:
            abort(404)


_PAGE_ARG = re.compile(r"^page_.+")
_PSIZE_ARG = re.compile(r"^psize_.+")
_FILTER_ARG = re.compile(r"^_flt_(\d)_(.*)$")
_ORDER_ARG = re.compile(r"^_oc_(.+)$")
MAX_PAGE = 100_000
MAX_PAGE_SIZE = 1000


def _filter_counts(app) -> dict[str, tuple[int, bool]]:
    """For each searchable column of FAB's model views: how many filters it has
    (the smallest count when several views search the same column name), and
    whether it is a boolean column in one of them."""
    counts = app.extensions.get("portail_fab_filter_counts")
    if counts is None:
        counts = {}
        for view in app.appbuilder.baseviews:
            filters = getattr(view, "_filters", None)
            if filters is None:
                continue
            for column, found in filters.get_search_filters().items():
                count, boolean = counts.get(column, (len(found), False))
                try:
                    boolean = boolean or bool(view.datamodel.is_boolean(column))
                except Exception:  # noqa: BLE001 - a relation or a dotted name
                    pass
                counts[column] = (min(count, len(found)), boolean)
        app.extensions["portail_fab_filter_counts"] = counts
    return counts


def _order_columns(app) -> dict[str, set[str]]:
    """The columns each FAB model view lets its list be ordered by."""
    columns = app.extensions.get("portail_fab_order_columns")
    if columns is None:
        columns = {type(view).__name__: set(view.order_columns or [])
                   for view in app.appbuilder.baseviews
                   if getattr(view, "order_columns", None) is not None}
        app.extensions["portail_fab_order_columns"] = columns
    return columns


def bad_fab_list_args(app, args) -> list[str]:
    """Names of FAB list parameters (page, page size, filters) FAB would fail on:
    ``int()`` of a non-number, a negative OFFSET/LIMIT (PostgreSQL), a filter
    number past the column's filters (IndexError), a boolean filter whose value
    is not "y" (FAB compares the column with the text: an error on PostgreSQL),
    a filter value with a NUL character (PostgreSQL refuses it), an order column
    the view does not offer (FAB would hand the text to ORDER BY)."""
    bad = []
    counts = None
    for name in args:
        value = args.get(name, "")
        if _PAGE_ARG.match(name):
            if not (value.isascii() and value.isdigit() and int(value) <= MAX_PAGE):
                bad.append(name)
        elif _PSIZE_ARG.match(name):
            if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE_SIZE):
                bad.append(name)
        elif _ORDER_ARG.match(name):
            offered = _order_columns(app).get(name[4:])
            if offered is not None and value not in offered:
                bad.append(name)
        else:
            match = _FILTER_ARG.match(name)
            if match and "\x00" in "".join(args.getlist(name)):
                bad.append(name)
            elif match:
                counts = counts if counts is not None else _filter_counts(app)
                column = match.group(2)
                if column in counts:
                    count, boolean = counts[column]
                    if int(match.group(1)) >= count or (boolean and value != "y"):
                        bad.append(name)
    return bad


def _guard_fab_list_args(app):
    @app.before_request
    def _fab_list_args():
        if not request.args:
            return None
        bad = bad_fab_list_args(app, request.args)
        if not bad:
            return None
        if request.method != "GET":
            abort(400)
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in bad]
        return redirect(request.path + ("?" + urlencode(kept) if kept else ""))
