"""“Mes données” (RGPD): everything the portal keeps about a household,
as a workbook the family downloads."""

from __future__ import annotations

import datetime as dt
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from app.core import audit
from app.core.i18n import format_datetime, format_short_date
from app.core.states import Civility, FamilySituation, HouseholdStatus, SchoolLevel, Sex
from app.extensions import db
from app.families.models import AuthorizedPerson, Document, Household, SchoolInfo
from app.families.services.common import children_of, guardians_of, require_guardian_of
from app.families.services.documents import DOCUMENT_STATE_LABELS, effective_state

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A value a spreadsheet will never run: text starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def household_workbook(actor, household: Household, now: dt.datetime) -> bytes:
    """The household's data (.xlsx): family-typed cells are always text."""
    require_guardian_of(actor, household)
    workbook = Workbook()

    def sheet(title, header, rows):
        ws = workbook.create_sheet(title=str(title)[:31])
        ws.append([str(h) for h in header])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        ws.freeze_panes = "A2"

    sheet(_("My household"),
          [_("Address"), _("Address (continued)"), _("Postcode"), _("Town"), _("Phone"),
           _("Family situation"), _("Benefits scheme"), _("Allocataire number (CAF/MSA)"),
           _("Quotient familial"), _("Account status"), _("Created on")],
          [[household.address, household.address_extra, household.postcode, household.city,
            household.phone,
            FamilySituation.label_of(household.family_situation)
            if household.family_situation else "",
            household.benefits_regime or "", household.allocataire_number,
            household.quotient_familial, HouseholdStatus.label_of(household.status),
            format_datetime(household.created_at)]])
    sheet(_("Responsables"),
          [_("Civility"), _("Last name"), _("First name"), _("Date of birth"), _("E-mail"),
           _("Mobile phone"), _("Work phone"), _("Profession"), _("Employer")],
          [[Civility.label_of(g.civility) if g.civility else "", g.last_name, g.first_name,
            format_short_date(g.birth_date), g.email, g.mobile_phone, g.work_phone,
            g.profession, g.employer] for g in guardians_of(household)])
    kids = children_of(household)
    sheet(_("My children"),
          [_("Last name"), _("First name"), _("Date of birth"), _("Sex"), _("Allergies"),
           _("PAI (individual care plan)"), _("PAI details"), _("Diet"), _("Family doctor"),
           _("Doctor's phone"), _("Image rights"), _("Notes")],
          [[c.last_name, c.first_name, format_short_date(c.birth_date), Sex.label_of(c.sex),
            c.allergies, _("Yes") if c.pai else _("No"), c.pai_details, c.diet,
            c.doctor_name, c.doctor_phone, _("Yes") if c.image_rights else _("No"), c.notes]
           for c in kids])
    persons = db.session.scalars(select(AuthorizedPerson).where(
        AuthorizedPerson.household_id == household.id).order_by(AuthorizedPerson.id))
    names = {c.id: c.full_name for c in kids}
    sheet(_("Authorised persons"), [_("Child"), _("Full name"), _("Phone"), _("Relationship")],
          [[names.get(p.child_id, ""), p.name, p.phone, p.relationship_to_child]
           for p in persons])
    infos = db.session.scalars(select(SchoolInfo).where(
        SchoolInfo.child_id.in_(list(names) or [0])).order_by(SchoolInfo.school_year))
    sheet(_("School information"), [_("Child"), _("School year"), _("School"), _("Level")],
          [[names.get(i.child_id, ""), i.school_year, i.school_name, SchoolLevel.label_of(i.level)]
           for i in infos])
    docs = db.session.scalars(select(Document).where(Document.household_id == household.id)
                              .order_by(Document.uploaded_at))
    sheet(_("My documents"), [_("Document"), _("Child"), _("File name"), _("Sent on"),
                              _("Document state"), _("Reason of the refusal")],
          [[d.document_type.name, names.get(d.child_id, ""), d.original_filename,
            format_datetime(d.uploaded_at), str(DOCUMENT_STATE_LABELS.get(
                effective_state(d, now.date()), d.state)), d.refusal_reason or ""]
           for d in docs])
    workbook.remove(workbook.worksheets[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(actor, "data_exported", household, now, household_id=household.id)
    return buffer.getvalue()
