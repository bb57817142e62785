"""The export pages: "Exports" for agents (StaffExportView, with the import)
and for accounting (BillingExportView). Each lists its exports with their
parameters; an export runs in a background thread (exports/jobs.py) and the
page polls its status; only the user who asked can download the file."""

from __future__ import annotations

import json
import secrets

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.attendance import services as attendance
from app.catalogue.services import facility_scope
from app.core import clock
from app.core.errors import DomainError
from exports import importer, jobs, registry
from exports.lists import XLSX_MIMETYPE

MAX_IMPORT_BYTES = 10 * 1024 * 1024


class _ExportPages(BaseView):
    audience = "staff"
    default_view = "index"

    def _visible_facility_ids(self) -> set[int]:
        return {f.id for f in attendance.facilities_for(current_user)}

    def _restriction(self):
        return facility_scope(current_user)

    def _spec(self, name):
        spec = registry.EXPORTS.get(name)
        if spec is None or spec.audience != self.audience:
            abort(404)
        return spec

    @expose("/")
    @has_access
    def index(self):
        return self.render_template(
            "exports/index.html", title=_("Exports"), specs=registry.for_audience(self.audience),
            facilities=attendance.facilities_for(current_user), endpoint=self.__class__.__name__,
            today=clock.today().strftime("%d/%m/%Y"), month=clock.today().strftime("%m/%Y"),
            with_import=self.audience == "staff")

    @expose("/lancer/<name>", methods=["POST"])
    @has_access
    def start(self, name):
        spec = self._spec(name)
        values, errors = registry.parse(spec, request.form, self._visible_facility_ids())
        if errors:
            for error in errors:
                flash(str(error), "danger")
            return redirect(url_for(f"{self.__class__.__name__}.index"))
        restriction = self._restriction() if spec.facility_restricted else None
        token = jobs.start(current_app._get_current_object(), current_user.id, spec, values,
                           restriction)
        return redirect(url_for(f"{self.__class__.__name__}.job", token=token))

    def _owned_status(self, token):
        status = jobs.status(current_app, token, current_user.id)
        if status is None:
            abort(404)
        return status

    @expose("/suivi/<token>")
    @has_access
    def job(self, token):
        status = self._owned_status(token)
        spec = registry.EXPORTS.get(status.get("export"))
        return self.render_template(
            "exports/job.html", title=_("Export"), token=token, status=status,
            label=spec.label if spec else "", endpoint=self.__class__.__name__)

    @expose("/suivi/<token>/etat")
    @has_access
    def job_status(self, token):
        status = self._owned_status(token)
        return jsonify(state=status["state"], rows=status["rows"])

    @expose("/suivi/<token>/fichier")
    @has_access
    def download(self, token):
        found = jobs.owned_file(current_app, token, current_user.id)
        if found is None:
            abort(404)
        path, name = found
        return send_file(path, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)


class StaffExportView(_ExportPages):
    """Exports for agents (attendance, CAF, lists) and the Excel import."""

    route_base = "/exports"
    audience = "staff"

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_page(self):
        plan, token = None, None
        if request.method == "POST":
            upload = request.files.get("file")
            data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
            if not data:
                flash(_("Choose a file to send."), "danger")
            elif len(data) > MAX_IMPORT_BYTES:
                flash(_("The file is larger than 10 MB."), "danger")
            else:
                import io

                plan = importer.read_workbook(io.BytesIO(data))
                if plan.ok:
                    token = secrets.token_urlsafe(24)
                    folder = jobs.folder(current_app)
                    (folder / f"{token}.import.xlsx").write_bytes(data)
                    (folder / f"{token}.import.json").write_text(
                        json.dumps({"user_id": current_user.id}), encoding="utf-8")
        return self.render_template("exports/import.html", title=_("Import (Excel)"),
                                    plan=plan, token=token)

    @expose("/import/<token>/confirmer", methods=["POST"])
    @has_access
    def import_confirm(self, token):
        if not jobs.TOKEN_RE.match(token or ""):
            abort(404)
        folder = jobs.folder(current_app)
        meta, data = folder / f"{token}.import.json", folder / f"{token}.import.xlsx"
        try:
            owner = json.loads(meta.read_text(encoding="utf-8")).get("user_id")
        except (OSError, ValueError):
            abort(404)
        if owner != current_user.id or not data.exists():
            abort(404)
        with data.open("rb") as handle:
            plan = importer.read_workbook(handle)
        try:
            counts = importer.apply(current_user, clock.now(), plan)
        except DomainError as error:
            flash(str(error), "danger")
            return redirect(url_for("StaffExportView.import_page"))
        for path in (meta, data):
            path.unlink(missing_ok=True)
        flash(_("Imported: %(households)s household(s), %(guardians)s responsable(s), "
                "%(children)s child(ren).", **counts), "success")
        return redirect(url_for("StaffExportView.import_page"))


class BillingExportView(_ExportPages):
    """Exports for accounting."""

    route_base = "/facturation/exports"
    audience = "billing"


def register_views(appbuilder) -> None:
    appbuilder.add_view(StaffExportView, "StaffExportView", label=_l("Exports"),
                        icon="fa-file-excel-o", category="Staff",
                        category_label=_l("Staff desk"), category_icon="fa-briefcase")
    appbuilder.add_view(BillingExportView, "BillingExportView",
                        label=_l("Accounting exports"), icon="fa-file-excel-o",
                        category="Billing", category_label=_l("Billing"),
                        category_icon="fa-euro")
