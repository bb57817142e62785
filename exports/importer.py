""""Importer (Excel)": households, responsables and children from a workbook
in the columns of the households export (three sheets linked by the
"Réf. foyer" column, which in the file is only a reference between its rows).

``read_workbook(stream)`` checks every row and returns a plan with the list
of errors (sheet, row, column, French message); ``apply(actor, now, plan)``
writes everything in one transaction, and refuses while any error remains:
nothing is imported while any row is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.core import audit, clock
from app.core.errors import DomainError
from app.core.states import Civility, FamilySituation, HouseholdStatus, Sex
from app.extensions import db
from app.families.models import Child, Guardian, Household, HouseholdChild
from exports import lists

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ROWS = 20000


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row:
            return _("Sheet \"%(sheet)s\", row %(row)s, column \"%(column)s\": %(message)s",
                     sheet=self.sheet, row=self.row, column=self.column, message=self.message)
        return _("Sheet \"%(sheet)s\": %(message)s", sheet=self.sheet, message=self.message)


@dataclass
class ImportPlan:
    households: dict = field(default_factory=dict)   # ref -> values
    guardians: list = field(default_factory=list)    # (ref, values)
    children: list = field(default_factory=list)     # (ref, values)
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.households)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _labels(enum) -> dict[str, str]:
    """{lowercase code or French label: code}."""
    mapping = {}
    for member in enum:
        mapping[member.value.lower()] = member.value
        mapping[str(member.label).lower()] = member.value
    return mapping


class _Sheet:
    """Rows of one sheet as {header: value}, with error reporting by column."""

    def __init__(self, plan: ImportPlan, workbook, title: str, columns):
        self.plan, self.title = plan, title
        self.headers = [str(c.header) for c in columns]
        self.ws = None
        for ws in workbook.worksheets:
            if ws.title.strip().lower() == title.lower():
                self.ws = ws
        if self.ws is None:
            plan.errors.append(RowError(title, 0, "", _("this sheet is missing.")))
            return
        header_row = next(self.ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        found = [_text(v) for v in header_row]
        self.index = {}
        for name in self.headers:
            if name in found:
                self.index[name] = found.index(name)
            else:
                plan.errors.append(RowError(title, 1, name, _("this column is missing.")))

    def rows(self):
        if self.ws is None or len(self.index) != len(self.headers):
            return
        for row_no, values in enumerate(self.ws.iter_rows(min_row=2, values_only=True), 2):
            if row_no > MAX_ROWS + 1:
                self.plan.errors.append(RowError(self.title, row_no, "",
                                                 _("too many rows.")))
                return
            cells = {name: (values[i] if i < len(values) else None)
                     for name, i in self.index.items()}
            if all(_text(v) == "" for v in cells.values()):
                continue
            yield row_no, cells

    def error(self, row_no: int, column: str, message: str) -> None:
        letter = get_column_letter(self.index.get(column, 0) + 1)
        self.plan.errors.append(RowError(self.title, row_no, f"{column} ({letter})", message))


def _date(sheet, row_no, column, value, required=False):
    if value in (None, ""):
        if required:
            sheet.error(row_no, column, _("this date is required (DD/MM/YYYY)."))
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    sheet.error(row_no, column, _("\"%(value)s\" is not a date (DD/MM/YYYY).", value=text))
    return None


def _int(sheet, row_no, column, value, minimum=0):
    text = _text(value)
    if text == "":
        return None
    try:
        number = int(text)
    except ValueError:
        sheet.error(row_no, column, _("\"%(value)s\" is not a whole number.", value=text))
        return None
    if number < minimum:
        sheet.error(row_no, column, _("the number must be at least %(min)s.", min=minimum))
        return None
    if number > 999999:
        sheet.error(row_no, column, _("the number must be at most %(max)s.", max=999999))
        return None
    return number


def _choice(sheet, row_no, column, value, mapping, required=False):
    text = _text(value)
    if text == "":
        if required:
            sheet.error(row_no, column, _("this value is required."))
        return None
    code = mapping.get(text.lower())
    if code is None:
        sheet.error(row_no, column, _("\"%(value)s\" is not one of the expected values "
                                      "(%(values)s).", value=text,
                                      values=", ".join(sorted(set(mapping.values())))))
    return code


def _required(sheet, row_no, column, value, limit):
    text = _text(value)
    if not text:
        sheet.error(row_no, column, _("this value is required."))
    elif len(text) > limit:
        sheet.error(row_no, column, _("at most %(count)s characters.", count=limit))
    return text[:limit]


def _optional(sheet, row_no, column, value, limit):
    text = _text(value)
    if len(text) > limit:
        sheet.error(row_no, column, _("at most %(count)s characters.", count=limit))
    return text[:limit]


def read_workbook(stream) -> ImportPlan:
    plan = ImportPlan()
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        plan.errors.append(RowError(_("File"), 0, "",
                                    _("this file is not an Excel workbook (.xlsx).")))
        return plan
    try:
        _read_households(plan, workbook)
    finally:
        workbook.close()
    return plan


def _read_households(plan: ImportPlan, workbook) -> None:
    yes_no = {_("yes (spreadsheet cell)").lower(): True, _("no (spreadsheet cell)").lower(): False,
              "oui": True, "non": False, "yes": True, "no": False}
    hcols, gcols, ccols = lists.household_columns(), lists.guardian_columns(), \
        lists.child_columns()
    H = [str(c.header) for c in hcols]
    G = [str(c.header) for c in gcols]
    C = [str(c.header) for c in ccols]
    situations = _labels(FamilySituation)
    statuses = _labels(HouseholdStatus)
    regimes = {"caf": "CAF", "msa": "MSA", "autre": "AUTRE"}
    civilities = _labels(Civility)
    civilities.update({"mme": "Mme", "m": "M.", "m.": "M."})
    sexes = _labels(Sex)

    sheet = _Sheet(plan, workbook, _("Households sheet"), hcols)
    rows_of_ref = {}
    for row_no, cells in sheet.rows():
        ref = _text(cells[H[0]])
        if not ref:
            sheet.error(row_no, H[0], _("this value is required."))
            continue
        if ref in plan.households:
            sheet.error(row_no, H[0], _("this reference is used twice."))
            continue
        rows_of_ref[ref] = row_no
        plan.households[ref] = dict(
            address=_optional(sheet, row_no, H[1], cells[H[1]], 200),
            address_extra=_optional(sheet, row_no, H[2], cells[H[2]], 200),
            postcode=_optional(sheet, row_no, H[3], cells[H[3]], 10),
            city=_optional(sheet, row_no, H[4], cells[H[4]], 100),
            phone=_optional(sheet, row_no, H[5], cells[H[5]], 30),
            family_situation=_choice(sheet, row_no, H[6], cells[H[6]], situations),
            benefits_regime=_choice(sheet, row_no, H[7], cells[H[7]], regimes),
            allocataire_number=_optional(sheet, row_no, H[8], cells[H[8]], 30),
            quotient_familial=_int(sheet, row_no, H[9], cells[H[9]]),
            status=_choice(sheet, row_no, H[10], cells[H[10]], statuses)
            or HouseholdStatus.VALIDATED.value,
        )

    sheet = _Sheet(plan, workbook, _("Responsables"), gcols)
    ranks = set()
    with_guardian = set()
    for row_no, cells in sheet.rows():
        ref = _text(cells[G[0]])
        if ref not in plan.households:
            sheet.error(row_no, G[0], _("no household has this reference in the "
                                        "households sheet."))
            continue
        rank = _int(sheet, row_no, G[1], cells[G[1]], minimum=1) or 1
        if (ref, rank) in ranks:
            sheet.error(row_no, G[1], _("two responsables of the household have this rank."))
        ranks.add((ref, rank))
        email = _optional(sheet, row_no, G[6], cells[G[6]], 200)
        if email and not EMAIL_RE.match(email):
            sheet.error(row_no, G[6], _("\"%(value)s\" is not an e-mail address.", value=email))
        with_guardian.add(ref)
        plan.guardians.append((ref, dict(
            position=rank - 1,
            civility=_choice(sheet, row_no, G[2], cells[G[2]], civilities),
            last_name=_required(sheet, row_no, G[3], cells[G[3]], 100),
            first_name=_required(sheet, row_no, G[4], cells[G[4]], 100),
            birth_date=_date(sheet, row_no, G[5], cells[G[5]]),
            email=email,
            mobile_phone=_optional(sheet, row_no, G[7], cells[G[7]], 30),
            work_phone=_optional(sheet, row_no, G[8], cells[G[8]], 30),
            profession=_optional(sheet, row_no, G[9], cells[G[9]], 120),
            employer=_optional(sheet, row_no, G[10], cells[G[10]], 120),
            relationship_to_child=_optional(sheet, row_no, G[11], cells[G[11]], 40),
        )))

    sheet = _Sheet(plan, workbook, _("Children of the households"), ccols)
    today = clock.today()
    for row_no, cells in sheet.rows():
        ref = _text(cells[C[0]])
        if ref not in plan.households:
            sheet.error(row_no, C[0], _("no household has this reference in the "
                                        "households sheet."))
            continue
        birth = _date(sheet, row_no, C[3], cells[C[3]], required=True)
        if birth and (birth > today or birth.year < 1990):
            sheet.error(row_no, C[3], _("this date of birth is not plausible."))
        pai = _choice(sheet, row_no, C[6], cells[C[6]], yes_no)
        rights = _choice(sheet, row_no, C[10], cells[C[10]], yes_no)
        plan.children.append((ref, dict(
            last_name=_required(sheet, row_no, C[1], cells[C[1]], 100),
            first_name=_required(sheet, row_no, C[2], cells[C[2]], 100),
            birth_date=birth,
            sex=_choice(sheet, row_no, C[4], cells[C[4]], sexes, required=True),
            allergies=_optional(sheet, row_no, C[5], cells[C[5]], 2000),
            pai=bool(pai),
            diet=_optional(sheet, row_no, C[7], cells[C[7]], 200),
            doctor_name=_optional(sheet, row_no, C[8], cells[C[8]], 120),
            doctor_phone=_optional(sheet, row_no, C[9], cells[C[9]], 30),
            image_rights=bool(rights),
        )))

    households_sheet = _("Households sheet")
    for ref, row_no in rows_of_ref.items():
        if ref not in with_guardian:
            plan.errors.append(RowError(households_sheet, row_no, H[0],
                                        _("this household has no responsable.")))
    if not plan.households and not plan.errors:
        plan.errors.append(RowError(households_sheet, 0, "", _("no household to import.")))


def apply(actor, now: dt.datetime, plan: ImportPlan) -> dict:
    """Write the plan (all or nothing). Commits."""
    if plan.errors:
        raise DomainError(_("Nothing was imported: correct the errors listed first."))
    if not plan.households:
        raise DomainError(_("Nothing was imported: the file has no household."))
    ids = {}
    try:
        for ref, values in plan.households.items():
            household = Household(created_at=now, **values)
            if household.status == HouseholdStatus.VALIDATED.value:
                household.validated_at = now
                household.validated_by_id = getattr(actor, "id", None)
            db.session.add(household)
            db.session.flush()
            ids[ref] = household.id
        for ref, values in plan.guardians:
            db.session.add(Guardian(household_id=ids[ref], **values))
        for ref, values in plan.children:
            child = Child(created_at=now, **values)
            db.session.add(child)
            db.session.flush()
            db.session.add(HouseholdChild(household_id=ids[ref], child_id=child.id))
        counts = dict(households=len(plan.households), guardians=len(plan.guardians),
                      children=len(plan.children))
        audit.record(actor, "import.households", None, now, **counts)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return counts
