"""Report files: one small builder per format, each streaming the rows it is handed.

A builder takes a :class:`fleetmaint.reports.task_report.Report` (what the
report is about, and its groups as an iterator of rows) and a binary file,
reads every group once, in order, and writes the file. Rows are plain tuples
straight from the database (``task_rows.ROW``: wear, local dates and labels
already computed there), so writing a row costs the writer's calls and
little else. Text people typed (vehicle labels, descriptions, search words)
goes through :func:`fleetmaint.reports.sheet_text.plain` in every spreadsheet
format (its SQL twin in the CSV), so no spreadsheet runs it as a formula.
Memory stays flat: XlsxWriter in ``constant_memory`` mode, xlwt with its rows
flushed, CSV from the database's own CSV output
(:mod:`fleetmaint.reports.task_csv`) and the PDF in parts
(:mod:`fleetmaint.reports.pdf_builder`). Group and grand totals are added up
by the report as its rows are read; the builders only lay them out.
"""

from collections.abc import Callable

import xlsxwriter
import xlwt

from fleetmaint.reports import delivery
from fleetmaint.reports.pdf_builder import COLUMN_WIDTHS, when
from fleetmaint.reports.sheet_text import WORKBOOK_OPTIONS, plain

DATE_FORMAT = "yyyy-mm-dd"


def currency_format(currency: str) -> str:
    return f'#,##0.00 "{currency}"'


# --- XLSX -------------------------------------------------------------------------------


def build_xlsx(report, out) -> None:
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, **WORKBOOK_OPTIONS})
    workbook.set_properties(
        {
            "title": f"{report.title} · {report.org.name}",
            "company": report.org.name,
            "created": report.generated_at.replace(tzinfo=None),
            "comments": "; ".join(f"{k}: {v}" for k, v in report.filters_text),
        }
    )
    header = workbook.add_format({"bold": True, "bg_color": "#e2e8f0", "bottom": 1})
    heading = workbook.add_format({"bold": True, "bg_color": "#f1f5f9"})
    subtotal = workbook.add_format({"bold": True, "top": 1})
    subtotal_money = workbook.add_format(
        {"bold": True, "top": 1, "num_format": currency_format(report.currency)}
    )
    sheet = workbook.add_worksheet("Service works")
    for col, width in enumerate(COLUMN_WIDTHS):
        sheet.set_column(col, col, width)
    sheet.write_row(0, 0, report.columns, header)
    sheet.freeze_panes(1, 0)
    last_col = len(report.columns) - 1
    write_rows = _xlsx_row_writer(workbook, sheet, report.currency)
    r = 1
    for group in report.groups():
        if group.title is not None:
            sheet.write_string(r, 0, plain(group.title), heading)
            for col in range(1, last_col + 1):
                sheet.write_blank(r, col, None, heading)
            r += 1
        r = write_rows(group, r)
        if group.title is not None:
            sheet.write_string(r, 2, f"Subtotal {group.title} ({group.count} tasks)", subtotal)
            sheet.write_number(r, 8, float(group.cost), subtotal_money)
            r += 1
    sheet.write_string(r, 2, f"Total ({report.count} tasks)", subtotal)
    sheet.write_number(r, 8, float(report.cost), subtotal_money)
    sheet.autofilter(0, 0, max(r - 1, 1), last_col)
    _about_sheet(workbook, report, header)
    workbook.close()


def _xlsx_row_writer(workbook, sheet, currency: str) -> Callable:
    """The loop that writes a group's task rows from row ``r`` on; returns the next free row.

    The hot loop of the report: one typed call per cell, the methods bound once.
    """
    date = workbook.add_format({"num_format": DATE_FORMAT})
    money = workbook.add_format({"num_format": currency_format(currency)})
    number, string, moment = sheet.write_number, sheet.write_string, sheet.write_datetime

    def write_rows(rows, r: int) -> int:
        for pk, vehicle, description, _, label, unplanned, wear, predicted, done, cost, _ in rows:
            number(r, 0, pk)
            string(r, 1, plain(vehicle))
            string(r, 2, plain(description))
            string(r, 3, label)
            string(r, 4, "Yes" if unplanned else "No")
            number(r, 5, wear)
            if predicted:
                moment(r, 6, predicted, date)
            if done:
                moment(r, 7, done, date)
            number(r, 8, float(cost), money)
            r += 1
        return r

    return write_rows


def _about_sheet(workbook, report, bold) -> None:
    about = workbook.add_worksheet("About")
    about.set_column(0, 0, 18)
    about.set_column(1, 1, 60)
    lines = [
        ("Report", report.title),
        ("Organization", report.org.name),
        ("Generated", when(report.generated_at)),
        *report.filters_text,
    ]
    for r, (name, value) in enumerate(lines):
        about.write_string(r, 0, name, bold)
        about.write_string(r, 1, plain(str(value)))


# --- XLS --------------------------------------------------------------------------------


def build_xls(report, out) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Service works")
    header = xlwt.easyxf("font: bold on; pattern: pattern solid, fore_colour gray25")
    date = xlwt.easyxf(num_format_str=DATE_FORMAT)
    money = xlwt.easyxf(num_format_str=currency_format(report.currency))
    bold = xlwt.easyxf("font: bold on")
    bold_money = xlwt.easyxf("font: bold on", num_format_str=currency_format(report.currency))
    for col, width in enumerate(COLUMN_WIDTHS):
        sheet.col(col).width = 256 * width
    for col, name in enumerate(report.columns):
        sheet.write(0, col, name, header)
    sheet.set_panes_frozen(True)
    sheet.set_horz_split_pos(1)
    sheet.set_remove_splits(True)
    r = 1

    def next_row() -> int:
        nonlocal r
        # The rows were counted before (``delivery.choose``); a report that grew since
        # is still refused rather than written past the sheet's end.
        delivery.check_rows("xls", r)
        r += 1
        if r % 1000 == 0:
            sheet.flush_row_data()
        return r - 1

    write = sheet.write
    for group in report.groups():
        if group.title is not None:
            write(next_row(), 0, plain(group.title), bold)
        for pk, vehicle, description, _, label, unplanned, wear, predicted, done, cost, _ in group:
            at = next_row()
            write(at, 0, pk)
            write(at, 1, plain(vehicle))
            write(at, 2, plain(description))
            write(at, 3, label)
            write(at, 4, "Yes" if unplanned else "No")
            write(at, 5, wear)
            if predicted is not None:
                write(at, 6, predicted, date)
            if done is not None:
                write(at, 7, done, date)
            write(at, 8, float(cost), money)
        if group.title is not None:
            at = next_row()
            write(at, 2, f"Subtotal {group.title} ({group.count} tasks)", bold)
            write(at, 8, float(group.cost), bold_money)
    at = next_row()
    write(at, 2, f"Total ({report.count} tasks)", bold)
    write(at, 8, float(report.cost), bold_money)
    book.save(out)


# --- CSV and PDF ----------------------------------------------------------------------


def build_csv(report, out) -> None:
    """One header row, then one row per task; grouped reports say the group in a first column."""
    from fleetmaint.reports import task_csv

    task_csv.write(report, out)


def build_pdf(report, out) -> None:
    from fleetmaint.reports import pdf_builder

    pdf_builder.build_pdf(report, out)


BUILDERS: dict[str, Callable] = {
    "pdf": build_pdf,
    "xlsx": build_xlsx,
    "xls": build_xls,
    "csv": build_csv,
}
