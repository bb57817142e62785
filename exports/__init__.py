"""Excel exports and import (openpyxl), shared by every area.

- writer.py    the one write-only workbook writer: ``Sheet``/``Col``,
               ``WorkbookWriter``, ``write_workbook``; French formats, frozen
               header, autofilter, print set-up, formula-injection guard.
- lists.py     agents' lists (households, children, requests, presences) and,
               for other areas' list screens, ``export_query(columns, query)``
               and ``ExcelExportMixin`` + ``register_export_route``.
- attendance.py, billing.py, caf.py   the row builders of the workbooks.
- registry.py  the exports offered on the export pages, with their parameters.
- jobs.py      background generation, status polling, owner-only download.
- importer.py  "Importer (Excel)": dry run listing every error, all-or-nothing.
- views.py     StaffExportView (/exports) and BillingExportView
               (/facturation/exports), registered by app/billing.
"""
