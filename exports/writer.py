"""The one workbook writer every export goes through (openpyxl, write-only).

An export is a list of ``Sheet``s: a title, typed ``Col``umns and an iterable
of rows (a generator, so nothing is held in memory). The writer gives every
sheet the same French presentation:

- money from integer cents shown as ``#,##0.00 €``; dates ``DD/MM/YYYY``,
  date-times ``DD/MM/YYYY HH:MM``; hours ``0.00``;
- a bold header row, frozen, with an autofilter; widths from the columns;
- print set-up: landscape, header row repeated on every page, fit to width;
- a guard against formula injection: text typed by a family that starts with
  ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is written as a
  text cell with Excel's "quote prefix" flag, never as a formula, and
  characters that XML cannot hold are dropped.

Optional totals: name the columns to add up (integers or cents, summed
exactly as integers while the rows stream) and a bold "Total" row closes the
sheet.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

MONEY_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
HOURS_FORMAT = "0.00"
INTEGER_FORMAT = "0"

KINDS = ("text", "int", "money", "date", "datetime", "hours")
DEFAULT_WIDTHS = {"text": 24, "int": 10, "money": 14, "date": 12, "datetime": 17,
                  "hours": 10}

# First characters that make a spreadsheet read a cell as a formula.
DANGEROUS_FIRST = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
ILLEGAL_XML = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
BAD_TITLE = re.compile(r"[\[\]:*?/\\]")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="3C8DBC")
TOTAL_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=13)
THIN = Side(style="thin", color="999999")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True)
class Col:
    """A column: its header (already translated), kind and width in characters."""

    header: str
    kind: str = "text"
    width: float | None = None
    total: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Sheet:
    title: str
    columns: Sequence[Col]
    rows: Iterable[Sequence[Any]]
    heading: Sequence[str] = ()          # lines printed above the table
    total_label: str | None = None       # with a Col(total=True): the last row's label
    row_height: float | None = None      # e.g. room for a signature
    grid: bool = False                   # borders on every cell (printable sheets)
    landscape: bool = True
    written: int = field(default=0, init=False)
    totals: dict = field(default_factory=dict, init=False)


def safe_text(value: str) -> str:
    """Text without the characters XML cannot hold."""
    if ILLEGAL_XML.search(value):
        value = ILLEGAL_XML.sub("", value)
    return value


def sheet_title(title: str, taken: set[str]) -> str:
    base = BAD_TITLE.sub(" ", str(title)).strip()[:31] or "Feuille"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate = base[:31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


class WorkbookWriter:
    """Write sheets one after another into a write-only workbook, then save."""

    def __init__(self):
        self.workbook = Workbook(write_only=True)
        self._titles: set[str] = set()

    # -- cells ------------------------------------------------------------
    def _styled(self, ws, number_format=None, font=None, border=None, alignment=None):
        cell = WriteOnlyCell(ws)
        if number_format:
            cell.number_format = number_format
        if font:
            cell.font = font
        if border:
            cell.border = border
        if alignment:
            cell.alignment = alignment
        return cell

    def _guarded(self, ws, value: str, border=None):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        cell.quotePrefix = True
        if border:
            cell.border = border
        return cell

    def _converter(self, ws, col: Col, border) -> Callable[[Any], Any]:
        kind = col.kind
        guarded = self._guarded
        if kind == "text":
            plain = self._styled(ws, border=border) if border else None

            def text(value):
                if value is None:
                    return None
                if not isinstance(value, str):
                    value = str(value)
                if ILLEGAL_XML.search(value):
                    value = ILLEGAL_XML.sub("", value)
                if value and value[0] in DANGEROUS_FIRST:
                    return guarded(ws, value, border)
                if plain is not None:
                    plain.value = value
                    return plain
                return value
            return text

        number_format = {"int": INTEGER_FORMAT, "money": MONEY_FORMAT, "date": DATE_FORMAT,
                         "datetime": DATETIME_FORMAT, "hours": HOURS_FORMAT}[kind]
        template = self._styled(ws, number_format=number_format, border=border)

        if kind == "money":
            def money(value):
                if value is None:
                    return None
                template.value = Decimal(int(value)).scaleb(-2)
                return template
            return money
        if kind == "hours":
            def hours(value):
                if value is None:
                    return None
                template.value = value if isinstance(value, Decimal) else Decimal(str(value))
                return template
            return hours
        if kind == "date":
            def date(value):
                if value is None:
                    return None
                if isinstance(value, dt.datetime):
                    value = value.date()
                template.value = value
                return template
            return date
        if kind == "datetime":
            def datetime(value):
                if value is None:
                    return None
                template.value = value
                return template
            return datetime

        def integer(value):
            # whole numbers read well in the General format: no style, so
            # openpyxl keeps reusing one cell (its fast path)
            if value is None or border is None:
                return value
            template.value = int(value)
            return template
        return integer

    @staticmethod
    def _fast_rows(ws):
        """openpyxl's WriteOnlyWorksheet._values_to_row without its slow path.

        openpyxl tries to store each cell object it is given as a *value*,
        catches the ValueError, then uses the cell, and makes a new cell after
        every styled one. Our styled cells are per-column templates that are
        written at once, so they are passed through as they are; plain values
        go through one reused cell as in openpyxl (a value that gets a style,
        e.g. a date, gets a new cell after it, as there).
        """
        def values_to_row(values, row_idx):
            cell = WriteOnlyCell(ws)
            for col_idx, value in enumerate(values, 1):
                if value is None:
                    continue
                if isinstance(value, Cell):
                    value.column = col_idx
                    value.row = row_idx
                    yield value
                    continue
                cell.value = value
                cell.column = col_idx
                cell.row = row_idx
                yield cell
                if cell.has_style:
                    cell = WriteOnlyCell(ws)
        return values_to_row

    # -- sheets -----------------------------------------------------------
    def add(self, sheet: Sheet) -> Sheet:
        ws = self.workbook.create_sheet(sheet_title(sheet.title, self._titles))
        if hasattr(ws, "_values_to_row"):
            ws._values_to_row = self._fast_rows(ws)
        columns = list(sheet.columns)
        last_letter = get_column_letter(len(columns))
        for index, col in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(index)].width = (
                col.width or DEFAULT_WIDTHS[col.kind])
        header_row = len(sheet.heading) + (1 if sheet.heading else 0) + 1
        ws.freeze_panes = f"A{header_row + 1}"
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.5

        for line_no, line in enumerate(sheet.heading):
            cell = WriteOnlyCell(ws, safe_text(str(line)))
            cell.data_type = "s"
            if line_no == 0:
                cell.font = TITLE_FONT
            ws.append([cell])
        if sheet.heading:
            ws.append([])

        header = []
        for col in columns:
            cell = WriteOnlyCell(ws, safe_text(str(col.header)))
            cell.data_type = "s"
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            header.append(cell)
        ws.append(header)

        border = GRID if sheet.grid else None
        converters = [self._converter(ws, col, border) for col in columns]
        total_indexes = [i for i, col in enumerate(columns) if col.total]
        totals = {i: 0 for i in total_indexes}
        row_no = header_row
        if sheet.row_height:
            height = {"ht": str(sheet.row_height), "customHeight": "1"}
        append = ws.append
        for row in sheet.rows:
            row_no += 1
            if sheet.row_height:
                ws.row_dimensions[row_no] = height
            for i in total_indexes:
                value = row[i]
                if value is not None:
                    totals[i] += value
            append([conv(value) for conv, value in zip(converters, row)])
        sheet.written = row_no - header_row
        ws.auto_filter.ref = f"A{header_row}:{last_letter}{max(row_no, header_row)}"

        if total_indexes:
            sheet.totals = {columns[i].header: totals[i] for i in total_indexes}
            total_row = []
            for i, col in enumerate(columns):
                if i in totals:
                    cell = self._styled(ws, number_format={"money": MONEY_FORMAT}.get(
                        col.kind, INTEGER_FORMAT if col.kind == "int" else HOURS_FORMAT),
                        font=TOTAL_FONT, border=border)
                    cell.value = (Decimal(int(totals[i])).scaleb(-2) if col.kind == "money"
                                  else totals[i])
                    total_row.append(cell)
                elif i == 0 and sheet.total_label:
                    cell = WriteOnlyCell(ws, safe_text(str(sheet.total_label)))
                    cell.data_type = "s"
                    cell.font = TOTAL_FONT
                    total_row.append(cell)
                else:
                    total_row.append(None)
            ws.append(total_row)
        return sheet

    def save(self, target) -> None:
        """Save to a path or a binary file object (the workbook is closed after)."""
        if not self.workbook.worksheets:
            self.workbook.create_sheet("Feuille")
        self.workbook.save(target)


def write_workbook(sheets: Iterable[Sheet], target) -> list[Sheet]:
    """Write the sheets (each streamed in turn) to ``target`` and return them."""
    writer = WorkbookWriter()
    done = [writer.add(sheet) for sheet in sheets]
    writer.save(target)
    return done
